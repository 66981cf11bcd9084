"""A folder of 20 stories rendered here and through a Ray cluster on this machine, in the
same run, and what more machines would do.

    python benchmarks/cluster.py [--voices voices.espeak.yaml] [--cpus 2]

(a) `ficaudio render` of the 20 stories locally (--jobs CPUS), into an empty cache;
(b) the same through a local Ray cluster (`ray start --head --num-cpus CPUS` in a
    temporary folder), into another empty cache: its books must be the same bytes;
(c) the same on the cluster again into a new folder with (b)'s cache: nothing is
    synthesized or encoded, so this is the driver's own part (planning, assembly,
    tags, transcripts), which does not spread.

Prints both times, the overhead per line, (b - a) / lines, and a model of how the time
falls with N machines of CPUS cores each: c + (b - c) / N, which assumes the work spreads
evenly and the network is free; the driver's part stays. The stories: the fan-fiction
dev set (generated), the seed and the tests' stories; the cast: --voices for every story
(each story's characters take its defaults).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORIES = 20


def stories(folder: Path) -> list[Path]:
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fanfic" / "generate.py"), "--out", str(folder),
                    *map(str, sorted((ROOT / "benchmarks" / "fanfic" / "stories").glob("*.yaml")))],
                   check=True, stdout=subprocess.DEVNULL)
    found = sorted(p for p in folder.glob("*.txt"))
    for extra in [ROOT / "seeds" / "000_653e07ef9e538d7a.txt", *sorted((ROOT / "tests" / "data").rglob("*.txt"))]:
        found.append(Path(shutil.copy(extra, folder / f"x_{extra.name}")))
    return found[:STORIES]


def render(inputs, voices: Path, out: Path, cache: Path, jobs: int, cluster: str | None = None):
    """Wall time, stderr and the peak memory (MB) of the ficaudio process itself (not
    its workers)."""
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=str(ROOT / "src"))
    command = [sys.executable, "-m", "ficaudio", "render", *map(str, inputs), "--voices", str(voices),
               "--out", str(out), "--jobs", str(jobs)]
    if cluster:
        command += ["--cluster", cluster]
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _peak_kb(proc.pid))
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        log.seek(0)
        stderr = log.read()
    if proc.returncode:
        sys.exit(stderr)
    return elapsed, stderr, peak / 1024


def _peak_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def lines_made(stderr: str) -> int:
    return sum(int(line.split("; ")[1].split()[0]) for line in stderr.splitlines() if "lines synthesized" in line)


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voices", type=Path, default=ROOT / "voices.espeak.yaml")
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    ray = str(Path(sys.executable).with_name("ray"))
    with tempfile.TemporaryDirectory(prefix="ficaudio-cluster-") as tmp:
        work = Path(tmp)
        inputs = stories(work / "stories")
        local, local_log, local_mb = render(inputs, args.voices, work / "local", work / "cache-local", args.cpus)
        port = free_port()
        # --block in a session of its own: ending it ends this cluster alone, not one
        # that runs here already (as `ray stop` would).
        head = subprocess.Popen([ray, "start", "--head", "--block", "--num-cpus", str(args.cpus), "--port", str(port),
                                 "--temp-dir", str(work / "ray"), "--ray-client-server-port", str(free_port()),
                                 "--dashboard-port", str(free_port()), "--disable-usage-stats"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            while not answers(port):
                if head.poll() is not None:
                    sys.exit("the Ray head did not start")
                time.sleep(0.2)
            address = f"127.0.0.1:{port}"
            cold, cold_log, cold_mb = render(inputs, args.voices, work / "cluster", work / "cache-cluster", args.cpus, address)
            driver, _, _ = render(inputs, args.voices, work / "again", work / "cache-cluster", args.cpus, address)
        finally:
            os.killpg(head.pid, signal.SIGTERM)
            head.wait()
        same = all((work / "cluster" / p.name).read_bytes() == p.read_bytes() for p in (work / "local").glob("*.mp3"))
        lines = lines_made(local_log)
        print(f"{len(inputs)} stories, {lines} lines, {args.cpus} CPUs, voices {args.voices.name}")
        print(f"(a) local render                      {local:7.1f} s   peak memory of ficaudio {local_mb:.0f} MB")
        print(f"(b) on a local Ray cluster            {cold:7.1f} s   peak memory of the driver {cold_mb:.0f} MB; "
              f"books the same bytes: {same}")
        print(f"(c) cluster, all cached (driver only) {driver:7.1f} s")
        print(f"overhead per line on the cluster: {(cold - local) / max(1, lines) * 1000:.1f} ms "
              f"(b/a = {cold / local:.2f}, including {lines_made(cold_log)} lines made on the cluster)")
        print("model, N machines like this one: c + (b - c) / N")
        for n in (1, 2, 4, 8):
            print(f"  {n} machine{'s' if n > 1 else ' '}  {driver + (cold - driver) / n:7.1f} s")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
