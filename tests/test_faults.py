"""Faults a long render meets: damaged cache entries, a second render of the same story,
the main process killed, a full disk. Each is injected for real (files damaged on disk,
SIGKILL, concurrent processes, a tmpfs that fills up)."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from tests.conftest import SEED, all_end, children, needs_ffmpeg

pytestmark = needs_ffmpeg


def render_cmd(out, voices, *extra):
    return [sys.executable, "-m", "ficaudio", "render", str(SEED), "--voices", str(voices), "--out", str(out), *extra]


def run(out, voices, *extra, env=None):
    return subprocess.run(render_cmd(out, voices, *extra), capture_output=True, text=True, env=env, timeout=300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entries(tmp_path, kind):
    return [p for p in (tmp_path / "cache" / "ficaudio" / kind).rglob("*") if p.is_file()]


def test_damaged_cache_entries_are_made_again(fake_voices, tmp_path):
    first = run(tmp_path / "a", fake_voices, "--quiet", "--jobs", "1")
    assert first.returncode == 0, first.stderr
    segments, units = entries(tmp_path, "segments"), entries(tmp_path, "units")
    for n, p in enumerate(segments):  # truncated, zeroed, or emptied
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2] if n % 3 == 0 else bytes(len(data)) if n % 3 == 1 else b"")
    for p in units:
        p.write_bytes(bytes(p.stat().st_size))
    again = run(tmp_path / "b", fake_voices, "--quiet", "--jobs", "1")
    assert again.returncode == 0, again.stderr
    name = "little-greys-anatomy.mp3"
    assert digest(tmp_path / "b" / name) == digest(tmp_path / "a" / name)
    assert (tmp_path / "b" / "little-greys-anatomy.vtt").read_text() == (tmp_path / "a" / "little-greys-anatomy.vtt").read_text()


def test_a_cache_that_is_a_file_is_a_one_line_error(fake_voices, tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "ficaudio").write_text("not a folder")
    result = run(tmp_path / "out", fake_voices, "--quiet", "--jobs", "1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "render cache" in result.stderr and "not a folder" in result.stderr and "engine" not in result.stderr


def test_up_to_date_means_the_files_still_hold_what_was_rendered(fake_voices, tmp_path):
    out = tmp_path / "out"
    assert run(out, fake_voices, "--quiet").returncode == 0
    vtt = out / "little-greys-anatomy.vtt"
    good = vtt.read_text()
    vtt.write_text("X" * len(good))  # same size, other content
    result = run(out, fake_voices)
    assert result.returncode == 0 and "up to date" not in result.stdout
    assert vtt.read_text() == good


def test_a_second_render_of_the_same_story_says_who_is_writing_it(fake_voices, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, FICAUDIO_FAKE_DELAY="0.1")
    first = subprocess.Popen(render_cmd(out, fake_voices, "--quiet", "--jobs", "2"), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not children(first.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = run(out, fake_voices, "--quiet", "--jobs", "1")
    assert second.returncode == 1
    assert f"another ficaudio render (process {first.pid})" in second.stderr
    assert first.wait(120) == 0, first.stderr.read()
    assert run(out, fake_voices).stdout.count("up to date") == 1
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_kill_9_takes_the_workers_along_and_the_next_render_cleans_up(fake_voices, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, FICAUDIO_FAKE_DELAY="0.2")
    proc = subprocess.Popen(render_cmd(out, fake_voices, "--quiet", "--jobs", "2"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(children(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # some lines done, some units written
    workers = children(proc.pid)
    assert workers
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert all_end(workers)
    assert proc.stdout.read() == b""  # nobody holds the pipe: `ficaudio render x | cat` ends
    again = run(out, fake_voices, "--quiet")
    assert again.returncode == 0, again.stderr
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


@pytest.fixture
def small_disk(tmp_path):
    """A real 400 KB filesystem (tmpfs; needs root)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip() or 'not root'})")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_under_out_is_a_one_line_error(fake_voices, tmp_path, small_disk):
    result = run(small_disk, fake_voices, "--quiet")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the disk is full" in result.stderr
    assert not [p for p in small_disk.iterdir() if p.name.endswith(".part")]


