"""`ficaudio render --cluster`: a real Ray cluster on this machine (`ray start --head` in a
temporary folder, two CPUs), driven by the CLI as a user would."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from importlib import util
from pathlib import Path

import pytest

from tests.conftest import DATA, FAKE_VOICES, SEED, needs_ffmpeg

pytestmark = needs_ffmpeg
needs_ray = pytest.mark.skipif(util.find_spec("ray") is None, reason="needs Ray (pip install 'ficaudio[cluster]')")
# Seconds the fake engine takes per line on the cluster's workers: slow enough to kill a
# worker or press Ctrl-C mid-render, fast enough for CI.
DELAY = "0.1"
TASK_TITLES = ("ray::_synthesize_packed", "ray::_encode")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray() -> str:
    return str(Path(sys.executable).with_name("ray"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The address of a Ray head with two CPUs of its own, stopped after this module's
    tests. `ray start --block` in a session of its own: stopping it stops just this
    cluster, never one the developer runs (as `ray stop` would)."""
    folder = tmp_path_factory.mktemp("ray")
    port = _free_port()
    env = dict(os.environ, FICAUDIO_FAKE_DELAY=DELAY, RAY_USAGE_STATS_ENABLED="0")
    head = subprocess.Popen([_ray(), "start", "--head", "--block", "--num-cpus", "2", "--port", str(port),
                             "--temp-dir", str(folder), "--ray-client-server-port", str(_free_port()),
                             "--dashboard-port", str(_free_port()), "--disable-usage-stats"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _answers(port):
            assert head.poll() is None, head.stderr.read().decode(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the Ray head did not start"
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def story_folder(tmp_path):
    (tmp_path / "voices.yaml").write_text(FAKE_VOICES, encoding="utf-8")
    for story in (SEED, DATA / "three_chapters.txt"):
        shutil.copy(story, tmp_path / story.name)
    return tmp_path


def _ficaudio(*args, cwd, cache, wait=True):
    command = [sys.executable, "-m", "ficaudio", "render", *args, "--jobs", "2"]
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    env.pop("FICAUDIO_FAKE_DELAY", None)  # local renders run at full speed
    if not wait:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _pcm(path: Path) -> bytes:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-"],
                          capture_output=True, check=True).stdout


def _tasks_running() -> list[int]:
    """Ray workers running one of our tasks now (Ray titles a busy worker by its task)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if command.startswith(TASK_TITLES):
                found.append(int(entry.name))
    return found


@needs_ray
def test_the_seed_and_a_chaptered_story_come_out_the_same_as_a_local_render(cluster, story_folder):
    local = _ficaudio(SEED.name, "three_chapters.txt", "--out", "local", cwd=story_folder,
                      cache=story_folder / "local-cache")
    assert local.returncode == 0, local.stderr
    shared = story_folder / "cluster-cache"
    on_cluster = _ficaudio(SEED.name, "three_chapters.txt", "--out", "cluster", "--cluster", cluster,
                           cwd=story_folder, cache=shared)
    assert on_cluster.returncode == 0, on_cluster.stderr
    books = sorted(p.name for p in (story_folder / "local").glob("*.mp3"))
    assert len(books) == 2
    for name in books:
        mine, theirs = story_folder / "local" / name, story_folder / "cluster" / name
        assert _pcm(theirs) == _pcm(mine)
        assert theirs.read_bytes() == mine.read_bytes()  # the same file, tags and chapters included
        assert theirs.with_suffix(".vtt").read_text() == mine.with_suffix(".vtt").read_text()
    # The cluster filled the driver's cache, keyed as always: nothing is made twice,
    # whether the next render is on the cluster or here.
    for how in (("--cluster", cluster), ()):
        again = _ficaudio(SEED.name, "three_chapters.txt", "--out", f"again{len(how)}", *how,
                          cwd=story_folder, cache=shared)
        assert again.returncode == 0, again.stderr
        assert again.stderr.count("0 lines synthesized") == 2, again.stderr


@needs_ray
def test_a_killed_worker_s_line_is_made_again_elsewhere(cluster, story_folder):
    reference = _ficaudio(SEED.name, "--out", "local", cwd=story_folder, cache=story_folder / "local-cache")
    assert reference.returncode == 0, reference.stderr
    render = _ficaudio(SEED.name, "--out", "cluster", "--quiet", "--cluster", cluster, cwd=story_folder,
                       cache=story_folder / "cluster-cache", wait=False)
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and render.poll() is None and time.monotonic() < deadline:
        busy = _tasks_running()
        if busy:
            killed = busy[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.01)
    out, err = render.communicate(timeout=300)
    assert killed is not None, "no worker was caught running a task"
    assert render.returncode == 0, err
    name = next((story_folder / "local").glob("*.mp3")).name
    assert _pcm(story_folder / "cluster" / name) == _pcm(story_folder / "local" / name)


@needs_ray
def test_ctrl_c_cancels_the_cluster_s_work_and_leaves_the_cache_whole(cluster, story_folder):
    cache = story_folder / "cluster-cache"
    render = _ficaudio(SEED.name, "--out", "cluster", "--quiet", "--cluster", cluster, cwd=story_folder,
                       cache=cache, wait=False)
    segments = cache / "ficaudio" / "segments"
    deadline = time.monotonic() + 120
    while render.poll() is None and time.monotonic() < deadline and len(list(segments.rglob("*.pcmz"))) < 6:
        time.sleep(0.05)
    assert render.poll() is None, "the render ended before it could be interrupted"
    render.send_signal(signal.SIGINT)
    out, err = render.communicate(timeout=60)
    assert render.returncode == 130, err
    assert "Traceback" not in err
    made = len(list(segments.rglob("*.pcmz")))
    assert made < 74  # the seed's lines: the rest were never made
    # The cluster stops this render's tasks: none is left running, and none adds a line
    # to the driver's cache after the driver has gone.
    deadline = time.monotonic() + 15
    while _tasks_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _tasks_running()
    assert len(list(segments.rglob("*.pcmz"))) == made
    # What is cached is whole: resumed here, the book is the same as a clean render's.
    resumed = _ficaudio(SEED.name, "--out", "cluster", cwd=story_folder, cache=cache)
    assert resumed.returncode == 0, resumed.stderr
    assert re.search(rf"\b{74 - made} lines? synthesized", resumed.stderr), resumed.stderr
    clean = _ficaudio(SEED.name, "--out", "clean", cwd=story_folder, cache=story_folder / "clean-cache")
    name = next((story_folder / "clean").glob("*.mp3")).name
    assert _pcm(story_folder / "cluster" / name) == _pcm(story_folder / "clean" / name)
    assert clean.returncode == 0


def test_without_ray_the_message_says_what_to_install(story_folder, monkeypatch):
    from click.testing import CliRunner

    from ficaudio.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails
    monkeypatch.chdir(story_folder)
    result = CliRunner().invoke(main, ["render", "--quiet", SEED.name, "--cluster", "auto"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: --cluster needs Ray, an optional extra: run `pip install 'ficaudio[cluster]'`")
    assert not (story_folder / "out" / "little-greys-anatomy.mp3").exists()


@needs_ray
@pytest.mark.parametrize("address, message", [
    ("127.0.0.1:1", "no Ray cluster answers at 127.0.0.1:1"),
    ("ray://127.0.0.1:1", "no Ray cluster answers at ray://127.0.0.1:1"),
    ("somewhere", "--cluster takes auto, ray://HOST:PORT or HOST:PORT, not 'somewhere'"),
])
def test_a_cluster_that_is_not_there_is_a_one_line_error_at_once(story_folder, address, message):
    started = time.monotonic()
    result = _ficaudio(SEED.name, "--quiet", "--cluster", address, cwd=story_folder, cache=story_folder / "cache")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {message}")
    assert time.monotonic() - started < 30
