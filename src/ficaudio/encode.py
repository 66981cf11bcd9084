"""Stage 5b: encode PCM to MP3 with ffmpeg (libmp3lame), in independent units.

A book is encoded as a run of units cut in the pauses between segments. Units encode
in parallel and are cached; their MP3 frames are concatenated into one constant-bitrate
stream. Each unit decodes to a whole number of 1152-sample frames that starts with the
encoder's priming delay, so every time in the book is computed exactly from frame and
sample counts.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from . import defaults
from .errors import EngineError

FRAME_SAMPLES = 1152  # MPEG-1 Layer III
ENCODER_DELAY = 576 + 529  # LAME's priming samples plus the decoder's delay
_BITRATES = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
_RATES = {0: 44100, 1: 48000, 2: 32000}


@dataclass(frozen=True)
class Settings:
    rate: int = defaults.MP3_RATE
    channels: int = defaults.MP3_CHANNELS
    bitrate: str = defaults.MP3_BITRATE

    def ffmpeg_args(self) -> list[str]:
        return ["-ar", str(self.rate), "-ac", str(self.channels), "-codec:a", "libmp3lame", "-b:a", self.bitrate]


def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise EngineError("ffmpeg is not installed; install it with `apt-get install ffmpeg` (Debian/Ubuntu)")
    return path


def encode_pcm(pcm: bytes, in_rate: int, settings: Settings) -> bytes:
    """Mono 16-bit PCM to bare MP3 frames (no ID3 tag, no Xing header)."""
    cmd = [
        ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin",
        "-f", "s16le", "-ar", str(in_rate), "-ac", "1", "-i", "pipe:0",
        *settings.ffmpeg_args(),
        "-write_xing", "0", "-id3v2_version", "0", "-write_id3v1", "0", "-map_metadata", "-1",
        "-f", "mp3", "pipe:1",
    ]
    proc = subprocess.run(cmd, input=pcm, capture_output=True)
    if proc.returncode != 0:
        raise EngineError(f"ffmpeg failed to encode MP3: {proc.stderr.decode(errors='replace').strip()[:300]}")
    return proc.stdout


def count_frames(data: bytes) -> int:
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
