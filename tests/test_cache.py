"""The render cache, atomic output and resuming: fast, with the fake engine."""

import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficaudio.attribution import attribute
from ficaudio.cli import main
from ficaudio.ingest import ingest
from ficaudio.render import RenderOptions, render
from ficaudio.split import split
from ficaudio.voices import load_cast
from tests.conftest import ROOT, needs_espeak, needs_ffmpeg
from tests.test_piper import needs_piper

pytestmark = needs_ffmpeg


def _render(seed, voices, out, **kw):
    cast = load_cast(voices)
    script = attribute(split(ingest(seed)), cast)
    return render(script, cast, RenderOptions(out_dir=out, **kw)), script


def _segment_files(tmp_path):
    return set((tmp_path / "cache" / "ficaudio" / "segments").rglob("*.pcmz"))


def test_recasting_one_character_resynthesizes_only_their_lines(seed, fake_voices, tmp_path):
    first, script = _render(seed, fake_voices, tmp_path / "out", jobs=1)
    lines_total = first.synthesized
    april_lines = {s.text for s in script.segments() if s.speaker == "April"}
    assert april_lines and first.synthesized > len(april_lines)

    text = fake_voices.read_text().replace(
        "April: {aliases: [April Kepner, Kepner], gender: female, engine: fake, voice: female}",
        "April: {aliases: [April Kepner, Kepner], gender: female, engine: fake, voice: high, pitch: 70}",
    )
    fake_voices.write_text(text)
    second, _ = _render(seed, fake_voices, tmp_path / "out", jobs=1)
    assert second.synthesized == len(april_lines)
    assert second.synthesized < lines_total


def test_unchanged_render_is_up_to_date(seed, fake_voices, tmp_path):
    first, _ = _render(seed, fake_voices, tmp_path / "out", jobs=1)
    again, _ = _render(seed, fake_voices, tmp_path / "out", jobs=1)
    assert not first.up_to_date and again.up_to_date and again.synthesized == 0


def test_no_cache_leaves_the_cache_alone(seed, fake_voices, tmp_path):
    result, _ = _render(seed, fake_voices, tmp_path / "out", jobs=1, use_cache=False)
    assert result.synthesized > 0
    assert not _segment_files(tmp_path)


def test_failed_render_keeps_the_earlier_mp3(seed, fake_voices, tmp_path, monkeypatch):
    out = tmp_path / "out"
    _render(seed, fake_voices, out, jobs=1)
    mp3 = out / "little-greys-anatomy.mp3"
    before = mp3.read_bytes()

    import ficaudio.render as render_module

    def broken(*args, **kwargs):
        raise RuntimeError("encoder died")

    monkeypatch.setattr(render_module, "encode_pcm", broken)
    fake_voices.write_text(fake_voices.read_text().replace("voice: narrator", "voice: low"))
    with pytest.raises(RuntimeError):
        _render(seed, fake_voices, out, jobs=1, use_cache=False)
    assert mp3.read_bytes() == before
    assert not list(out.glob(".*.part"))


