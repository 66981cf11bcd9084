"""Level every clip to one loudness, so no voice is lost under another.

Loudness follows ITU-R BS.1770 (K-weighting, 400 ms blocks, absolute and relative
gates), the measure of ffmpeg's ebur128 filter; podcasts want -19 LUFS for mono with
true peaks under -1 dBTP.
"""

from __future__ import annotations

from functools import lru_cache
from math import pi, tan

import numpy as np

TARGET_LUFS = -19.0  # podcast loudness for mono
# Sample peaks stay under -2 dBFS, so that after resampling and MP3 encoding the true
# peak stays under the -1 dBTP podcast limit.
PEAK_CEILING = 10 ** (-2.0 / 20)
_LIMITER_BLOCK = 64  # samples: about 3 ms at 22,050 Hz


@lru_cache(maxsize=4)
def _k_coefficients(rate: int):
    """BS.1770's pre-filter (a high shelf) and RLB high-pass, as biquads at `rate`."""
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = tan(pi * f0 / rate)
    vh = 10 ** (g / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = (
        ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0),
        (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0),
    )
    f0, q = 38.13547087602444, 0.5003270373238773
    k = tan(pi * f0 / rate)
    a0 = 1 + k / q + k * k
    highpass = ((1.0, -2.0, 1.0), (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0))
    return shelf, highpass


def _smooth_size(n: int) -> int:
    """The smallest 2-3-5-smooth number >= n. An FFT of a length with a large prime
    factor is many times slower; zero padding leaves the power ratio as it is."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            size = p35
            while size < n:
                size *= 2
            best = min(best, size)
            p35 *= 3
        p5 *= 5
    return best


_BANDS = 1024  # the K-weighting response is smooth: 1024 bands resolve it to 0.01 dB


@lru_cache(maxsize=4)
def _k_band_response(rate: int) -> np.ndarray:
    """|H|^2 of the K-weighting filters at the centres of _BANDS equal bands up to Nyquist."""
    z = np.exp(-1j * pi * (np.arange(_BANDS) + 0.5) / _BANDS)
    response = np.ones(_BANDS)
    for b, a in _k_coefficients(rate):
        response *= np.abs((b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)) ** 2
    return response


def _k_power_ratio(x: np.ndarray, rate: int) -> float:
    """How much K-weighting scales this signal's power: sum |X|^2 |H|^2 / sum |X|^2
    over the clip's spectrum, summed in bands."""
    spectrum = np.abs(np.fft.rfft(x, _smooth_size(len(x)))) ** 2
    total = spectrum.sum()
    if total <= 0:
        return 1.0
    edges = np.linspace(0, len(spectrum), _BANDS + 1).astype(int)
    bands = np.add.reduceat(spectrum, edges[:-1])
    return float((bands * _k_band_response(rate)).sum() / total)


def integrated_loudness(samples: np.ndarray, rate: int) -> float | None:
    """BS.1770 integrated loudness in LUFS of mono float samples in [-1, 1]; None if silent.

    The 400 ms gating blocks are measured on the plain signal and scaled by what the
    K-weighting does to the clip's whole spectrum: for one voice reading one line the
    spectral balance hardly changes from block to block, and this costs one FFT instead
    of filtering every sample.
    """
    block, step = int(0.4 * rate), int(0.1 * rate)
    if len(samples) < block:
        samples = np.pad(samples, (0, block - len(samples)))
    csum = np.concatenate(([0.0], np.cumsum(samples * samples, dtype=np.float64)))
    starts = np.arange(0, len(samples) - block + 1, step)
    power = (csum[starts + block] - csum[starts]) / block * _k_power_ratio(samples, rate)
    loud = -0.691 + 10 * np.log10(np.maximum(power, 1e-12))
    gated = power[loud > -70]
    if gated.size == 0:
        return None
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10
    gated = power[(loud > -70) & (loud > relative)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


def level(clip, volume: float = 1.0):
    """The clip at TARGET_LUFS (shifted by `volume`, a linear gain the user chose),
    its peaks held under the ceiling."""
    from .synthesize import Clip

    x = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float32) / np.float32(32768.0)
    if x.size == 0:
        return clip
    measured = integrated_loudness(x, clip.rate)
    if measured is None:
        return clip
    x = x * np.float32(10 ** ((TARGET_LUFS - measured) / 20) * volume)
    if np.abs(x).max() > PEAK_CEILING:
        x = _limit(x, PEAK_CEILING)
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2").tobytes()
    return Clip(pcm, clip.rate)


def _limit(x: np.ndarray, ceiling: float) -> np.ndarray:
    """Ride the gain down around peaks, in short blocks, smoothly: a hard clip would
    add distortion a listener hears."""
    n = len(x)
    blocks = -(-n // _LIMITER_BLOCK)
    padded = np.zeros(blocks * _LIMITER_BLOCK, dtype=x.dtype)
    padded[:n] = np.abs(x)
    need = np.minimum(1.0, ceiling / np.maximum(padded.reshape(blocks, _LIMITER_BLOCK).max(axis=1), 1e-9))
    # Each block takes the lowest gain of itself and its neighbours, so the gain, drawn
    # as a line between block centres, is low enough wherever a peak is.
    gain = need.copy()
    for shift in (1, 2):
        gain[shift:] = np.minimum(gain[shift:], need[:-shift])
        gain[:-shift] = np.minimum(gain[:-shift], need[shift:])
    centres = (np.arange(blocks) + 0.5) * _LIMITER_BLOCK
    smooth = np.interp(np.arange(n, dtype=np.float32), centres, gain).astype(x.dtype)
    return np.clip(x * smooth, -ceiling, ceiling)
