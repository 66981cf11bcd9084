"""Stage 5b: encode PCM in independent units: MP3 with libmp3lame (in this process where
the system has it, else through ffmpeg), or AAC for M4B with ffmpeg.

A book is encoded as a run of units cut in the pauses between segments. Units encode
in parallel and are cached; their frames are concatenated into one stream (bare MP3
frames, or ADTS frames that `mux_m4b` then puts in an MP4 container). Each unit decodes
to a whole number of frames that starts with the encoder's priming delay, so every time
in the book is computed exactly from frame and sample counts, and the length a unit will
decode to is known before it is encoded (`Codec.decoded_samples`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from . import defaults
from .errors import EngineError

_BITRATES = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
_RATES = {0: 44100, 1: 48000, 2: 32000}


@dataclass(frozen=True)
class Codec:
    """What the render needs to know of one output format."""

    name: str  # the --format value
    suffix: str
    mime: str  # for feeds and the server
    frame_samples: int
    delay: int  # decoded samples before a unit's first input sample
    ffmpeg_codec: list[str]
    ffmpeg_muxer: list[str]

    def decoded_samples(self, samples: int) -> int:
        """What a unit of `samples` input samples (at the output rate) decodes to: both
        encoders write one frame more than the input fills, for the priming and the flush."""
        return (-(-samples // self.frame_samples) + 1) * self.frame_samples

    def count_frames(self, data: bytes) -> int:
        return count_mp3_frames(data) if self.name == "mp3" else count_adts_frames(data)


CODECS = {
    "mp3": Codec("mp3", ".mp3", "audio/mpeg", 1152, 576 + 529,  # LAME's priming plus the decoder's delay
                 ["-codec:a", "libmp3lame"],
                 ["-write_xing", "0", "-id3v2_version", "0", "-write_id3v1", "0", "-f", "mp3"]),
    # Apple's podcast spec names audio/x-m4a for AAC in MP4, the type podcast apps expect.
    "m4b": Codec("m4b", ".m4b", "audio/x-m4a", 1024, 1024,  # the native AAC encoder's priming frame
                 ["-codec:a", "aac"], ["-f", "adts"]),
}
FORMATS = tuple(CODECS)


@dataclass(frozen=True)
class Settings:
    rate: int = defaults.AUDIO_RATE
    channels: int = defaults.AUDIO_CHANNELS
    bitrate: str = defaults.AUDIO_BITRATE
    format: str = defaults.FORMAT

    @property
    def codec(self) -> Codec:
        return CODECS[self.format]

    def ffmpeg_args(self) -> list[str]:
        return ["-ar", str(self.rate), "-ac", str(self.channels), *self.codec.ffmpeg_codec, "-b:a", self.bitrate]


def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise EngineError("ffmpeg is not installed; install it with `apt-get install ffmpeg` (Debian/Ubuntu)")
    return path


def encode_pcm(pcm: bytes, in_rate: int, settings: Settings) -> bytes:
    """Mono 16-bit PCM to bare frames: MP3 without ID3 tag or Xing header, or ADTS AAC."""
    lame = _in_process(settings)
    if lame is not None:
        return lame.encode(pcm, in_rate, settings)
    cmd = [
        ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin",
        "-f", "s16le", "-ar", str(in_rate), "-ac", "1", "-i", "pipe:0",
        *settings.ffmpeg_args(), "-map_metadata", "-1", *settings.codec.ffmpeg_muxer, "pipe:1",
    ]
    proc = subprocess.run(cmd, input=pcm, capture_output=True)
    if proc.returncode != 0:
        raise EngineError(f"ffmpeg failed to encode {settings.format.upper()}: "
                          f"{proc.stderr.decode(errors='replace').strip()[:300]}")
    return proc.stdout


def encoder_id(settings: Settings) -> str:
    """What encodes a unit: part of its cache key, since two encoders given the same
    audio write different bytes."""
    lame = _in_process(settings)
    return lame.identity if lame is not None else "ffmpeg"


def encodes_in_process(settings: Settings) -> bool:
    """Whether units are encoded here, with no encoder process to start for each."""
    return _in_process(settings) is not None


def _in_process(settings: Settings) -> _Lame | None:
    return _lame() if settings.format == "mp3" else None


class _Lame:
    """libmp3lame, the encoder ffmpeg's MP3 codec wraps, called in this process.

    ffmpeg costs more than a third of LAME's own work on top of it here: starting (it
    links some 200 libraries), and moving every sample through two pipes and two sample
    formats. In this process a unit costs only LAME's work, and ctypes lets go of the
    GIL during it, so the render's encoder threads use every core. Audio is brought to
    the output rate by soxr first (LAME's own resampler costs a fifth of the encode).
    The settings are ffmpeg's: constant bit rate, LAME's default quality, no Xing frame;
    frame counts and priming are the same, the bytes differ slightly."""

    _MONO = 3  # MPEG_mode MONO
    _VBR_OFF = 0

    def __init__(self, lib: ctypes.CDLL):
        self.lib = lib
        lib.lame_init.restype = ctypes.c_void_p
        lib.get_lame_version.restype = ctypes.c_char_p
        for name in ("lame_set_in_samplerate", "lame_set_out_samplerate", "lame_set_num_channels",
                     "lame_set_mode", "lame_set_brate", "lame_set_VBR", "lame_set_bWriteVbrTag"):
            getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_int]
        for name in ("lame_init_params", "lame_close"):
            getattr(lib, name).argtypes = [ctypes.c_void_p]
        lib.lame_encode_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
                                           ctypes.c_char_p, ctypes.c_int]
        lib.lame_encode_flush.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        import soxr  # a dependency; imported here, as only a render needs it

        self.soxr = soxr
        version = lib.get_lame_version().decode("ascii", errors="replace")
        self.identity = f"lame-{version}+soxr-{soxr.__version__}"

    def encode(self, pcm: bytes, in_rate: int, settings: Settings) -> bytes:
        if settings.channels != 1:
            raise EngineError("ficaudio encodes mono MP3 only")
        if in_rate != settings.rate:
            import numpy as np

            pcm = self.soxr.resample(np.frombuffer(pcm, "<i2"), in_rate, settings.rate).astype("<i2").tobytes()
            in_rate = settings.rate
        lib = self.lib
        state = lib.lame_init()
        if not state:
            raise MemoryError("libmp3lame could not start an encoder")
        try:
            for setting, value in (("in_samplerate", in_rate), ("out_samplerate", settings.rate),
                                   ("num_channels", 1), ("mode", self._MONO), ("VBR", self._VBR_OFF),
                                   ("brate", int(settings.bitrate.lower().rstrip("k"))), ("bWriteVbrTag", 0)):
                getattr(lib, f"lame_set_{setting}")(state, value)
            if lib.lame_init_params(state) < 0:
                raise EngineError(f"libmp3lame refused the settings {settings}")
            samples = len(pcm) // 2
            # LAME's own bound on what it writes, for the length at the output rate.
            out = ctypes.create_string_buffer(samples * settings.rate // in_rate * 5 // 4 + 7200 + 2 * 1152)
            written = lib.lame_encode_buffer(state, pcm, None, samples, out, len(out))
            if written < 0:
                raise EngineError(f"libmp3lame failed to encode (error {written})")
            data = out.raw[:written]
            written = lib.lame_encode_flush(state, out, len(out))
            if written < 0:
                raise EngineError(f"libmp3lame failed to finish a unit (error {written})")
            return data + out.raw[:written]
        finally:
            lib.lame_close(state)


@lru_cache(maxsize=1)
def _lame() -> _Lame | None:
    """libmp3lame if this machine has it (Debian's ffmpeg depends on it); otherwise
    ffmpeg encodes MP3 too."""
    for name in ("libmp3lame.so.0", ctypes.util.find_library("mp3lame")):
        if name:
            try:
                return _Lame(ctypes.CDLL(name))
            except (OSError, AttributeError):
                continue
    return None


def count_adts_frames(data: bytes) -> int:
    """AAC frames in an ADTS stream: each header gives its frame's length."""
    i, frames = 0, 0
    n = len(data)
    while i + 7 <= n:
        if data[i] != 0xFF or (data[i + 1] & 0xF6) != 0xF0:
            raise EngineError("ffmpeg wrote an AAC stream that is not ADTS")
        length = ((data[i + 3] & 3) << 11) | (data[i + 4] << 3) | (data[i + 5] >> 5)
        frames += 1
        i += length
    return frames


def mux_m4b(adts_path, out_path, chapters, title: str) -> None:
    """Put an ADTS stream in an MP4 audiobook container without re-encoding, with
    chapters as ffmpeg writes them: a QuickTime chapter track (Apple Books, BookPlayer,
    VLC) and a Nero `chpl` atom (Audiobookshelf, Smart AudioBook Player, mutagen).
    The moov atom goes first, so players can start before the whole file has arrived."""
    lines = [";FFMETADATA1", f"title={_ffmeta(title)}"]
    for ch in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={ch.start_ms}", f"END={ch.end_ms}",
                  f"title={_ffmeta(ch.title)}"]
    meta_path = f"{out_path}.ffmeta"
    with open(meta_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    try:
        cmd = [
            ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "aac", "-i", str(adts_path), "-f", "ffmetadata", "-i", meta_path,
            "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1", "-c", "copy",
            "-movflags", "+faststart", "-brand", "M4B ", "-f", "ipod", str(out_path),
        ]
        proc = subprocess.run(cmd, capture_output=True)
        if proc.returncode != 0:
            raise EngineError(f"ffmpeg failed to write the M4B: {proc.stderr.decode(errors='replace').strip()[:300]}")
    finally:
        os.unlink(meta_path)


def _ffmeta(value: str) -> str:
    """A value escaped for ffmpeg's metadata file."""
    return re.sub(r"([=;#\\\n])", r"\\\1", value)


def count_mp3_frames(data: bytes) -> int:
    """MPEG audio frames in a bare MP3 stream, by walking the frame headers."""
    i, frames = 0, 0
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF or (data[i + 1] & 0xE0) != 0xE0:
            i += 1
            continue
        version_bits = (data[i + 1] >> 3) & 3
        layer_bits = (data[i + 1] >> 1) & 3
        bitrate_index = data[i + 2] >> 4
        rate_index = (data[i + 2] >> 2) & 3
        padding = (data[i + 2] >> 1) & 1
        if version_bits != 3 or layer_bits != 1 or bitrate_index in (0, 15) or rate_index == 3:
            i += 1
            continue
        length = 144 * _BITRATES[bitrate_index] * 1000 // _RATES[rate_index] + padding
        frames += 1
        i += length
    return frames


def probe_duration(path) -> float:
    """Duration in seconds as ffprobe reports it (used by tests and checks)."""
    exe = shutil.which("ffprobe")
    if exe is None:
        raise EngineError("ffprobe is not installed; install ffmpeg")
    out = subprocess.run(
        [exe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )
    return float(out.stdout.strip())
