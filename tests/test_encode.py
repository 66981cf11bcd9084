"""MP3 units from libmp3lame in this process and from ffmpeg: the same frames, the same timing."""

import subprocess

import numpy as np
import pytest

from ficaudio import defaults, encode
from ficaudio.encode import Settings, encode_pcm


def _decoded(data: bytes) -> np.ndarray:
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "mp3", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "pipe:1"],
                         input=data, capture_output=True, check=True).stdout
    return np.frombuffer(out, "<i2").astype(np.float64)


def _burst_unit() -> tuple[bytes, int]:
    """Half a second of silence, a tenth of a second of 1 kHz, silence: and where the
    burst starts in the output, by the codec's own account."""
    rate = defaults.WORK_RATE
    t = np.arange(rate // 10) / rate
    pcm = np.concatenate([np.zeros(rate // 2), 12000 * np.sin(2 * np.pi * 1000 * t), np.zeros(rate // 2)])
    settings = Settings(format="mp3")
    onset = settings.codec.delay + (rate // 2) * settings.rate // rate
    return pcm.astype("<i2").tobytes(), onset


def _onset(samples: np.ndarray) -> int:
    return int(np.flatnonzero(np.abs(samples) > 2000)[0])


@pytest.mark.skipif(encode._lame() is None, reason="libmp3lame is not installed")
def test_libmp3lame_in_this_process_places_the_audio_where_ffmpeg_does(monkeypatch):
    pcm, onset = _burst_unit()
    ours = encode_pcm(pcm, defaults.WORK_RATE, Settings(format="mp3"))
    monkeypatch.setattr(encode, "_lame", lambda: None)
    theirs = encode_pcm(pcm, defaults.WORK_RATE, Settings(format="mp3"))
    assert ours != theirs  # two encoders, really
    a, b = _decoded(ours), _decoded(theirs)
    assert len(a) == len(b) == Settings().codec.decoded_samples(len(pcm) // 2 * 2)
    # A sample of the burst's start at 44.1 kHz is 23 microseconds.
    assert abs(_onset(a) - onset) <= 4 and abs(_onset(b) - onset) <= 4
    burst = slice(onset + 200, onset + 4000)
    assert np.corrcoef(a[burst], b[burst])[0, 1] > 0.99


@pytest.mark.skipif(encode._lame() is None, reason="libmp3lame is not installed")
def test_each_encoder_keys_its_own_units_in_the_cache(monkeypatch):
    ours = encode.encoder_id(Settings(format="mp3"))
    monkeypatch.setattr(encode, "_lame", lambda: None)
    assert encode.encoder_id(Settings(format="mp3")) == "ffmpeg" != ours
    assert encode.encoder_id(Settings(format="m4b")) == "ffmpeg"
