"""HTML (AO3 downloads, other pages) and EPUB (AO3, FanFicFare, other) input."""

import json

import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from ficaudio.ingest import characters_from_tags, ingest
from ficaudio.model import DIALOGUE
from ficaudio.split import split
from tests.conftest import DATA, needs_ffmpeg
from tests.epubs import epub, epub_from_folder, xhtml

TXT, HTML = DATA / "on_call.txt", DATA / "on_call.html"


@pytest.fixture
def fff_epub(tmp_path):
    """The FanFicFare EPUB of the fixture work, zipped from its files."""
    return epub_from_folder(DATA / "on_call_epub", tmp_path / "on_call.epub")


@pytest.fixture
def ao3_epub(tmp_path):
    """AO3's EPUB: its HTML download, split by Calibre into two files, each repeating
    the ancestors of the part it holds."""
    html = HTML.read_text(encoding="utf-8")
    body = html[html.index("<body>") + 6 : html.index("</body>")]
    cut = body.index('<div class="meta group">', body.index("Chapter 1:") + 1)
    first = body[:cut] + "</div>"
    second = '<div id="chapters" class="userstuff calibre2">' + body[cut:]
    return epub(tmp_path / "ao3.epub", {"On_Call_split_000.xhtml": xhtml(first, "On Call"),
                                        "On_Call_split_001.xhtml": xhtml(second, "On Call")}, title="On Call")


