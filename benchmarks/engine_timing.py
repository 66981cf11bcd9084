"""What benchmarks/piper.py and benchmarks/hibari.py share: wall-time a command, encode
a raw engine's WAV as our MP3 is encoded, and render the seed with ficaudio."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ficaudio import defaults  # noqa: E402


def timed(cmd, env=None, cwd=None, stdin=None) -> float:
    started = time.monotonic()
    subprocess.run(cmd, check=True, env=env, cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def encode_mp3(wav: Path, mp3: Path) -> float:
    """ffmpeg at the settings of the MP3 ficaudio writes."""
    return timed(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", str(defaults.AUDIO_RATE), "-ac",
                  str(defaults.AUDIO_CHANNELS), "-codec:a", "libmp3lame", "-b:a", defaults.AUDIO_BITRATE, str(mp3)])


def ficaudio(seed: Path, voices: Path, out: Path, cache: Path) -> float:
    """`ficaudio render` of `seed` with its own cache, from the repo's source."""
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=str(ROOT / "src"))
    return timed([sys.executable, "-m", "ficaudio", "render", str(seed), "--voices", str(voices),
                  "--out", str(out), "--quiet"], env=env, cwd=ROOT)
