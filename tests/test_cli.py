import json

import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from tests.conftest import needs_espeak


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_script_json_is_pure_json_with_offsets(seed, fake_voices):
    result = run("script", str(seed), "--voices", str(fake_voices), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["title"] == "Little Grey's Anatomy" and data["author"] is None
    text = seed.read_text(encoding="utf-8")
    segments = [s for c in data["chapters"] for s in c["segments"]]
    dialogue = [s for s in segments if s["kind"] == "dialogue"]
    assert len(dialogue) == 31
    for s in segments:
        assert " ".join(text[s["start"] : s["end"]].split()) == s["text"]
    for s in dialogue:
        assert text[s["start"] - 1] in "\"\u201c"
    assert {s["speaker"] for s in dialogue} <= {"Lexie", "Mark", "Jackson", "April"}


def test_script_text_has_the_speaker_first(seed, fake_voices):
    result = run("script", str(seed), "--voices", str(fake_voices))
    assert result.exit_code == 0
    assert "\nNarrator: Jackson Avery was any woman's vision" in result.stdout


@needs_espeak
def test_voices_lists_espeak_ids():
    result = run("voices")
    assert result.exit_code == 0
    assert "en-us" in result.stdout and "f3" in result.stdout


@pytest.mark.parametrize("command", ["render", "script", "voices", "cache", "check"])
def test_every_command_has_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output and f"ficaudio {command}" in result.output


def test_user_mistakes_are_one_line_errors(tmp_path, seed):
    missing = run("script", str(tmp_path / "nope.txt"))
    assert missing.exit_code != 0 and "no such file" in missing.output
    bad = tmp_path / "voices.yaml"
    bad.write_text("characters:\n  Lexie: {voice: en-us+f3\n")
    malformed = run("script", str(seed), "--voices", str(bad))
    assert malformed.exit_code != 0 and "voices.yaml:" in malformed.output
    for result in (missing, malformed):
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


@needs_espeak
def test_unknown_voice_is_refused_before_any_audio(tmp_path, seed):
    voices = tmp_path / "voices.yaml"
    voices.write_text("characters:\n  Lexie:\n    gender: female\n    voice: en-us+f33\n")
    out = tmp_path / "out"
    result = run("render", str(seed), "--voices", str(voices), "--out", str(out))
    assert result.exit_code != 0
    assert "voices.yaml:4" in result.output and "en-us+f33" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_uncertain_lists_the_least_certain_lines_with_their_line_numbers(seed):
    result = run("script", str(seed), "--uncertain", "3")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert len(rows) == 3
    confidences = [float(r.split()[1]) for r in rows]
    assert confidences == sorted(confidences)
    text_form = run("script", str(seed)).stdout.splitlines()
    for row in rows:
        number, _, line = row.split(maxsplit=2)
        assert text_form[int(number) - 1] == line


def test_render_uses_the_voices_yaml_beside_the_story_and_says_so(seed, fake_voices, tmp_path, monkeypatch):
    import shutil

    story = tmp_path / "fic" / "story.txt"
    story.parent.mkdir()
    shutil.copy(seed, story)
    shutil.copy(fake_voices, story.parent / "voices.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(main, ["render", str(story), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"casting from {story.parent / 'voices.yaml'} (beside the story)" in result.output
    # the fake engine's voices were used: the story was cast from that file
    script = CliRunner().invoke(main, ["script", str(story), "--format", "json"])
    assert {"Lexie", "Mark"} <= {s["speaker"] for ch in json.loads(script.output)["chapters"] for s in ch["segments"]}


def test_render_without_any_voices_yaml_says_it_casts_automatically(tmp_path, monkeypatch):
    story = tmp_path / "story.txt"
    story.write_text('A Story\n\n"Hi," said Ann.\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    from ficaudio import cli

    found, how = cli.find_voices(story, None)
    assert found is None and "cast automatically" in how