def test_a_full_cache_is_not_blamed_on_the_engine(fake_voices, tmp_path, small_disk):
    env = dict(os.environ, XDG_CACHE_HOME=str(small_disk))
    result = run(tmp_path / "out", fake_voices, "--quiet", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "render cache" in result.stderr and "the disk is full" in result.stderr
    assert "engine failed" not in result.stderr


def test_cache_clear_during_nothing_and_on_a_missing_cache(tmp_path):
    result = CliRunner().invoke(main, ["cache", "--clear"])
    assert result.exit_code == 0


def paused_render(out, voices, step, stdout=subprocess.PIPE):
    """A render (one job) stopped at `step` by FICAUDIO_PAUSE_AT: SIGUSR1 resumes it."""
    env = dict(os.environ, FICAUDIO_PAUSE_AT=step)
    proc = subprocess.Popen(render_cmd(out, voices, "--quiet", "--jobs", "1"), env=env,
                            stdout=stdout, stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline().strip() == f"ficaudio: paused at {step}"
    return proc


def assert_same_as_a_clean_render(out, voices, tmp_path):
    clean = tmp_path / "clean"
    assert run(clean, voices, "--quiet", "--jobs", "1").returncode == 0
    for name in ("little-greys-anatomy.mp3", "little-greys-anatomy.vtt"):
        assert digest(out / name) == digest(clean / name), name


@pytest.mark.parametrize("step", ["unit", "tags", "audio-rename", "sidecar"])
def test_sigkill_at_each_step_of_writing_leaves_old_or_new_never_a_mix(fake_voices, tmp_path, step):
    """A first render, then a second with another voice killed at `step`: the folder
    holds the first render or nothing broken, the next run is never wrongly up to date,
    and after it the files match what they should be."""
    out = tmp_path / "out"
    assert run(out, fake_voices, "--quiet", "--jobs", "1").returncode == 0
    old_audio = digest(out / "little-greys-anatomy.mp3")
    fake_voices.write_text(fake_voices.read_text().replace("voice: high}", "voice: low, rate: 150}"))
    proc = paused_render(out, fake_voices, step, stdout=subprocess.DEVNULL)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    audio = out / "little-greys-anatomy.mp3"
    if step != "sidecar":
        assert digest(audio) == old_audio  # the old book stands until the new one is whole
    again = run(out, fake_voices, "--jobs", "1")  # units are cut by the number of jobs: keep it
    assert again.returncode == 0, again.stderr
    assert "up to date" not in again.stdout
    assert_same_as_a_clean_render(out, fake_voices, tmp_path)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_out_removed_and_made_again_mid_render_is_an_error_not_a_tag_only_file(fake_voices, tmp_path):
    import shutil

    out = tmp_path / "out"
    proc = paused_render(out, fake_voices, "unit")
    shutil.rmtree(out)
    out.mkdir()
    os.kill(proc.pid, signal.SIGUSR1)
    assert proc.wait(60) == 1
    message = proc.stderr.read()
    assert "vanished" in message and "Traceback" not in message
    assert not (out / "little-greys-anatomy.mp3").exists()  # no MP3 of tags alone
    assert not list(out.glob("*.ficaudio.json"))
    assert run(out, fake_voices, "--quiet").returncode == 0


def test_cache_clear_during_a_render_only_costs_time(fake_voices, tmp_path):
    out = tmp_path / "out"
    proc = paused_render(out, fake_voices, "unit")
    cleared = subprocess.run([sys.executable, "-m", "ficaudio", "cache", "--clear"], capture_output=True, text=True)
    assert cleared.returncode == 0 and "cleared" in cleared.stdout
    os.kill(proc.pid, signal.SIGUSR1)
    assert proc.wait(120) == 0, proc.stderr.read()
    assert_same_as_a_clean_render(out, fake_voices, tmp_path)
