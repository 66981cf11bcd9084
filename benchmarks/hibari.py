"""How ficaudio's hibari rendering compares with raw hibari on the same text.

    python benchmarks/hibari.py [--seed PATH] [--repeat N]

(a) raw: hibari's own command reads the seed into a WAV on one core, and ffmpeg encodes
    it as our MP3 is encoded;
(b) `ficaudio render` of the seed with every voice on hibari (the narrator on heart,
    each character on heart at its own pace and pitch), on a cold cache.

Prints the wall times and the ratio b/a (target <= 1.0). The machine may be busy with
other work: --repeat N runs both N times, taking turns, and keeps each one's best time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from engine_timing import ROOT, encode_mp3, ficaudio, timed

TARGET = 1.0
CAST = """narrator: {engine: hibari, voice: heart}
unknown: {engine: hibari, voice: heart, semitones: -3}
defaults:
  female: {engine: hibari, voice: heart, semitones: 1.5}
  male: {engine: hibari, voice: heart, semitones: -3, speed: 0.95}
  unknown: {engine: hibari, voice: heart, semitones: -3}
characters:
  Lexie: {aliases: [Lex, Lexie Grey, Little Grey], gender: female, engine: hibari, voice: heart, semitones: 3, speed: 1.08}
  Mark: {aliases: [Mark Sloan, Sloan], gender: male, engine: hibari, voice: heart, semitones: -4}
  Jackson: {aliases: [Jackson Avery, Avery], gender: male, engine: hibari, voice: heart, semitones: -3, speed: 1.1}
  April: {aliases: [April Kepner, Kepner], gender: female, engine: hibari, voice: heart, semitones: 1.5, speed: 0.93}
"""


def raw(seed: Path, work: Path) -> float:
    wav, mp3 = work / "x.wav", work / "x.mp3"
    with seed.open("rb") as text:
        synth = timed([sys.executable, "-c", "import sys; from hibari.cli import main; sys.exit(main())",
                       "-o", str(wav)], stdin=text)
    return synth + encode_mp3(wav, mp3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=ROOT / "seeds" / "000_653e07ef9e538d7a.txt")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    seed = args.seed.resolve()
    times = {"a": [], "b": []}
    with tempfile.TemporaryDirectory(prefix="ficaudio-hibari-bench-") as tmp:
        work = Path(tmp)
        voices = work / "voices.yaml"
        voices.write_text(CAST, encoding="utf-8")
        for n in range(args.repeat):
            times["a"].append(raw(seed, work))
            times["b"].append(ficaudio(seed, voices, work / f"out{n}", work / f"cache{n}"))
    a, b = min(times["a"]), min(times["b"])
    print(f"seed: {seed.name}   cores: {os.cpu_count()}   runs: {args.repeat}")
    print(f"(a) raw hibari + ffmpeg           {a:7.2f} s")
    print(f"(b) ficaudio render, cold cache   {b:7.2f} s")
    print(f"b/a = {b / a:.3f}  (target <= {TARGET})  {'ok' if b / a <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
