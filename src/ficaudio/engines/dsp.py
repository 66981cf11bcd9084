"""Signal processing the neural engines share: pitch offsets and the work rate.

A pitch shift lets one single-speaker model give several characters voices of their
own: the line is time-stretched by the pitch factor with WSOLA (which copies whole
stretches of waveform, aligned on their pitch periods, so speech keeps its attacks and
none of a phase vocoder's phasing), then resampled back to its length. Pitch and
formants move together, as between a smaller and a larger speaker; within +-4
semitones that reads as another person rather than as a processed voice, and it tells
characters apart better than a formant-keeping shift, which would leave every character
with the same vocal tract.
"""

from __future__ import annotations

import numpy as np
from pydub import AudioSegment

from .. import defaults


def shift_pitch(audio: np.ndarray, rate: int, semitones: float) -> np.ndarray:
    """Float audio at `rate`, shifted by `semitones` and brought to the work rate; one
    resampling both undoes the stretch and converts the rate."""
    n_out = int(round(len(audio) * defaults.WORK_RATE / rate))
    return resample(stretch(audio, 2 ** (semitones / 12)), n_out)


def to_segment(audio: np.ndarray) -> AudioSegment:
    """Float audio at the work rate as 16-bit PCM."""
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")
    return AudioSegment(data=pcm.tobytes(), sample_width=2, frame_rate=defaults.WORK_RATE, channels=1)


def resample(x: np.ndarray, n_out: int) -> np.ndarray:
    """Band-limited resampling by resizing the spectrum: nothing above the lower of the
    two Nyquist frequencies survives, so there is neither aliasing nor imaging."""
    if n_out == len(x) or len(x) == 0:
        return x
    pad = 1024  # silence at both ends, so the FFT's wrap-around cannot reach the speech
    padded = np.pad(x.astype(np.float64), pad)
    ratio = n_out / len(x)
    m = int(round(len(padded) * ratio))
    spectrum = np.fft.rfft(padded)[: m // 2 + 1]
    y = np.fft.irfft(spectrum, m) * (m / len(padded))
    start = int(round(pad * ratio))
    return y[start : start + n_out]


_FRAME = 512  # 23 ms at 22050 Hz: two pitch periods of a low voice
_HOP = _FRAME // 2
_TOLERANCE = 220  # how far a frame may move to line up: one period at 100 Hz


def stretch(x: np.ndarray, factor: float) -> np.ndarray:
    """WSOLA time-stretch to `factor` times the length, pitch unchanged: each frame is
    taken near its nominal place where it best continues the previous one, then the
    frames are overlap-added with a Hann window."""
    if factor == 1.0 or len(x) < _FRAME:
        return x
    n_out = int(round(len(x) * factor))
    padded = np.pad(x.astype(np.float64), (_TOLERANCE, _TOLERANCE + _FRAME + _HOP))
    window = np.hanning(_FRAME + 1)[:_FRAME]  # periodic: overlapping at _HOP, it sums to 1
    frames = n_out // _HOP + 1
    out = np.zeros(frames * _HOP + _FRAME)
    taken = _TOLERANCE
    out[:_FRAME] = window * padded[taken : taken + _FRAME]
    for k in range(1, frames):
        nominal = _TOLERANCE + int(round(k * _HOP / factor))
        follows = padded[taken + _HOP : taken + _HOP + _FRAME]
        region = padded[nominal - _TOLERANCE : nominal + _TOLERANCE + _FRAME]
        taken = nominal - _TOLERANCE + int(np.argmax(np.correlate(region, follows, "valid")))
        out[k * _HOP : k * _HOP + _FRAME] += window * padded[taken : taken + _FRAME]
    return out[:n_out]
