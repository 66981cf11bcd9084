"""The studio on a long novel, in a real headless Chromium: how fast the page opens,
scrolls and plays a line.

    python benchmarks/studio.py [--pdnc ../shared/pdnc-dev] [--novel Emma] [--screenshot docs/studio.png]

Reports: the studio's start (reading and attributing the story), the time from asking
for the page to its first lines drawn, the longest frame while scrolling the script
from top to bottom in screen-sized steps, and the time to hear a line the first time
(synthesized) and the second (from the render cache), each as the browser measures its
fetch. The novel is copied to a temporary folder, so no fixes file is written beside
the corpus. With --screenshot, the page on the seed story (the repo's voices.yaml) is
saved there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This folder has a hibari.py of its own, which must not shadow the hibari package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "src"))
from ficaudio.studio import Studio  # noqa: E402
from ficaudio.studio.server import make_server, url_of  # noqa: E402

SEED = ROOT / "seeds" / "000_653e07ef9e538d7a.txt"


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900", "--mute-audio"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def wait(driver, condition, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.01).until(condition)


def serve(studio):
    server = make_server(studio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


SCROLL = """
const done = arguments[arguments.length - 1];
const pane = document.getElementById('script-pane');
let last = performance.now(), frames = [], steps = 0;
function step() {
  const now = performance.now();
  frames.push(now - last);
  last = now;
  if (pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 2 || steps > 4000) {
    frames.sort((a, b) => a - b);
    done([frames[frames.length - 1], frames[Math.floor(frames.length * 0.95)], steps,
          document.querySelectorAll('.row').length]);
    return;
  }
  pane.scrollTop += pane.clientHeight;
  steps++;
  requestAnimationFrame(step);
}
requestAnimationFrame(step);
"""

HEAR = """
const done = arguments[arguments.length - 1];
const t = performance.now();
fetch('/api/line/' + arguments[0] + '.wav').then(r => r.arrayBuffer()).then(b => done([performance.now() - t, b.byteLength]));
"""


def measure(story: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / story.name
        shutil.copy(story, copy)
        started = time.perf_counter()
        studio = Studio(copy, None, Path(tmp) / "out")
        start_s = time.perf_counter() - started
        segments = list(studio.script.segments())
        words = sum(len(s.text.split()) for s in segments)
        server = serve(studio)
        driver = browser()
        try:
            driver.set_script_timeout(600)
            opened = time.perf_counter()
            driver.get(url_of(server))
            wait(driver, lambda d: d.find_elements("css selector", ".row"))
            open_s = time.perf_counter() - opened
            worst, p95, steps, drawn = driver.execute_async_script(SCROLL)
            line = next(i for i, s in enumerate(segments) if s.kind == "dialogue" and len(s.text.split()) > 8)
            first_ms, size = driver.execute_async_script(HEAR, line)
            second_ms, _ = driver.execute_async_script(HEAR, line)
        finally:
            driver.quit()
            server.shutdown()
        print(f"{story.parent.name or story.name}: {words:,} words, {len(segments):,} lines")
        print(f"  studio start (read + attribute): {start_s:.2f} s")
        print(f"  page open to first lines drawn:  {open_s:.2f} s")
        print(f"  scroll top to bottom: {steps} screens, {drawn:,} lines drawn, frames: 95% under {p95:.0f} ms, "
              f"longest {worst:.0f} ms")
        print(f"  hear a line ({size / 44100:.1f} s of audio): first {first_ms:.0f} ms, again {second_ms:.0f} ms "
              f"({second_ms / first_ms:.3f}x)")


def screenshot(path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / SEED.name
        shutil.copy(SEED, copy)
        shutil.copy(ROOT / "voices.yaml", Path(tmp) / "voices.yaml")
        here = Path.cwd()
        os.chdir(tmp)  # the page shows paths as typed from the story's folder
        studio = Studio(Path(SEED.name), Path("voices.yaml"), Path("out"))
        server = serve(studio)
        driver = browser()
        try:
            driver.get(url_of(server))
            wait(driver, lambda d: d.find_elements("css selector", ".row"))
            driver.find_element("css selector", '.person[data-name="Lexie"] summary').click()
            path.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(path))
        finally:
            driver.quit()
            server.shutdown()
            os.chdir(here)
    print(f"wrote {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdnc", type=Path, default=ROOT.parent / "shared" / "pdnc-dev")
    parser.add_argument("--novel", default="Emma")
    parser.add_argument("--screenshot", type=Path, help="save the page on the seed story here")
    args = parser.parse_args(argv)
    # A cache of its own: "the first time" means synthesized, not left by an earlier run.
    cache = tempfile.TemporaryDirectory()
    os.environ["XDG_CACHE_HOME"] = cache.name
    measure(SEED)
    novel = args.pdnc / args.novel / "novel_text.txt"
    if novel.exists():
        measure(novel)
    else:
        print(f"{novel} not found: the long novel was not measured")
    if args.screenshot:
        screenshot(args.screenshot)
    cache.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
