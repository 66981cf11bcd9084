"""Editing a script: change a speaker label, read it back, nothing else changes."""

import json
import shutil

import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from ficaudio.errors import ScriptError
from ficaudio.scriptfile import is_script, read_script
from ficaudio.voices import load_cast
from tests.conftest import needs_ffmpeg

LINE = "You okay, Lex?"


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def story(seed, tmp_path):
    path = tmp_path / "story.txt"
    shutil.copy(seed, path)
    return path


@pytest.fixture
def script_file(story, fake_voices, tmp_path):
    path = tmp_path / "scripts" / "story.script"
    path.parent.mkdir()
    run("script", story, "--voices", fake_voices, "--out", path)
    return path


def _relabel(path, text, label):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.split(": ", 1)[-1].rstrip("\n") == text]
    assert len(hits) == 1, hits
    old = lines[hits[0]].split(": ", 1)[0]
    lines[hits[0]] = f"{label}: {text}\n"
    path.write_text("".join(lines), encoding="utf-8")
    return old, hits[0] + 1


def test_header_names_the_source_relative_to_the_script(script_file):
    head = script_file.read_text(encoding="utf-8").splitlines()[:4]
    assert head[0].startswith("# ficaudio script")
    assert head[1] == "# source: ../story.txt"
    assert head[2].startswith("# sha256: ") and len(head[2]) == len("# sha256: ") + 64
    assert is_script(script_file)


def test_changing_one_label_changes_one_speaker(story, script_file, fake_voices):
    before = json.loads(run("script", story, "--voices", fake_voices, "--format", "json"))
    old, _ = _relabel(script_file, LINE, "Jackson")
    new = "April" if old == "Jackson" else "Jackson"
    _relabel(script_file, LINE, new)
    after = json.loads(run("script", script_file, "--voices", fake_voices, "--format", "json"))

    flat = lambda doc: [s for ch in doc["chapters"] for s in ch["segments"]]  # noqa: E731
    changed = [(a, b) for a, b in zip(flat(before), flat(after)) if a != b]
    assert len(flat(before)) == len(flat(after)) and len(changed) == 1
    a, b = changed[0]
    assert a["text"] == LINE and b["speaker"] == new and b["confidence"] == 1.0
    assert {k: v for k, v in a.items() if k not in ("speaker", "confidence")} == \
        {k: v for k, v in b.items() if k not in ("speaker", "confidence")}
    assert {k: v for k, v in before.items() if k != "chapters"} == {k: v for k, v in after.items() if k != "chapters"}


def test_unchanged_script_reads_back_identically(story, script_file, fake_voices):
    cast = load_cast(fake_voices)
    direct = run("script", story, "--voices", fake_voices, "--format", "json")
    assert run("script", script_file, "--voices", fake_voices, "--format", "json") == direct
    assert read_script(script_file, cast).work.text == story.read_text(encoding="utf-8")


def test_script_of_a_script_is_the_edited_script(script_file, fake_voices, tmp_path):
    _relabel(script_file, LINE, "Mark")
    again = tmp_path / "scripts" / "again.script"
    run("script", script_file, "--voices", fake_voices, "--out", again)
    assert again.read_text(encoding="utf-8") == script_file.read_text(encoding="utf-8")


def test_unknown_speaker_names_the_line(script_file, fake_voices):
    _, lineno = _relabel(script_file, LINE, "Lexy")
    result = CliRunner().invoke(main, ["script", str(script_file), "--voices", str(fake_voices)])
    assert result.exit_code == 1
    assert f"story.script:{lineno}: unknown speaker 'Lexy'" in result.output
    assert "did you mean Lexie?" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("label", ["lexie", "Lex", "LITTLE GREY"])
def test_a_label_may_be_any_case_or_an_alias(script_file, fake_voices, label):
    _relabel(script_file, LINE, label)
    result = CliRunner().invoke(main, ["script", str(script_file), "--voices", str(fake_voices), "--format", "json"])
    assert result.exit_code == 0, result.output
    line = next(seg for ch in json.loads(result.output)["chapters"] for seg in ch["segments"] if seg["text"] == LINE)
    assert (line["speaker"], line["confidence"]) == ("Lexie", 1.0)


def test_edited_text_is_an_error_naming_the_line(script_file, fake_voices):
    text = script_file.read_text(encoding="utf-8")
    script_file.write_text(text.replace(f": {LINE}\n", ": You OK, Lex?\n"), encoding="utf-8")
    lineno = text.splitlines().index(next(line for line in text.splitlines() if line.endswith(LINE))) + 1
    with pytest.raises(ScriptError, match=rf"story.script:{lineno}: the text of this line differs"):
        read_script(script_file, load_cast(fake_voices))


def test_changed_source_offers_to_carry_the_speakers_over(story, script_file, fake_voices):
    story.write_text(story.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    with pytest.raises(ScriptError, match=r"has changed since this script was written; `ficaudio script \S+ --carry"):
        read_script(script_file, load_cast(fake_voices))


@needs_ffmpeg
def test_render_of_a_script_whose_story_changed_is_not_up_to_date(story, script_file, fake_voices, tmp_path):
    _relabel(script_file, LINE, "Lexie")
    out = tmp_path / "out"
    run("render", script_file, "--voices", fake_voices, "--out", out, "--quiet")
    story.write_text(story.read_text(encoding="utf-8").replace("Want me to come with?", "Want company?"),
                     encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(script_file), "--voices", str(fake_voices), "--out", str(out)])
    assert result.exit_code == 1 and "up to date" not in result.output
    assert "--carry" in result.output and "redo" not in result.output
    # Carried over: the hand-set speaker stays on its line; the edited script is untouched.
    before = script_file.read_text(encoding="utf-8")
    carried = tmp_path / "new.script"
    result = CliRunner().invoke(main, ["script", str(script_file), "--carry", "--voices", str(fake_voices),
                                       "--out", str(carried)])
    assert result.exit_code == 0, result.output
    assert "no longer in the story" in result.stderr and "1 line of the old script is" in result.stderr
    assert f"Lexie: {LINE}" in carried.read_text(encoding="utf-8")
    assert script_file.read_text(encoding="utf-8") == before
    run("render", carried, "--voices", fake_voices, "--out", out, "--quiet")


def test_carry_takes_a_script_only(story):
    result = CliRunner().invoke(main, ["script", str(story), "--carry"])
    assert result.exit_code == 1 and "--carry takes an edited script" in result.output


def test_missing_source_points_at_the_header(script_file, story, fake_voices):
    story.unlink()
    with pytest.raises(ScriptError, match=r"story.script:2: the source story \.\./story.txt is not found"):
        read_script(script_file, load_cast(fake_voices))


@needs_ffmpeg
def test_render_uses_the_edited_speaker(script_file, fake_voices, tmp_path):
    old, _ = _relabel(script_file, LINE, "Mark")
    assert old != "Mark"
    out = tmp_path / "out"
    run("render", "--quiet", script_file, "--voices", fake_voices, "--out", out)
    cues = (out / "little-greys-anatomy.vtt").read_text(encoding="utf-8")
    assert f"<v Mark>{LINE}" in cues
