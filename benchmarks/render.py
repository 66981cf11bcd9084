"""Render speed against the floor: one espeak-ng call for the whole text plus one ffmpeg
encode at the settings of the file ficaudio writes (MP3, or AAC for M4B), measured in the
same run.

    python benchmarks/render.py                 # the seed, as MP3 and as M4B
    python benchmarks/render.py --emma          # the seed and Emma (about 20 minutes)
    python benchmarks/render.py --text FILE     # any text
    python benchmarks/render.py --format m4b    # one format only
    python benchmarks/render.py --repeat 5      # the median of 5 runs (noisy machines)

Prints wall times, the ratios the speed issue sets (cold render / floor, warm re-render /
cold render) and the peak memory of the largest process of the render.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_653e07ef9e538d7a.txt"
EMMA = ROOT.parent / "shared" / "pdnc-dev" / "Emma" / "novel_text.txt"

sys.path.insert(0, str(ROOT / "src"))
from ficaudio import defaults  # noqa: E402

# Runs a command and reports the peak RSS of the largest process in its tree: Linux
# folds a waited-for descendant's peak into its parent's RUSAGE_CHILDREN figure.
_PEAK = (
    "import resource, subprocess, sys, json;"
    "rc = subprocess.run(sys.argv[1:]).returncode;"
    "print(json.dumps({'rc': rc, 'maxrss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
)


def timed(cmd, env=None, cwd=None) -> tuple[float, int]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _PEAK, *cmd], env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    report = json.loads(out.stdout.strip().splitlines()[-1])
    if report["rc"] != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{out.stderr}")
    return wall, report["maxrss_kb"] // 1024


def floor(text: Path, work: Path, audio_format: str) -> tuple[float, float]:
    wav, encoded = work / "floor.wav", work / f"floor.{audio_format}"
    codec = ["-codec:a", "libmp3lame"] if audio_format == "mp3" else ["-codec:a", "aac", "-f", "ipod"]
    synth, _ = timed(["espeak-ng", "-v", "en-us", "-f", str(text), "-w", str(wav)])
    encode, _ = timed(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", str(defaults.AUDIO_RATE),
                       "-ac", str(defaults.AUDIO_CHANNELS), *codec, "-b:a", defaults.AUDIO_BITRATE, str(encoded)])
    return synth, encode


def bench(text: Path, voices: Path | None, jobs: int | None, audio_format: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="ficaudio-bench-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, XDG_CACHE_HOME=str(work / "cache"), PYTHONPATH=str(ROOT / "src"))
        cmd = [sys.executable, "-m", "ficaudio", "render", str(text), "--out", str(work / "out"), "--quiet",
               "--format", audio_format]
        if voices:
            cmd += ["--voices", str(voices)]
        if jobs:
            cmd += ["--jobs", str(jobs)]
        synth, encode = floor(text, work, audio_format)
        # cwd is the temp folder, so a ./voices.yaml of the caller is not picked up.
        cold, peak = timed(cmd, env, cwd=work)
        warm, _ = timed(cmd, env, cwd=work)
        audio = next((work / "out").glob(f"*.{audio_format}"))
        duration = float(subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(audio)],
            capture_output=True, text=True, check=True).stdout)
    return {"text": f"{text.name} ({audio_format})", "floor_synth": synth, "floor_encode": encode, "cold": cold,
            "warm": warm, "peak_mb": peak, "audio_min": duration / 60}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emma", action="store_true", help="also render Emma from ../shared/pdnc-dev")
    parser.add_argument("--text", type=Path, action="append", default=[], help="another text to render")
    parser.add_argument("--jobs", type=int, help="passed to ficaudio render --jobs")
    parser.add_argument("--format", choices=["mp3", "m4b"], action="append",
                        help="the formats to render (default: both)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each (floor and render in each); the median ratio is reported")
    args = parser.parse_args()
    runs = [(SEED, ROOT / "voices.espeak.yaml")]
    if args.emma:
        if not EMMA.exists():
            sys.exit(f"Emma not found at {EMMA}")
        runs.append((EMMA, None))
    runs += [(t, None) for t in args.text]
    print(f"{'text':<34} {'audio':>7} {'floor s':>8} {'cold s':>8} {'cold/floor':>10} {'warm s':>7} "
          f"{'warm/cold':>9} {'peak MB':>8}")
    for (text, voices), audio_format in [(run, f) for run in runs for f in args.format or ["mp3", "m4b"]]:
        ratios = []
        for _ in range(max(1, args.repeat)):
            r = bench(text, voices, args.jobs, audio_format)
            fl = r["floor_synth"] + r["floor_encode"]
            ratios.append(r["cold"] / fl)
            print(f"{r['text'][:34]:<34} {r['audio_min']:6.1f}m {fl:8.2f} {r['cold']:8.2f} {r['cold'] / fl:10.2f} "
                  f"{r['warm']:7.2f} {r['warm'] / r['cold']:9.3f} {r['peak_mb']:8d}")
            print(f"  floor: espeak-ng {r['floor_synth']:.2f} s + ffmpeg {r['floor_encode']:.2f} s")
        if len(ratios) > 1:
            print(f"  cold/floor over {len(ratios)} runs: median {statistics.median(ratios):.2f}, "
                  f"{min(ratios):.2f}-{max(ratios):.2f}")


if __name__ == "__main__":
    main()