def test_ctrl_c_stops_cleanly_and_the_rerun_resumes(seed, fake_voices, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, FICAUDIO_FAKE_DELAY="0.05", PYTHONPATH=str(ROOT / "src"))
    cmd = [sys.executable, "-m", "ficaudio", "render", str(seed), "--voices", str(fake_voices),
           "--out", str(out), "--quiet", "--jobs", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while len(_segment_files(tmp_path)) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the render finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, stderr = proc.communicate(timeout=10)
    assert time.monotonic() - started < 5
    assert proc.returncode == 130
    assert "Interrupted" in stderr and "Traceback" not in stderr
    assert not list(out.glob("*.mp3")) and not list(out.glob(".*.part"))
    cached = len(_segment_files(tmp_path))
    assert cached >= 10

    env["FICAUDIO_FAKE_DELAY"] = "0"
    done = subprocess.run(cmd[:-3], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    total = int(re.search(r"(\d+) lines? synthesized", done.stderr).group(1))
    lines = len(_segment_files(tmp_path))
    assert total == lines - cached
    assert (out / "little-greys-anatomy.mp3").exists()


def test_split_writes_one_file_per_chapter_with_track_numbers(fake_voices, tmp_path):
    from mutagen.id3 import ID3

    from tests.conftest import DATA

    result, _ = _render(DATA / "chapters.txt", fake_voices, tmp_path / "out", jobs=1, split=True)
    names = [o.audio.name for o in result.outputs]
    assert names == ["the-storm-chapter-01.mp3", "the-storm-chapter-02.mp3"]
    tracks = [str(ID3(o.audio)["TRCK"]) for o in result.outputs]
    assert tracks == ["1/2", "2/2"]
    assert str(ID3(result.outputs[1].audio)["TALB"]) == "The Storm Chapter"
    # The spoken introduction opens the first chapter's file, not a file of its own.
    assert [c.title for c in result.outputs[0].chapters] == ["Introduction", "Chapter 1"]
    assert str(ID3(result.outputs[0].audio)["TIT2"]) == "Chapter 1"


def test_more_than_255_chapters_nest_tables_of_contents(fake_voices, tmp_path):
    from mutagen.id3 import ID3, CTOCFlags

    story = tmp_path / "long.txt"
    story.write_text("Long Story\n\n" + "".join(f"Chapter {n}\n\nShe ran {n} miles.\n\n" for n in range(1, 301)))
    result, _ = _render(story, fake_voices, tmp_path / "out", jobs=2)
    tags = ID3(result.outputs[0].audio)
    assert len(tags.getall("CHAP")) == 301  # the introduction and 300 chapters
    top = [t for t in tags.getall("CTOC") if t.flags & CTOCFlags.TOP_LEVEL]
    assert len(top) == 1
    children = top[0].child_element_ids
    assert len(children) == 2
    nested = {t.element_id: t for t in tags.getall("CTOC")}
    assert sum(len(nested[c].child_element_ids) for c in children) == 301
    assert all(len(nested[c].child_element_ids) <= 255 for c in children)
    starts = [c.start_time for c in sorted(tags.getall("CHAP"), key=lambda c: int(c.element_id[3:]))]
    assert starts == sorted(starts)


def test_no_cache_renders_afresh_even_when_up_to_date(seed, fake_voices, tmp_path):
    out = tmp_path / "out"
    _render(seed, fake_voices, out, jobs=1)
    result, _ = _render(seed, fake_voices, out, jobs=1)
    assert result.up_to_date
    result, _ = _render(seed, fake_voices, out, jobs=1, use_cache=False)
    assert not result.up_to_date and result.synthesized > 0


@needs_espeak
@pytest.mark.skipif(not any(importlib.util.find_spec(m) for m in ("hibari", "piper")),
                    reason="needs hibari-tts or piper-tts installed (pip install 'ficaudio[neural]')")
def test_installing_voice_engines_makes_an_uncast_render_stale(tmp_path, monkeypatch):
    """Without a voices.yaml the cast depends on the engines installed: a render made
    before the neural extra was installed is not "up to date" after."""
    from click.testing import CliRunner

    from ficaudio.cli import main

    monkeypatch.chdir(tmp_path)
    story = tmp_path / "story.txt"
    story.write_text('A Note\n\n"Hello," said Ann.\n')
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("hibari", "piper") else real(name, *a))
    args = ["render", "-q", str(story), "--out", "out"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "up to date" in CliRunner().invoke(main, args).output
    monkeypatch.setattr(importlib.util, "find_spec", real)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "up to date" not in again.output


def test_the_cache_keeps_to_its_limit_least_recently_used_first(seed, fake_voices, tmp_path):
    import os
    import time

    from ficaudio.cache import Cache

    store = Cache()
    old = [store.put("segments", f"{n:064x}", ".pcm", bytes(1000)) for n in range(300)]
    long_ago = time.time() - 86400
    for p in old:
        os.utime(p, (long_ago, long_ago))
    result = CliRunner().invoke(main, ["cache", "--limit", "200k"])
    assert result.exit_code == 0 and "removed" in result.output
    assert Cache().size()[1] <= 200_000
    _render(seed, fake_voices, tmp_path / "out", jobs=1)  # a render larger than the limit keeps what it used
    assert Cache().size()[1] > 200_000 and not any(p.exists() for p in old)  # the old ones went first
    assert "limit 0.2 MB" in CliRunner().invoke(main, ["cache"]).output
    result = CliRunner().invoke(main, ["cache", "--clear", "--older-than", "1"])
    assert result.exit_code == 0 and "cleared" in result.output and Cache().size()[0] > 0
    result = CliRunner().invoke(main, ["cache", "--clear"])
    assert Cache().size() == (0, 0) and Cache().limit == 200_000
    assert CliRunner().invoke(main, ["cache", "--limit", "lots"]).exit_code == 1


@pytest.mark.parametrize("voices", [pytest.param("voices.espeak.yaml", marks=needs_espeak),
                                    pytest.param("voices.piper.yaml", marks=needs_piper)])
def test_lines_are_the_same_samples_whatever_jobs_is(seed, tmp_path, voices):
    """A worker's earlier lines leave no trace in its next one: the cache made with one
    job and with two holds the same bytes, so a resumed render matches a clean one."""
    import shutil

    def segments():
        return {p.name: p.read_bytes() for p in _segment_files(tmp_path)}

    _render(seed, ROOT / voices, tmp_path / "one", jobs=1)
    one = segments()
    shutil.rmtree(tmp_path / "cache" / "ficaudio" / "segments")
    _render(seed, ROOT / voices, tmp_path / "two", jobs=2)
    assert len(one) > 50 and segments() == one
