from pathlib import Path

import pytest

from ficaudio.errors import InputError
from ficaudio.ingest import decode, ingest, parse_text


def test_seed_header(seed):
    work = ingest(seed)
    assert work.title == "Little Grey's Anatomy"
    assert work.author is None
    assert work.summary.startswith("Mark and Lexie time.")
    assert len(work.chapters) == 1


def test_chapters_scene_breaks_and_notes(tmp_path):
    from tests.conftest import DATA

    work = ingest(DATA / "chapters.txt")
    assert work.title == "The Storm Chapter"
    assert work.author == "Quill Writer"
    assert work.notes == ("A/N: Thanks to my beta reader!",)
    assert work.end_notes == ("A/N: More soon.",)
    assert [c.title for c in work.chapters] == ["Chapter 1", "Chapter Two: The Storm"]
    kinds = [p.kind for p in work.chapters[0].paragraphs]
    assert kinds == ["text", "text", "scene_break", "text"]


@pytest.mark.parametrize("heading", ["Chapter 2", "Chapter Three: The Storm", "2.", "CHAPTER IV"])
def test_heading_forms(heading):
    text = f"Title Here\n\nFirst words.\n\n{heading}\n\nMore words.\n"
    work = parse_text(text)
    assert len(work.chapters) == 2


@pytest.mark.parametrize("rule", ["* * *", "***", "~~~", "---", "o0o"])
def test_scene_break_forms(rule):
    text = f"Title Here\n\nFirst words.\n\n{rule}\n\nMore words.\n"
    work = parse_text(text)
    assert [p.kind for p in work.chapters[0].paragraphs] == ["text", "scene_break", "text"]


def test_no_headings_is_one_chapter():
    work = parse_text("He walked in. It was late.\n\nShe waited.\n", fallback_title="Night")
    assert work.title == "Night"
    assert len(work.chapters) == 1


def test_encodings_give_same_text(seed):
    original = seed.read_text(encoding="utf-8")
    assert decode(original.encode("utf-8-sig")) == original
    assert decode(original.encode("utf-16")) == original
    assert decode("\u201cHi,\u201d she said.".encode("cp1252")) == "\u201cHi,\u201d she said."


def test_crlf_offsets_point_into_decoded_text():
    text = 'Title\r\n\r\n"Hello," she said.\r\n'
    work = parse_text(text)
    p = work.chapters[0].paragraphs[0]
    assert text[p.start : p.end] == '"Hello," she said.'


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"  \n\t\n", "empty"), (b"\x00\x01\x02binary\xff", "binary")],
)
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "story.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        ingest(path)


def test_missing_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        ingest(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="directory"):
        ingest(tmp_path)


HEADERS = Path(__file__).resolve().parent / "data" / "headers"


def test_a_fanficfare_header_fills_every_field():
    work = ingest(HEADERS / "fanficfare.txt")
    assert (work.title, work.author) == ("The Kettle Problem", "inkwell_moth")
    assert work.fandoms == ("Harbour Lights (TV)",)
    assert work.relationships == ("Dana Okafor/Priya Shah",)
    assert work.characters == ("Dana Okafor", "Priya Shah", "Tom Reyes")
    assert work.tags == ("First Person", "Dana POV", "Fluff")
    assert work.rating == "Teen And Up Audiences"
    assert work.summary == "Dana makes tea. Priya has opinions."
    assert (work.series, work.series_part) == ("Harbour Lights Shorts", 3)
    assert [c.title for c in work.chapters] == ["Chapter 1: Steam", "Chapter 2: Pour"]


@pytest.mark.parametrize("written, expected", [
    ("Part 2 of Skybridge Nights", ("Skybridge Nights", 2)),
    ("Harbour Lights Shorts [3]", ("Harbour Lights Shorts", 3)),
    ("The Lantern Cycle, Part 4", ("The Lantern Cycle", 4)),
    ("Part 1 of Tea | Part 3 of Coffee", ("Tea", 1)),
    ("Night Shifts", ("Night Shifts", None)),
])
def test_series_and_part_as_downloads_write_them(written, expected):
    from ficaudio.formats.textheader import parse_series

    assert parse_series(written) == expected


def test_a_copied_ao3_page_keeps_its_summary_and_notes_out_of_the_story():
    work = ingest(HEADERS / "ao3_page.txt")
    assert (work.title, work.author) == ("Flour on Your Nose", "crumbsandcoffee")
    assert work.tags == ("Reader-Insert", "Second Person", "Fluff")
    assert work.characters == ("Theo Marsh", "Reader")
    assert work.summary == "You only wanted a croissant."
    assert work.notes == ("for my sister, who hates croissants.",)
    assert "thank you for reading!!" in work.end_notes
    story = [work.text[p.start:p.end] for c in work.chapters for p in c.paragraphs if p.kind == "text"]
    assert story[0] == "The bell over the door jangles as you push inside."
    assert story[-1] == '"The sign says open," you point out.'


def test_a_byline_right_under_the_title_and_a_summary_below_it():
    work = ingest(HEADERS / "byline.txt")
    assert (work.title, work.author) == ("The Ferryman Owes the Heron", "quillandcompass")
    assert work.summary == "Four travellers and a mule."
    assert len(work.chapters) == 1
    first = work.chapters[0].paragraphs[0]
    assert work.text[first.start:first.end] == "The rain had been threatening since Carrow Ford."


def test_a_header_without_a_title_field_keeps_its_fields_out_of_the_story():
    text = 'Author: moth\nFandom: Harbour Lights\n\nChapter 1\n\n"Hi," said Ann.\n'
    work = parse_text(text, fallback_title="story")
    assert (work.title, work.author, work.fandoms) == ("story", "moth", ("Harbour Lights",))
    assert [c.title for c in work.chapters] == ["Chapter 1"]


def test_a_pasted_index_of_thousands_of_character_tags_is_cut_to_a_cast():
    from ficaudio.ingest import characters_from_tags

    names = ", ".join(f"Name{i} Person{i}" for i in range(3000))
    work = parse_text(f"Title: X\nCharacters: {names}\n\nStory text. \"Hi,\" said Name5.\n")
    assert len(work.characters) == 3000
    assert len(characters_from_tags(work)) == 100
