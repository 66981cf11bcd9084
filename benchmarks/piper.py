"""How ficaudio's Piper rendering compares with raw Piper on the same text.

    python benchmarks/piper.py [--seed PATH] [--voices PATH] [--repeat N]

(a) raw: `python -m piper` reads the seed into a WAV, ffmpeg encodes it as our MP3 does;
(b) `ficaudio render` of the seed with the Piper cast, on a cold cache;
(c) the same render after a change to one minor character's pace (April's
    length_scale): only her lines should be synthesized again.

Prints the wall times and the ratios b/a (target <= 1.05) and c/b (target <= 0.35).
The machine may be busy with other work: --repeat N runs everything N times, taking
turns, and keeps each one's best time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from engine_timing import ROOT, encode_mp3, ficaudio, timed

from ficaudio.engines.piper import find_model
from ficaudio.voices import load_cast

TARGET_RENDER = 1.05
TARGET_RECAST = 0.35


def raw(model: Path, seed: Path, work: Path) -> float:
    wav, mp3 = work / "x.wav", work / "x.mp3"
    return timed([sys.executable, "-m", "piper", "-m", str(model), "-i", str(seed), "-f", str(wav)]) + encode_mp3(wav, mp3)


def recast(voices: Path, out: Path) -> None:
    """A copy of the cast with April a little slower."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    data = yaml.load(voices.read_text(encoding="utf-8"))
    april = data["characters"]["April"]
    april["length_scale"] = round(float(april.get("length_scale", 1.0)) + 0.15, 2)
    with out.open("w", encoding="utf-8") as f:
        yaml.dump(data, f)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=ROOT / "seeds" / "000_653e07ef9e538d7a.txt")
    parser.add_argument("--voices", type=Path, default=ROOT / "voices.piper.yaml")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    seed, voices = args.seed.resolve(), args.voices.resolve()
    model = find_model(load_cast(voices, required=True).narrator.option("model")).path

    times = {"a": [], "b": [], "c": []}
    with tempfile.TemporaryDirectory(prefix="ficaudio-piper-bench-") as tmp:
        work = Path(tmp)
        changed = work / "voices.changed.yaml"
        recast(voices, changed)
        for n in range(args.repeat):
            cache, out = work / f"cache{n}", work / f"out{n}"
            times["a"].append(raw(model, seed, work))
            times["b"].append(ficaudio(seed, voices, out, cache))
            times["c"].append(ficaudio(seed, changed, out, cache))
    a, b, c = (min(times[k]) for k in "abc")
    print(f"seed: {seed.name}   model: {model.name}   cores: {os.cpu_count()}   runs: {args.repeat}")
    print(f"(a) raw piper + ffmpeg            {a:7.2f} s")
    print(f"(b) ficaudio render, cold cache   {b:7.2f} s")
    print(f"(c) render after recasting April  {c:7.2f} s")
    print(f"b/a = {b / a:.3f}  (target <= {TARGET_RENDER})  {'ok' if b / a <= TARGET_RENDER else 'MISSED'}")
    print(f"c/b = {c / b:.3f}  (target <= {TARGET_RECAST})  {'ok' if c / b <= TARGET_RECAST else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
