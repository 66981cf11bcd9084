"""Load on `ficaudio serve`: many podcast clients at once, with stalled connections.

    python benchmarks/serve_load.py [--out DIR] [--clients 200] [--stalled 50] [--seconds 10]

Starts `ficaudio serve` in its own process on a rendered folder (DIR, or the seed rendered
with voices.espeak.yaml into a temporary one). Then, in the same run: one client alone for
the reference, and CLIENTS clients at once while STALLED connections send half a request
line and nothing more (what a phone that lost its signal leaves behind). Each client
loops over the feed, a chapters file and Range requests on the audio. It prints requests
per second, latency percentiles, errors, and the server's memory and threads, with the
latency under load as a ratio of the lone client's (the machine's own speed cancels out).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_653e07ef9e538d7a.txt"
ESPEAK_VOICES = ROOT / "voices.espeak.yaml"


def ficaudio(*args, **kw) -> subprocess.Popen | subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "ficaudio", *map(str, args)]
    log = kw.pop("log", None)
    if log is not None:
        # The request log goes to a file: a pipe nobody reads would fill and stall the server.
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, str]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


class Client(threading.Thread):
    """Loops over the feed, a chapters file and Range requests until told to stop."""

    def __init__(self, port: int, audio: list[tuple[str, int]], chapters: list[str], stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.port, self.audio, self.chapters, self.stop = port, audio, chapters, stop
        self.random = random.Random(seed)
        self.latencies: dict[str, list[float]] = {"feed": [], "range": [], "chapters": []}
        self.errors: list[str] = []

    def request(self, kind: str, path: str, headers=None, expect=(200,)) -> None:
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status not in expect:
                self.errors.append(f"{kind} {path}: HTTP {response.status}")
                return
        except OSError as exc:
            self.errors.append(f"{kind} {path}: {exc}")
            return
        self.latencies[kind].append(time.perf_counter() - started)

    def run(self) -> None:
        while not self.stop.is_set():
            self.request("feed", "/feed.xml")
            if self.chapters:
                self.request("chapters", "/" + self.random.choice(self.chapters))
            name, size = self.random.choice(self.audio)
            start = self.random.randrange(max(1, size - 65536))
            self.request("range", "/" + name, {"Range": f"bytes={start}-{start + 65535}"}, expect=(206,))


def load(port: int, out: Path, clients: int, seconds: float) -> dict:
    audio = [(p.name, p.stat().st_size) for p in sorted(out.iterdir()) if p.suffix in (".mp3", ".m4b")]
    chapters = [p.name for p in sorted(out.iterdir()) if p.name.endswith(".chapters.json")]
    stop = threading.Event()
    pool = [Client(port, audio, chapters, stop, n) for n in range(clients)]
    started = time.perf_counter()
    for c in pool:
        c.start()
    time.sleep(seconds)
    stop.set()
    for c in pool:
        c.join(60)
    elapsed = time.perf_counter() - started
    latencies = {kind: sorted(x for c in pool for x in c.latencies[kind]) for kind in ("feed", "range", "chapters")}
    return {"elapsed": elapsed, "latencies": latencies, "errors": [e for c in pool for e in c.errors],
            "requests": sum(len(v) for v in latencies.values())}


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def stall(port: int, count: int) -> list[socket.socket]:
    """Connections that send half a request line, then nothing."""
    out = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /feed.xml HT")
        out.append(s)
    return out


def held_open(s: socket.socket) -> bool:
    """Whether the server still holds a stalled connection (it has not closed its end)."""
    s.settimeout(0.05)
    try:
        return s.recv(1) != b""
    except socket.timeout:
        return True
    except OSError:
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="a rendered folder (default: the seed, rendered with voices.espeak.yaml)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--stalled", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out
        if out is None:
            out = Path(tmp) / "out"
            ficaudio("render", "--quiet", SEED, "--voices", ESPEAK_VOICES, "--out", out)
        port = free_port()
        log = open(Path(tmp) / "serve.log", "w")
        server = ficaudio("serve", out, "--port", port, log=log)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("ficaudio serve did not start: " + (Path(tmp) / "serve.log").read_text())
                    time.sleep(0.1)
            idle = proc_status(server.pid)
            alone = load(port, out, 1, min(args.seconds, 5.0))
            stalled = stall(port, args.stalled)
            peak: dict[str, int] = {"rss": 0, "threads": 0}

            def watch(stop: threading.Event) -> None:
                while not stop.is_set():
                    status = proc_status(server.pid)
                    peak["rss"] = max(peak["rss"], int(status["VmRSS"].split()[0]))
                    peak["threads"] = max(peak["threads"], int(status["Threads"]))
                    time.sleep(0.2)

            stop_watch = threading.Event()
            watcher = threading.Thread(target=watch, args=(stop_watch,), daemon=True)
            watcher.start()
            crowd = load(port, out, args.clients, args.seconds)
            stop_watch.set()
            watcher.join()
            still_open = sum(1 for s in stalled if held_open(s))
            for s in stalled:
                s.close()
            after = proc_status(server.pid)
            files = len(list(out.iterdir()))
        finally:
            server.terminate()
            server.wait(10)
            log.close()

    def row(label: str, run: dict) -> None:
        lat = run["latencies"]
        print(f"{label:34} {run['requests'] / run['elapsed']:8.0f} req/s  errors {len(run['errors']):4}  "
              + "  ".join(f"{kind} p50 {1000 * percentile(v, 0.5):6.1f} ms p99 {1000 * percentile(v, 0.99):7.1f} ms"
                          for kind, v in lat.items() if v))

    print(f"ficaudio serve on {'the seed, rendered with voices.espeak.yaml' if args.out is None else out}: {files} files")
    row("1 client (reference)", alone)
    row(f"{args.clients} clients, {args.stalled} stalled connections", crowd)
    for kind in ("feed", "range"):
        a, c = alone["latencies"][kind], crowd["latencies"][kind]
        if a and c:
            print(f"  {kind}: median latency under load = {statistics.median(c) / statistics.median(a):.1f}x the lone client's")
    print(f"server memory: idle {int(idle['VmRSS'].split()[0]) / 1024:.0f} MB, peak {peak['rss'] / 1024:.0f} MB, "
          f"after {int(after['VmRSS'].split()[0]) / 1024:.0f} MB; threads: peak {peak['threads']}, after {after['Threads']}")
    print(f"stalled connections the server still held at the end: {still_open} of {args.stalled} "
          f"(it lets an idle one go after 30 s)")
    for e in crowd["errors"][:5]:
        print("  error:", e)
    return 1 if crowd["errors"] or alone["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
