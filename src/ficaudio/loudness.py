"""Level every clip to one loudness, so no voice is lost under another.

Loudness follows ITU-R BS.1770 (K-weighting, 400 ms blocks, absolute and relative
gates), the measure of ffmpeg's ebur128 filter; podcasts want -19 LUFS for mono (-16
for stereo: the same loudness once a player sends the one channel to both speakers)
with true peaks under -1 dBTP. Pauses between clips are digital silence, which the
absolute gate drops, so a book of clips at the target measures the target as a whole.
"""

from __future__ import annotations

from functools import lru_cache
from math import pi, tan

import numpy as np

TARGET_LUFS = -19.0  # podcast loudness for mono
# LAME's quantiser rounds loud spectral lines down: at 64-128 kb/s the decoded MP3
# measures about half an LU quieter than the PCM that went in, so clips aim that much higher.
CODEC_LOSS_LU = 0.5
# True peaks (between samples too) stay under this before encoding: MP3 at 64 kb/s adds
# up to 0.7 dB of overshoot, and the podcast limit is -1 dBTP after it.
PEAK_CEILING = 10 ** (-2.0 / 20)
BLOCK_SECONDS = 0.4
_MAKE_UP_PASSES = 3
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
    of filtering every sample. On espeak-ng lines it agrees with ffmpeg's ebur128 to 0.1 LU.
    """
    if len(samples) == 0:
        return None
    return _gated_loudness(np.square(samples, dtype=np.float64), rate, _k_power_ratio(samples, rate))


def _gated_loudness(power: np.ndarray, rate: int, k_ratio: float) -> float | None:
    """Integrated loudness from the squared samples and the clip's K-weighting power ratio.

    A clip shorter than a block is measured over its own length: padded to 400 ms, a
    one-word line would read quieter than it sounds and be pushed above its neighbours.
    """
    block = min(int(BLOCK_SECONDS * rate), len(power))
    step = max(1, block // 4)
    csum = np.concatenate(([0.0], np.cumsum(power)))
    starts = np.arange(0, len(power) - block + 1, step)
    blocks = (csum[starts + block] - csum[starts]) / block * k_ratio
    loud = -0.691 + 10 * np.log10(np.maximum(blocks, 1e-12))
    gated = blocks[loud > -70]
    if gated.size == 0:
        return None
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10
    gated = blocks[(loud > -70) & (loud > relative)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


_OVERSAMPLE = 4
# 24 taps a phase under-read the true peak of white noise by under 0.1 dB; 12 taps, the
# least BS.1770 allows, by up to 0.5 dB.
_TAPS = 24


@lru_cache(maxsize=1)
def _interpolators() -> np.ndarray:
    """Kaiser-windowed sincs giving the values 1/4, 2/4 and 3/4 of the way to the next sample."""
    m = np.arange(-_TAPS // 2 + 1, _TAPS // 2 + 1)
    phases = []
    for p in range(1, _OVERSAMPLE):
        t = m - p / _OVERSAMPLE
        window = np.i0(3.0 * np.sqrt(np.clip(1 - (2 * t / _TAPS) ** 2, 0, None))) / np.i0(3.0)
        phases.append(np.sinc(t) * window)
    return np.array(phases, dtype=np.float32)


# Between samples, speech rises at most about 5.5 dB above a block's sample peak, so
# only blocks within this margin of the ceiling need oversampling.
_TRUE_PEAK_MARGIN = 10 ** (-6.0 / 20)
# How far the make-up passes may raise the gain.
_MAKE_UP_HEADROOM = 10 ** (3.0 / 20)


def _block_peaks(x: np.ndarray, gain: float) -> np.ndarray:
    """The true peak of every _LIMITER_BLOCK-sample block of x, exact for the blocks that
    could pass the ceiling once multiplied by `gain`; the others keep their sample peak.
    Oversampling every sample would cost more than synthesizing the clip."""
    n = len(x)
    blocks = -(-n // _LIMITER_BLOCK)
    padded = np.zeros(blocks * _LIMITER_BLOCK + _TAPS, dtype=np.float32)
    padded[_TAPS // 2 : _TAPS // 2 + n] = x
    framed = padded[_TAPS // 2 : _TAPS // 2 + blocks * _LIMITER_BLOCK].reshape(blocks, _LIMITER_BLOCK)
    peaks = np.abs(framed).max(axis=1)
    near = np.flatnonzero(peaks * gain > PEAK_CEILING * _TRUE_PEAK_MARGIN)
    if near.size:
        # The value between sample n and n + 1 is sum over m of x[n + m] h[m], m from
        # 1 - _TAPS/2: a window of _TAPS samples of `padded` starting at n + 1.
        windows = np.lib.stride_tricks.sliding_window_view(padded, _TAPS)
        starts = near[:, None] * _LIMITER_BLOCK + np.arange(_LIMITER_BLOCK)[None, :] + 1
        between = windows[starts] @ _interpolators().T  # (near blocks, samples, phases)
        peaks[near] = np.maximum(peaks[near], np.abs(between).max(axis=(1, 2)))
    return peaks


def level(clip, volume: float = 1.0):
    """The clip at the target loudness (shifted by `volume`, a linear gain the user
    chose), its peaks held under the ceiling."""
    from .synthesize import Clip

    x = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float32) / np.float32(32768.0)
    if x.size == 0:
        return clip
    k_ratio = _k_power_ratio(x, clip.rate)
    measured = _gated_loudness(np.square(x, dtype=np.float64), clip.rate, k_ratio)
    if measured is None:
        return clip
    if volume <= 0:
        return Clip(bytes(len(clip.pcm)), clip.rate)
    wanted = TARGET_LUFS + CODEC_LOSS_LU + 20 * np.log10(volume)
    gain = first_gain = 10 ** ((wanted - measured) / 20)
    peaks = _block_peaks(x, gain * _MAKE_UP_HEADROOM)
    limiting = _limiter_gain(peaks * gain, PEAK_CEILING, len(x))
    # Limiting takes some loudness away with the peaks; a pass or two more wins it back.
    for _ in range(_MAKE_UP_PASSES):
        if limiting is None:
            break
        after = _gated_loudness(np.square(x * limiting * gain, dtype=np.float64), clip.rate, k_ratio)
        if after is None or abs(wanted - after) < 0.1:
            break
        gain = min(gain * 10 ** ((wanted - after) / 20), first_gain * _MAKE_UP_HEADROOM)
        limiting = _limiter_gain(peaks * gain, PEAK_CEILING, len(x))
    y = x * np.float32(gain) if limiting is None else x * (limiting * np.float32(gain))
    pcm = np.clip(np.round(np.clip(y, -PEAK_CEILING, PEAK_CEILING) * 32767), -32768, 32767)
    return Clip(pcm.astype("<i2").tobytes(), clip.rate)


def _limiter_gain(peaks: np.ndarray, ceiling: float, n: int) -> np.ndarray | None:
    """Per sample, the gain that rides down around the blocks whose peak is over the
    ceiling, smoothly (a hard clip would add distortion a listener hears); None if no
    block is over."""
    if peaks.max() <= ceiling:
        return None
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9)).astype(np.float32)
    # Each block takes the lowest gain of itself and its neighbours, so the gain, drawn
    # as a line between block centres, is low enough wherever a peak is.
    gain = need.copy()
    for shift in (1, 2):
        gain[shift:] = np.minimum(gain[shift:], need[:-shift])
        gain[:-shift] = np.minimum(gain[:-shift], need[shift:])
    centres = (np.arange(len(peaks)) + 0.5) * _LIMITER_BLOCK
    return np.interp(np.arange(n, dtype=np.float32), centres, gain).astype(np.float32)
