"""Level every clip to one loudness, so no voice is lost under another.

Loudness is measured as ITU-R BS.1770 (K-weighting, 400 ms blocks, absolute and
relative gates), the measure ffmpeg's ebur128 filter uses.
"""

from __future__ import annotations

from functools import lru_cache
from math import pi, tan

import numpy as np

from . import defaults

TARGET_LUFS = -19.0  # podcast loudness for mono
PEAK_CEILING = 10 ** (-1.5 / 20)  # keep sample peaks under -1.5 dBFS: true peak stays below -1 dBTP


def _k_weight(x: np.ndarray, rate: int) -> np.ndarray:
    size = 1 << int(np.ceil(np.log2(len(x) + _IMPULSE)))
    return np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(_k_impulse(rate), size), size)[: len(x)]


_IMPULSE = 4096  # the K-filter's response has decayed well before this many samples


@lru_cache(maxsize=4)
def _k_impulse(rate: int) -> np.ndarray:
    """Impulse response of the BS.1770 pre-filter (high shelf) and RLB high-pass at `rate`,
    so the filter runs as one FFT convolution (no scipy needed)."""
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = tan(pi * f0 / rate)
    vh = 10 ** (g / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    b_shelf = np.array([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0])
    a_shelf = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    f0, q = 38.13547087602444, 0.5003270373238773
    k = tan(pi * f0 / rate)
    a_hp = np.array([1.0, 2 * (k * k - 1) / (1 + k / q + k * k), (1 - k / q + k * k) / (1 + k / q + k * k)])
    b_hp = np.array([1.0, -2.0, 1.0])
    h = np.zeros(_IMPULSE)
    h[0] = 1.0
    for b, a in ((b_shelf, a_shelf), (b_hp, a_hp)):
        h = _biquad(h, b, a)
    return h


def _biquad(x: np.ndarray, b: np.ndarray, a: np.ndarray) -> np.ndarray:
    y = np.zeros_like(x)
    x1 = x2 = y1 = y2 = 0.0
    for i, xi in enumerate(x):
        yi = b[0] * xi + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
        x2, x1, y2, y1 = x1, xi, y1, yi
        y[i] = yi
    return y


def integrated_loudness(samples: np.ndarray, rate: int) -> float | None:
    """BS.1770 integrated loudness in LUFS of mono float samples in [-1, 1]; None if silent."""
    block, step = int(0.4 * rate), int(0.1 * rate)
    if len(samples) < block:
        samples = np.pad(samples, (0, block - len(samples)))
    y = _k_weight(samples, rate) ** 2
    csum = np.concatenate(([0.0], np.cumsum(y)))
    starts = np.arange(0, len(y) - block + 1, step)
    power = (csum[starts + block] - csum[starts]) / block
    loud = -0.691 + 10 * np.log10(np.maximum(power, 1e-12))
    gated = power[loud > -70]
    if gated.size == 0:
        return None
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10
    gated = power[(loud > -70) & (loud > relative)]
    if gated.size == 0:
        return None
    return float(-0.691 + 10 * np.log10(gated.mean()))


def level(clip):
    """The clip at TARGET_LUFS, its peaks held under the ceiling."""
    from .synthesize import Clip

    x = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64) / 32768.0
    if x.size == 0:
        return clip
    measured = integrated_loudness(x, clip.rate)
    if measured is None:
        return clip
    x = x * 10 ** ((TARGET_LUFS - measured) / 20)
    peak = np.abs(x).max()
    if peak > PEAK_CEILING:
        x = _limit(x, PEAK_CEILING)
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2").tobytes()
    return Clip(pcm, clip.rate)


def _limit(x: np.ndarray, ceiling: float) -> np.ndarray:
    """A soft-knee limiter: gain rides down smoothly where the signal would exceed the ceiling."""
    env = np.abs(x)
    win = max(1, int(defaults.WORK_RATE * 0.005))
    kernel = np.ones(win) / win
    # Peak-hold then smooth, so the gain reduction starts a few ms before the peak.
    held = np.maximum.reduce([np.roll(env, s) for s in range(-win, win + 1, max(1, win // 4))])
    gain = np.minimum(1.0, ceiling / np.maximum(held, 1e-9))
    gain = np.convolve(gain, kernel, mode="same")
    return np.clip(x * gain, -ceiling, ceiling)
