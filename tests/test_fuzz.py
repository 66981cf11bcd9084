"""Fuzzing the inputs a user (or a hostile file) hands us: voices.yaml, edited scripts,
HTML and EPUB. Whatever comes in, the answer is a result or one of our own errors (a
one-line message), within a time bound; never a traceback or a hang."""

import io
import zipfile

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from ficaudio.errors import FicaudioError  # noqa: E402
from ficaudio.ingest import ingest, parse_text  # noqa: E402
from ficaudio.split import split  # noqa: E402
from ficaudio.voices import parse_cast  # noqa: E402
from tests.epubs import CONTAINER, OPF  # noqa: E402

FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])

YAML_BITS = ["characters:", "narrator:", "defaults:", "  ", "    ", "\n", ": ", "- ", "[", "]", "{", "}", ",",
             "&a ", "*a", "!!python/object:os.system ", "'", '"', "#", "rate: ", "pitch: ", "voice: ", "engine: ",
             "piper", "hibari", "fake", "pyttsx3", "en-us+f3", "Lexie", "aliases: ", "gender: ", "female", "1e999",
             "9" * 50, "-5", "0.5", "null", "~", "ignore:", "pronunciations:", "cover: ", "/dev/zero", "reading:",
             "intro: ", "yes", "model: ", "length_scale: ", "semitones: ", "accent: ", "en-gb", "\t", "\x00", "\u2028"]
yaml_text = st.lists(st.sampled_from(YAML_BITS) | st.text(max_size=8), max_size=60).map("".join)


@FUZZ
@given(yaml_text)
def test_voices_yaml_is_a_cast_or_a_voices_error(raw):
    try:
        parse_cast(raw)
    except FicaudioError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 2000


STORY_BITS = ['"', "\u201c", "\u201d", "'", "\u2018", "\u2019", "said", " Mara", " he", "\n\n", "\n", "* * *",
              "Chapter 1", "Title: ", "Author: ", "Summary:", "A/N:", "\u2014", "...", "?", "!", " ", "Y/N", "I",
              "<<", ">>", "Mr.", "<p>", "</p>", "<br>", "Tags:", "Reader", "POV", "\x0c", "\ufeff"]
story_text = st.lists(st.sampled_from(STORY_BITS) | st.text(max_size=6), max_size=120).map("".join)


@FUZZ
@given(story_text)
def test_any_text_splits_or_is_an_input_error(text):
    try:
        work = parse_text(text, source="fuzz.txt")
    except FicaudioError:
        return
    script = split(work)
    for s in script.segments():
        assert s.start <= s.end and s.text.strip()


HTML_BITS = ["<html>", "</html>", "<!doctype html>", "<!--", "-->", "<body>", "<p>", "</p>", "<div class=\"userstuff\">",
             "</div>", "<h2 class=\"title heading\">", "</h2>", "<dl class=\"tags\">", "<dd>", "</dd>", "<br/>",
             "&amp;", "&#0;", "&#xffffff;", "<script>", "</script>", "\"", "x", " ", "\n", "<?xml version='1.0'?>",
             "<![CDATA[", "]]>", "<meta charset=\"utf-8\">"]
html_text = st.lists(st.sampled_from(HTML_BITS) | st.text(max_size=5), max_size=150).map("".join)


@FUZZ
@given(html_text)
def test_any_html_ingests_or_is_an_input_error(tmp_path_factory, html):
    path = tmp_path_factory.mktemp("html") / "story.html"
    path.write_text(html, encoding="utf-8", errors="surrogatepass")
    try:
        split(ingest(path))
    except FicaudioError:
        pass


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["mimetype", "META-INF/container.xml", "OEBPS/content.opf",
                                           "OEBPS/c1.xhtml", "../x", "/abs", "OEBPS/"]),
                          st.sampled_from([b"", b"application/epub+zip", CONTAINER.format(opf="OEBPS/content.opf").encode(),
                                           OPF.format(title="T", items='<item id="d0" href="c1.xhtml" '
                                                      'media-type="application/xhtml+xml"/>',
                                                      refs='<itemref idref="d0"/>').encode(),
                                           b"<html><body><p>\"Hi,\" he said.</p></body></html>", b"\xff\xfe\x00",
                                           b"<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>"]) | st.binary(max_size=40)),
                max_size=6, unique_by=lambda entry: entry[0]),
       st.integers(0, 200))
def test_any_zip_called_epub_ingests_or_is_an_input_error(tmp_path_factory, entries, cut):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries:
            z.writestr(name, data)
    blob = buf.getvalue()
    path = tmp_path_factory.mktemp("epub") / "story.epub"
    path.write_bytes(blob[: len(blob) - cut] if cut < len(blob) else blob)
    try:
        split(ingest(path))
    except FicaudioError:
        pass


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 80), st.sampled_from(["Lexie", "lex", "NARRATOR", "Nobody", "", ":", "##",
                                                                "Mark: x", "\u00e9"])), max_size=5))
def test_an_edited_script_reads_back_or_is_a_script_error(tmp_path_factory, seed, edits):
    from click.testing import CliRunner

    from ficaudio.cli import main
    from ficaudio.scriptfile import read_script

    folder = tmp_path_factory.mktemp("script")
    story = folder / "story.txt"
    story.write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    script = folder / "story.script"
    result = CliRunner().invoke(main, ["script", str(story), "--out", str(script)])
    assert result.exit_code == 0
    lines = script.read_text(encoding="utf-8").splitlines()
    for at, label in edits:
        k = 8 + at % max(1, len(lines) - 8)
        head, sep, text = lines[k].partition(": ")
        lines[k] = f"{label}{sep}{text}" if sep else label
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        read_script(script)
    except FicaudioError as exc:
        assert "\n" not in str(exc)