def script_json(path, *args):
    result = CliRunner().invoke(main, ["script", str(path), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    return data["title"], data["author"], [
        (c["title"], [(s["kind"], s["speaker"], s["text"]) for s in c["segments"]]) for c in data["chapters"]
    ]


def test_ao3_html_metadata():
    work = ingest(HTML)
    assert (work.title, work.author) == ("On Call", "quietsutures")
    assert work.fandoms == ("Grey's Anatomy",)
    assert work.relationships == ("Lexie Grey/Mark Sloan",)
    assert work.characters == ("Lexie Grey", "Mark Sloan")
    assert work.url == "https://archiveofourown.org/works/48213977"
    assert work.language == "en"
    assert work.summary == "Lexie is thirty-one hours into a shift. Mark has opinions about that."
    assert work.notes == ('Written for a prompt: "coffee on the skybridge".',)
    assert work.end_notes == ("Come say hi on my blog.",)
    assert (work.series, work.series_part) == ("Skybridge Nights", 2)
    assert [c.title for c in work.chapters] == ["Chapter 1: The Night Shift", "Chapter 2: Morning Rounds"]
    first, second = work.chapters
    assert first.summary == "The pit, after midnight." and first.notes == ("Thanks to my beta!",)
    assert second.notes == ("One more chapter? Maybe.",)
    kinds = [p.kind for p in first.paragraphs]
    assert kinds == ["note"] + ["text"] * 6 + ["scene_break", "text"]
    # The stylesheet in <head> is not story text.
    assert "font-family" not in work.text


def test_paragraphs_and_italics():
    work = ingest(HTML)
    thought = work.chapters[0].paragraphs[4]
    assert work.span(thought.start, thought.end) == "Don't look at him, she thought. Don't you dare look at him."
    assert [work.span(s, e) for s, e in thought.italics] == ["Don't look at him,", "Don't you dare look at him."]
    # Italics are thought: narration, never dialogue.
    said = [s.text for s in split(work).segments() if s.kind == DIALOGUE]
    assert not any("look at him" in t for t in said)


@pytest.mark.parametrize("other", ["html", "fff_epub", "ao3_epub"])
@pytest.mark.parametrize("cast", ["auto", "voices"])
def test_same_script_as_plain_text(other, cast, request, fake_voices):
    path = HTML if other == "html" else request.getfixturevalue(other)
    args = ["--voices", str(fake_voices)] if cast == "voices" else []
    expected = script_json(TXT, *args)
    assert script_json(path, *args) == expected
    speakers = {s for _, segments in expected[2] for _, s, _ in segments}
    assert {"Lexie", "Mark"} <= speakers


@pytest.mark.parametrize("reader", ["fff_epub", "ao3_epub"])
def test_epub_metadata(reader, request):
    work = ingest(request.getfixturevalue(reader))
    assert (work.title, work.author) == ("On Call", "quietsutures")
    assert work.fandoms == ("Grey's Anatomy",)
    assert work.characters == ("Lexie Grey", "Mark Sloan")
    assert work.relationships == ("Lexie Grey/Mark Sloan",)
    assert work.url == "https://archiveofourown.org/works/48213977"
    assert work.summary == "Lexie is thirty-one hours into a shift. Mark has opinions about that."
    assert [c.title for c in work.chapters] == ["Chapter 1: The Night Shift", "Chapter 2: Morning Rounds"]
    assert work.chapters[0].summary == "The pit, after midnight."
    assert work.chapters[0].notes == ("Thanks to my beta!",)
    assert work.chapters[1].notes == ("One more chapter? Maybe.",)


def test_single_chapter_ao3_download(tmp_path):
    html = HTML.read_text(encoding="utf-8")
    start, end = html.index('<div id="chapters"'), html.index('<div id="afterword">')
    single = html[:start] + (
        '<div id="chapters" class="userstuff">\n<div class="userstuff"><p>"Hi," Mark said.</p>'
        "<p>Lexie waved.</p></div>\n</div>\n") + html[end:]
    path = tmp_path / "single.html"
    path.write_text(single, encoding="utf-8")
    work = ingest(path)
    assert [c.title for c in work.chapters] == ["On Call"]
    assert [work.span(p.start, p.end) for p in work.chapters[0].paragraphs] == ['"Hi," Mark said.', "Lexie waved."]


def test_format_found_by_content_when_the_extension_lies(tmp_path, fff_epub):
    html_as_txt = tmp_path / "story.txt"
    html_as_txt.write_bytes(HTML.read_bytes())
    epub_as_txt = tmp_path / "story2.txt"
    epub_as_txt.write_bytes(fff_epub.read_bytes())
    for path in (html_as_txt, epub_as_txt):
        assert ingest(path).fandoms == ("Grey's Anatomy",)
    text_as_html = tmp_path / "story.html"
    text_as_html.write_bytes(TXT.read_bytes())
    assert [c.title for c in ingest(text_as_html).chapters] == [c.title for c in ingest(TXT).chapters]


def test_other_html_page(tmp_path):
    path = tmp_path / "page.htm"
    path.write_text(
        "<html><head><title>Storm Watch</title><script>document.write('<p>no</p>')</script></head><body>"
        "<h1>Storm Watch</h1><p>by Quill</p><h2>Chapter 1</h2><p>\"Is it coming?\" Mara asked.</p>"
        "<p><i>Please no,</i> Theo thought.</p><hr><p>Later.</p>"
        "<h2>Chapter 2</h2><p>Line one<br>line two<br><br>A new paragraph.</p></body></html>", encoding="utf-8")
    work = ingest(path)
    assert (work.title, work.author) == ("Storm Watch", "Quill")
    assert [c.title for c in work.chapters] == ["Chapter 1", "Chapter 2"]
    assert [p.kind for p in work.chapters[0].paragraphs] == ["text", "text", "scene_break", "text"]
    thought = work.chapters[0].paragraphs[1]
    assert [work.span(s, e) for s, e in thought.italics] == ["Please no,"]
    assert [work.span(p.start, p.end) for p in work.chapters[1].paragraphs] == [
        "Line one\nline two", "A new paragraph."]
    assert "document.write" not in work.text


def test_other_epub_chapter_per_file(tmp_path):
    path = epub(tmp_path / "plain.epub", {
        "blank.xhtml": "",
        "cover.xhtml": xhtml("<p>Storm Watch</p>"),
        "c1.xhtml": xhtml("<h2>The Cliff</h2><p>\"Run!\" she said.</p>"),
        "c1b.xhtml": xhtml("<p>They ran.</p>"),
        "c2.xhtml": xhtml("<h2>The Harbour</h2><p>Quiet water.</p>"),
    }, title="Storm Watch")
    work = ingest(path)
    assert work.title == "Storm Watch"
    assert [c.title for c in work.chapters] == ["The Cliff", "The Harbour"]
    assert len(work.chapters[0].paragraphs) == 2


def test_characters_from_tags():
    work = ingest(HTML)
    cast = characters_from_tags(work)
    assert [(c.name, c.aliases, c.gender) for c in cast] == [
        ("Lexie Grey", ("Lexie", "Grey"), "unknown"), ("Mark Sloan", ("Mark", "Sloan"), "unknown")]
    from dataclasses import replace

    tagged = replace(work, characters=("Lexie Grey", "Meredith Grey", "Mark Sloan (Grey's Anatomy)",
                                       'James "Bucky" Barnes', "Original Female Character(s)", "Other(s)"))
    assert [(c.name, c.aliases) for c in characters_from_tags(tagged)] == [
        ("Lexie Grey", ("Lexie",)), ("Meredith Grey", ("Meredith",)), ("Mark Sloan", ("Mark", "Sloan")),
        ("James Barnes", ("Bucky", "James", "Barnes"))]


@needs_ffmpeg
@pytest.mark.parametrize("reader", ["html", "fff_epub", "ao3_epub"])
def test_metadata_reaches_the_mp3_tags(reader, request, fake_voices, tmp_path):
    from mutagen.id3 import ID3

    path = HTML if reader == "html" else request.getfixturevalue(reader)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "--quiet", "--jobs", "1", str(path), "--voices", str(fake_voices),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    tags = ID3(out / "on-call.mp3")
    assert str(tags["TIT2"]) == "On Call"
    assert str(tags["TPE1"]) == "quietsutures"
    assert str(tags["TXXX:FANDOM"]) == "Grey's Anatomy"
    assert str(tags["TXXX:SOURCE URL"]) == "https://archiveofourown.org/works/48213977"
    assert tags["WOAS"].url == "https://archiveofourown.org/works/48213977"
    comment = str(tags.getall("COMM")[0])
    assert comment.startswith("Lexie is thirty-one hours into a shift. Mark has opinions about that.")
    assert "text-to-speech" in comment and "not a podfic read by a person" in comment
    assert str(tags["TXXX:SERIES"]) == "Skybridge Nights" and str(tags["TPOS"]) == "2"
    assert str(tags["TCOM"]) == str(tags["TXXX:READER"]) == "ficaudio (test-tone voices)"
    chapters = [str(c.sub_frames["TIT2"]) for c in sorted(tags.getall("CHAP"), key=lambda c: c.start_time)]
    assert chapters == ["Introduction", "Chapter 1: The Night Shift", "Chapter 2: Morning Rounds"]


def test_unclosed_tags_nest_no_deeper_than_python_can_walk(tmp_path):
    path = tmp_path / "old.html"
    path.write_text("<html><body>" + "<font size=2>" * 20000 + "<p>Hello.</p><p>Goodbye.</p></body></html>")
    work = ingest(path)
    assert [work.span(p.start, p.end) for p in work.chapters[0].paragraphs] == ["Hello.", "Goodbye."]
