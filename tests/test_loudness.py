import hashlib
import re
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner
from pydub import AudioSegment

from ficaudio import loudness
from ficaudio.cli import main
from ficaudio.engines import register
from ficaudio.engines.fake import FakeEngine
from ficaudio.synthesize import Clip
from tests.conftest import needs_ffmpeg

RATE = 22050


def ebur128(data: bytes, *input_args: str) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg's ebur128 filter measures them."""
    proc = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", *input_args, "-i", "pipe:0",
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        input=data, capture_output=True, check=True,
    )
    summary = proc.stderr.decode()
    summary = summary[summary.rindex("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return lufs, peak


def pcm_args(rate=RATE):
    return ("-f", "s16le", "-ar", str(rate), "-ac", "1")


def to_pcm(x):
    return np.clip(np.round(x * 32767), -32768, 32767).astype("<i2").tobytes()


def from_pcm(data):
    return np.frombuffer(data, "<i2").astype(float) / 32768


def speechlike(seconds, seed=0):
    """Noise shaped like syllables, with plosive-like bursts: loud peaks over a quiet body."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    x = rng.standard_normal(n) * 0.05 * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)) ** 2
    burst = 0.4 * np.hanning(60) * np.sin(2 * np.pi * 1500 * np.arange(60) / RATE)
    for at in rng.integers(0, n - 60, 40):
        x[at : at + 60] += burst
    return x


def oversampled_peak_db(x, factor=16):
    n = len(x)
    y = np.fft.irfft(np.fft.rfft(x, 2 * n), 2 * n * factor) * factor
    return 20 * np.log10(np.abs(y).max())


def test_full_scale_997_hz_sine_is_minus_3_lufs():
    """The calibration point of BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01."""
    t = np.arange(5 * RATE) / RATE
    assert loudness.integrated_loudness(np.sin(2 * np.pi * 997 * t), RATE) == pytest.approx(-3.01, abs=0.05)


@needs_ffmpeg
def test_k_weighting_agrees_with_ffmpeg():
    x = speechlike(6, seed=1)
    ours = loudness.integrated_loudness(from_pcm(to_pcm(x)), RATE)
    assert ours == pytest.approx(ebur128(to_pcm(x), *pcm_args())[0], abs=0.1)


def test_level_hits_target_and_holds_peaks_under_the_ceiling():
    clip = loudness.level(Clip(to_pcm(speechlike(4))))
    y = from_pcm(clip.pcm)
    target = loudness.TARGET_LUFS + loudness.CODEC_LOSS_LU
    assert loudness.integrated_loudness(y, RATE) == pytest.approx(target, abs=0.2)
    assert np.abs(y).max() <= loudness.PEAK_CEILING
    # Headroom is left for MP3 encoding to overshoot without passing -1 dBTP.
    assert oversampled_peak_db(y) <= -1.6


def test_volume_shifts_a_voice_from_the_common_loudness():
    x = to_pcm(speechlike(4))
    full = loudness.integrated_loudness(from_pcm(loudness.level(Clip(x)).pcm), RATE)
    half = loudness.integrated_loudness(from_pcm(loudness.level(Clip(x), volume=0.5).pcm), RATE)
    assert full - half == pytest.approx(6.0, abs=0.3)


def test_short_line_is_levelled_like_a_long_one():
    """A one-word line is not read as quieter than it sounds (padding it to a 400 ms block
    would) and pushed above its neighbours."""
    t = np.arange(int(3 * RATE)) / RATE
    tone = 0.1 * np.sin(2 * np.pi * 300 * t)
    long = from_pcm(loudness.level(Clip(to_pcm(tone))).pcm)
    short = from_pcm(loudness.level(Clip(to_pcm(tone[: int(0.2 * RATE)]))).pcm)
    assert np.abs(short).max() == pytest.approx(np.abs(long).max(), rel=0.05)


def test_silence_and_empty_clips_pass_through():
    for pcm in (b"", bytes(2 * RATE)):
        assert loudness.level(Clip(pcm)).pcm == pcm


@register("uneven")
class UnevenEngine(FakeEngine):
    """The fake engine's timing with speech-like sound (peaks well above the body) and
    voices as uneven as real engines' are: 30 dB between the quietest and the loudest."""

    RAW_GAIN_DB = {"narrator": -20.0, "high": 9.0, "low": -12.0}

    def synthesize(self, text, profile):
        n = len(super().synthesize(text, profile).raw_data) // 2
        seed = int(hashlib.sha1(f"{profile.voice} {text}".encode()).hexdigest()[:8], 16)
        x = speechlike(n / RATE, seed) * 10 ** (self.RAW_GAIN_DB.get(profile.voice, 0.0) / 20)
        return AudioSegment(data=to_pcm(x), sample_width=2, frame_rate=RATE, channels=1)


@needs_ffmpeg
def test_every_voice_and_the_whole_book_meet_podcast_loudness(seed, fake_voices, tmp_path):
    """Voices that leave the engine at very different levels come out equally loud (but
    for the one the user turned down), and the MP3 as a whole measures -19 LUFS (mono)
    within 1 LU with true peaks at most -1 dBTP, as ffmpeg measures them."""
    text = fake_voices.read_text().replace("engine: fake", "engine: uneven")
    jackson = "engine: uneven, voice: male}"
    fake_voices.write_text(text.replace(f"Avery], gender: male, {jackson}", f"Avery], gender: male, {jackson[:-1]}, volume: 0.5}}"))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "--quiet", "--jobs", "1", str(seed), "--voices", str(fake_voices),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    mp3 = (out / "little-greys-anatomy.mp3").read_bytes()

    lufs, peak = ebur128(mp3)
    assert -20.0 <= lufs <= -18.0
    assert peak <= -1.0

    rate = 44100
    audio = subprocess.run(["ffmpeg", "-v", "error", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"],
                           input=mp3, capture_output=True, check=True).stdout
    by_voice: dict[str, list[bytes]] = {}
    for start, end, speaker in _cues((out / "little-greys-anatomy.vtt").read_text()):
        by_voice.setdefault(speaker, []).append(audio[2 * int(start * rate) : 2 * int(end * rate)])
    # A voice's lines back to back: a one-word line between pauses would be diluted by
    # the silence around it in a 400 ms block.
    levels = {speaker: ebur128(b"".join(spans), *pcm_args(rate))[0] for speaker, spans in by_voice.items()}
    turned_down = levels.pop("Jackson")
    assert {"Narrator", "Lexie", "Mark"} <= set(levels)
    for value in levels.values():
        assert -20.0 <= value <= -18.0, levels
    assert max(levels.values()) - min(levels.values()) <= 1.0, levels
    assert np.mean(list(levels.values())) - turned_down == pytest.approx(6.0, abs=1.0)


def _cues(vtt):
    for block in vtt.split("\n\n")[1:]:
        lines = block.strip().splitlines()
        if len(lines) >= 3 and " --> " in lines[1]:
            start, end = (_seconds(s) for s in lines[1].split(" --> "))
            yield start, end, re.match(r"<v ([^>]+)>", lines[2]).group(1)


def _seconds(stamp):
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_block_true_peaks_match_full_oversampling_near_the_ceiling():
    """The limiter oversamples only blocks that can reach the ceiling; there its block
    peaks must equal a 4x oversampling of every sample."""
    import numpy as np

    from ficaudio.loudness import _LIMITER_BLOCK, _TAPS, PEAK_CEILING, _block_peaks, _interpolators

    rng = np.random.default_rng(7)
    # Band-limited noise with loud bursts, like speech.
    x = np.convolve(rng.standard_normal(40_000), np.hanning(9) / 4, "same").astype(np.float32)
    x[10_000:12_000] *= 4
    x /= np.abs(x).max()
    env = np.abs(x)
    for h in _interpolators():
        between = np.convolve(x, h[::-1], mode="full")[_TAPS // 2 : _TAPS // 2 + len(x)]
        env = np.maximum(env, np.abs(between))
    blocks = -(-len(x) // _LIMITER_BLOCK)
    padded = np.zeros(blocks * _LIMITER_BLOCK, dtype=np.float32)
    padded[: len(x)] = env
    full = padded.reshape(blocks, _LIMITER_BLOCK).max(axis=1)
    fast = _block_peaks(x, 1.0)
    hot = full > PEAK_CEILING
    assert hot.any()
    assert np.allclose(fast[hot], full[hot], atol=1e-5)
    assert (fast <= full + 1e-5).all()
