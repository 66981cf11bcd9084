"""hibari voices, and the neural cast a story gets without a voices.yaml."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from ficaudio.errors import EngineError, VoicesError
from ficaudio.synthesize import Line, synthesize_line
from ficaudio.voices import VoiceProfile, check_cast, neural_installed, parse_cast
from tests.conftest import needs_ffmpeg

try:
    import hibari  # noqa: F401

    HAVE_HIBARI = True
except ImportError:
    HAVE_HIBARI = False

needs_hibari = pytest.mark.skipif(not HAVE_HIBARI, reason="needs hibari-tts (pip install 'ficaudio[neural]')")
needs_neural = pytest.mark.skipif(not neural_installed(),
                                  reason="needs the neural extra (pip install 'ficaudio[neural]')")


@pytest.fixture(autouse=True)
def _no_downloaded_voices(tmp_path, monkeypatch):
    """Only the voice inside the wheel: the tests must not depend on a user's downloads."""
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path / "hibari-voices"))


def hibari_profile(voice="heart", **options) -> VoiceProfile:
    return VoiceProfile(engine="hibari", voice=voice, options=tuple(sorted(options.items())))


def pcm(clip) -> np.ndarray:
    return np.frombuffer(clip.pcm, dtype="<i2").astype(float)


def median_pitch(x, rate=22050) -> float:
    from tests.test_render import _frame_pitches

    return float(np.median(_frame_pitches(x, rate)))


@needs_hibari
def test_heart_speaks_as_a_woman_and_speed_and_semitones_do_what_they_say():
    text = "I told you already, I'm not going back to the hospital tonight."
    plain = synthesize_line(Line(text, hibari_profile()))
    assert 2.0 < plain.samples / 22050 < 8.0
    assert median_pitch(pcm(plain)) >= 165
    faster = synthesize_line(Line(text, hibari_profile(speed=1.3)))
    assert faster.samples < 0.9 * plain.samples
    higher = synthesize_line(Line(text, hibari_profile(semitones=3)))
    assert abs(higher.samples - plain.samples) < 0.02 * plain.samples
    assert median_pitch(pcm(higher)) > 1.12 * median_pitch(pcm(plain))
    # A fixed noise seed: the same line sounds the same every time.
    assert synthesize_line(Line(text, hibari_profile())).pcm == plain.pcm


@needs_hibari
def test_a_voice_that_is_not_on_this_machine_stops_before_any_audio(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text('A Test\n\n"Hello," said Jack.\n')
    voices = tmp_path / "voices.yaml"
    voices.write_text("narrator: {engine: hibari, voice: heart}\n"
                      "characters:\n  Jack: {gender: male, engine: hibari, voice: fenrir}\n")
    result = CliRunner().invoke(main, ["render", "--quiet", str(story), "--voices", str(voices),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    message = result.output
    assert "voices.yaml:3" in message and "fenrir" in message and "am_fenrir_v2.int8.onnx" in message
    assert str(tmp_path / "hibari-voices") in message and "never downloads" in message
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@needs_hibari
def test_hibari_profiles_are_checked_with_the_key_to_fix():
    cast = parse_cast("narrator: {engine: hibari, voice: haert}\n")
    with pytest.raises(VoicesError, match="did you mean heart"):
        check_cast(cast)
    for bad, hint in (("speed: 3", "speed = 3 is out of range"), ("semitones: 9", "semitones = 9"),
                      ("rate: 200", "pace a hibari voice with speed")):
        with pytest.raises(VoicesError, match=hint):
            check_cast(parse_cast(f"narrator: {{engine: hibari, voice: heart, {bad}}}\n"))


def test_without_hibari_the_message_says_what_to_install(monkeypatch):
    from ficaudio.engines import hibari as engine

    real = engine.util.find_spec
    monkeypatch.setattr(engine.util, "find_spec", lambda name: None if name == "hibari" else real(name))
    with pytest.raises(EngineError, match=r"pip install 'ficaudio\[neural\]'"):
        engine.HibariEngine().check(hibari_profile())


@needs_neural
@needs_ffmpeg
def test_a_story_without_voices_yaml_gets_a_neural_cast_of_the_right_genders(seed, tmp_path, monkeypatch):
    """The acceptance case: women above 165 Hz, men under 140 Hz, and no two characters
    who share a scene on the same voice at the same pace."""
    from ficaudio.castfile import cast_stories
    from tests.test_render import _seconds

    monkeypatch.chdir(tmp_path)
    story = tmp_path / "story.txt"
    story.write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(main, ["render", "--quiet", str(story), "--out", "out"])
    assert result.exit_code == 0, result.output
    mp3 = next(Path("out").glob("*.mp3"))
    audio = np.frombuffer(subprocess.run(["ffmpeg", "-v", "error", "-i", str(mp3), "-f", "s16le", "-ac", "1",
                                          "-ar", "16000", "-"], capture_output=True, check=True).stdout,
                          dtype="<i2").astype(float)
    from tests.test_render import _frame_pitches

    pitches = {}
    for block in next(Path("out").glob("*.vtt")).read_text().split("\n\n")[1:]:
        lines = block.strip().splitlines()
        start, end = (_seconds(t) for t in lines[1].split(" --> "))
        pitches.setdefault(lines[2].split(">")[0][3:], []).extend(
            _frame_pitches(audio[int(start * 16000) : int(end * 16000)], 16000))
    medians = {name: np.median(found) for name, found in pitches.items()}
    assert medians["Lexie"] >= 165 and medians["April"] >= 165
    assert medians["Mark"] <= 140 and medians["Jackson"] <= 140

    written = cast_stories([story], tmp_path / "voices.yaml")
    cast = parse_cast((tmp_path / "voices.yaml").read_text(), "voices.yaml")
    check_cast(cast)
    assert cast.narrator.engine == "hibari"
    profiles = {row.name: row.profile for row in written.rows}
    assert {p.engine for p in profiles.values()} <= {"hibari", "piper"}
    voices_and_paces = [(p.engine, p.voice, p.option("model"), p.option("speed"), p.option("length_scale"))
                        for p in profiles.values()]
    assert len(set(voices_and_paces)) == len(voices_and_paces)
