"""ficaudio audition: a short sample of one character's voice."""

import pytest
from click.testing import CliRunner

from ficaudio import audition as auditionmod
from ficaudio.cli import main
from ficaudio.encode import probe_duration
from ficaudio.errors import EngineError, VoicesError
from ficaudio.voices import load_cast
from tests.conftest import ROOT, needs_espeak, needs_ffmpeg


@needs_ffmpeg
def test_audition_writes_a_short_mp3_of_own_lines(seed, fake_voices, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["audition", "lexie", str(seed), "--voices", str(fake_voices)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "audition-lexie.mp3"
    assert result.output.startswith("audition-lexie.mp3  (")
    assert 2 <= probe_duration(out) <= 35


def test_audition_without_a_story_says_a_stock_sentence(fake_voices):
    sample = auditionmod.audition("Mark", load_cast(fake_voices))
    assert sample.lines == ("Hello, I'm Mark. This is how I sound when I read my lines in your story.",)
    assert sample.profile.voice == "low" and sample.seconds > 2


def test_unknown_name_lists_the_cast_with_a_suggestion(fake_voices):
    with pytest.raises(VoicesError) as err:
        auditionmod.audition("Marc", load_cast(fake_voices))
    message = str(err.value)
    assert "no character called 'Marc'; did you mean Mark?" in message
    assert "Lexie, Mark, Jackson, April" in message
    result = CliRunner().invoke(main, ["audition", "Sloane", "--voices", str(fake_voices)])
    assert result.exit_code == 1 and "did you mean Mark?" in result.output


def test_play_without_a_player_says_so(fake_voices, tmp_path, monkeypatch):
    sample = auditionmod.audition("Mark", load_cast(fake_voices))
    monkeypatch.setattr(auditionmod.shutil, "which", lambda name: None)
    with pytest.raises(EngineError, match="no audio player found .* the sample is in"):
        auditionmod.play(sample, tmp_path / "mark.mp3")


@needs_espeak
@needs_ffmpeg
def test_audition_mark_with_espeak(seed, tmp_path):
    out = tmp_path / "mark.mp3"
    result = CliRunner().invoke(main, ["audition", "Mark", str(seed), "--voices", str(ROOT / "voices.yaml"),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert 2 <= probe_duration(out) <= 120


def test_play_without_a_sound_device_says_so_and_fails(tmp_path, monkeypatch):
    """ffplay exits 0 when it cannot open the sound device; ficaudio must not."""
    from ficaudio.audition import Sample, play
    from ficaudio.errors import EngineError

    fake = tmp_path / "bin" / "ffplay"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'No more combinations to try, audio open failed' >&2\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    with pytest.raises(EngineError, match="could not play the sample.*sound device"):
        play(Sample("Mark", None, ("Hello.",), b"\0\0" * 100), tmp_path / "sample.mp3")
