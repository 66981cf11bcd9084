"""Run the whole pipeline for one script: synthesize, assemble, encode, tag, transcribe.

Audio streams through in units of a few minutes, so memory stays flat however long
the book. Synthesis runs in worker processes, encoding in parallel ffmpeg processes;
both go through the cache, so an unchanged line or unit is never made twice. Every
output is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import unicodedata
from collections import deque
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, defaults, sidecar
from . import cache as cachemod
from .assemble import INTRO_TITLE, Part, plan, silence
from .encode import Settings, encode_pcm, encoder_id, encodes_in_process, mux_m4b
from .errors import OutputError
from .model import Script
from .synthesize import Synthesizer
from .tag import ChapterMark, Tags, write_tags
from .transcript import Cue, webvtt
from .voices import Cast

UNIT_MAX_SECONDS = 300


@dataclass(frozen=True)
class RenderOptions:
    out_dir: Path = Path(defaults.OUT_DIR)
    jobs: int | None = None
    use_cache: bool = True
    cache_dir: Path | None = None
    split: bool = False
    cluster: str | None = None  # a Ray cluster's address (see cluster.py), or None: this machine
    settings: Settings = Settings()


@dataclass(frozen=True)
class Output:
    audio: Path  # the MP3 or M4B
    vtt: Path
    duration: float
    chapters: tuple[ChapterMark, ...]


@dataclass
class RenderResult:
    outputs: list[Output] = field(default_factory=list)
    sidecar: Path | None = None
    synthesized: int = 0  # lines that were not in the cache
    up_to_date: bool = False


def slugify(title: str) -> str:
    """A file name from a title: ASCII letters, digits and dashes, never a path."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"['\u2019]", "", text.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80].strip("-")
    return slug or "audiobook"


def _fingerprint(parts: list[Part], tags: Tags, options: RenderOptions) -> str:
    items = [[p.title, [[i.line.key, i.speaker, i.text, i.pause] for i in p.items]] for p in parts]
    return cachemod.key("render", __version__, items, tags, options.settings, options.split)


def render(script: Script, cast: Cast, options: RenderOptions, progress=None,
           source_fingerprint: str | None = None) -> RenderResult:
    """Render `script` into options.out_dir. `progress(done, total)` is called as lines
    finish; `source_fingerprint` (see sidecar.py) is recorded, so that rendering the
    same files again is answered from the sidecar before anything is parsed."""
    out_dir = _prepare_out_dir(options.out_dir)
    slug = slugify(script.title)
    with _writer_lock(out_dir, slug):
        _remove_leftovers(out_dir, slug)
        return _render_locked(script, cast, options, progress, source_fingerprint, out_dir, slug)


def render_story(input_path, voices_path, script: Script, cast: Cast, options: RenderOptions,
                 progress=None) -> RenderResult:
    """What `ficaudio render` and the studio's Render button do with a story read from
    input_path and cast from voices_path (None when there is no voices.yaml): every voice
    checked before any audio is made, then the render, recording the fingerprint by which
    a later `ficaudio render` of the same files says "up to date"."""
    from .voices import check_cast

    check_cast(cast)
    fingerprint = None
    if Path(input_path).is_file():
        fingerprint = sidecar.render_fingerprint(input_path, voices_path, options.settings, options.split)
    return render(script, cast, options, progress=progress, source_fingerprint=fingerprint)


def _render_locked(script, cast, options, progress, source_fingerprint, out_dir: Path, slug: str) -> RenderResult:
    meta_path = out_dir / f"{slug}{sidecar.SUFFIX}"
    previous = sidecar.read(meta_path)
    retakes = sidecar.retakes(previous)
    parts = plan(script, cast, retakes)
    tags = _tags(script, cast, cover=None)
    fingerprint = _fingerprint(parts, tags, options)
    # --no-cache asks for everything afresh, up-to-date output included.
    if (options.use_cache and previous and previous.get("fingerprint") == fingerprint
            and sidecar.intact(out_dir, previous)):
        if source_fingerprint and previous.get("source_fingerprint") != source_fingerprint:
            previous["source_fingerprint"] = source_fingerprint
            sidecar.write(meta_path, previous)
        return RenderResult(_outputs_from(out_dir, previous), meta_path, 0, True)

    tmp_cache = None
    started = time.time() - 2  # file times are coarse on some filesystems
    if options.use_cache:
        store = cachemod.Cache(options.cache_dir)
    else:
        tmp_cache = tempfile.TemporaryDirectory(prefix="ficaudio-nocache-")
        store = cachemod.Cache(Path(tmp_cache.name))
    try:
        cluster = None
        if options.cluster:
            from .cluster import Cluster

            cluster = Cluster(options.cluster)
        with Synthesizer(store, options.jobs, cluster) as synth:
            lines = [item.line for part in parts for item in part.items]
            synthesized = synth.submit(lines)
            # The workers are busy now: draw the cover meanwhile.
            tags = _tags(script, cast, cover=_cover(script, cast, store))
            groups = _file_groups(parts) if options.split else [list(range(len(parts)))]
            total = len(lines)
            counter = _Counter(progress, total)
            outputs = []
            suffix = options.settings.codec.suffix
            for n, group in enumerate(groups, 1):
                name = slug if not options.split else f"{slug}-{n:02d}"
                track = (n, len(groups)) if options.split else (1, 1)
                group_tags = tags if not options.split else _chapter_tags(tags, parts[group[-1]].title, track)
                outputs.append(
                    _render_file(out_dir / f"{name}{suffix}", [parts[i] for i in group], synth, store,
                                 options, group_tags, counter)
                )
        pause_point("sidecar")
        _write_sidecar(meta_path, script, cast, tags, outputs, fingerprint, source_fingerprint, options, retakes)
        if options.use_cache:
            store.trim(keep_since=started)  # what this render used stays, whatever the limit
        return RenderResult(outputs, meta_path, synthesized)
    finally:
        if tmp_cache is not None:
            tmp_cache.cleanup()


def _file_groups(parts: list[Part]) -> list[list[int]]:
    """One file per chapter for --split; the spoken introduction opens the first chapter's
    file rather than being an episode of its own."""
    if len(parts) > 1 and parts[0].title == INTRO_TITLE:
        return [[0, 1], *([i] for i in range(2, len(parts)))]
    return [[i] for i in range(len(parts))]


class _Counter:
    def __init__(self, callback, total):
        self.callback, self.total, self.done = callback, total, 0

    def step(self):
        self.done += 1
        if self.callback:
            self.callback(self.done, self.total)


@contextmanager
def _writer_lock(out_dir: Path, slug: str):
    """One render at a time of a story into a folder. The kernel releases the lock when
    its holder dies, however it dies, so a lock is never stale; the file only tells a
    second render who holds it."""
    import fcntl

    path = out_dir / f".{slug}.lock"
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write in the output folder {out_dir}: {cachemod.os_problem(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise OutputError(f"another ficaudio render (process {holder}) is writing {slug} in {out_dir}; "
                              "wait for it to finish, or render into another folder with --out") from None
        # The holder before us removes the file as it lets go: locked, but no longer
        # the file others will open. Try again with the one at the path now.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        try:
            path.unlink()
        except OSError:
            pass
        os.close(fd)  # releases the lock


# Temporary files of this story's outputs: ours end .<pid>.part, write_atomic's .<random>.part.
def _leftover(slug: str):
    return re.compile(r"^\.%s(?:-\d+)?\.(?:mp3|m4b|vtt|ficaudio\.json)\.(?:adts\.)?(?P<tag>[\w-]+)\.part$"
                      % re.escape(slug))


def _remove_leftovers(out_dir: Path, slug: str) -> None:
    """Temporary files a killed render of this story left: one whose process is gone, or
    (for names without a process) an hour old. Another story whose name extends this
    one's ("tea" and "tea-01") may be rendering beside it: its files are left alone."""
    pattern = _leftover(slug)
    for p in out_dir.iterdir():
        m = pattern.match(p.name)
        if not m:
            continue
        tag = m.group("tag")
        try:
            if tag.isdigit():
                if _running(int(tag)):
                    continue
            elif p.stat().st_mtime > time.time() - 3600:
                continue
            p.unlink()
        except OSError:
            pass


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prepare_out_dir(path: Path) -> Path:
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {path} ({exc.strerror}); choose another with --out") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"the output folder {path} is not writable; choose another with --out")
    return path


def _unit_samples(parts: list[Part], jobs: int, in_process: bool) -> int:
    """Unit length: short enough that every core keeps encoding to the end (the last
    unit is encoded while the others wait), long enough that each encoder's start stays
    cheap: an ffmpeg costs about 0.1 s of CPU to start, libmp3lame in this process nothing."""
    words = sum(len(i.text.split()) for p in parts for i in p.items)
    seconds = words * 60 / defaults.RATE
    per_job, least = (16, 5) if in_process else (3, 20)
    target = min(UNIT_MAX_SECONDS, max(least, seconds / (per_job * jobs)))
    return int(target * defaults.WORK_RATE)


def _render_file(path: Path, parts: list[Part], synth: Synthesizer, store, options, tags, counter) -> Output:
    settings = options.settings
    codec = settings.codec
    unit_target = _unit_samples(parts, synth.jobs, encodes_in_process(settings))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    # MP3 frames go straight into the file; AAC frames into an ADTS stream, muxed at the end.
    stream = tmp if codec.name == "mp3" else path.with_name(f".{path.name}.adts.{os.getpid()}.part")
    scale = settings.rate / defaults.WORK_RATE
    # Decoded minus intended position (output samples) of what is being added. Every unit
    # adds its priming and padding; the pause where the next unit starts is shortened to
    # take it back, so the book keeps the timeline of its text in either format, and an
    # MP3 and an M4B of one script have their chapters at the same times.
    drift = codec.delay
    cue_marks: list[tuple[int, int, int, str, str]] = []  # unit, start, end, speaker, text
    chapter_marks: list[tuple[int, int, str]] = []  # unit, offset, title
    unit: list[bytes] = []
    unit_len = 0
    unit_index = 0
    pending: deque = deque()
    frames: list[int] = []

    encoders = ThreadPoolExecutor(max_workers=synth.encoders)

    unit_suffix = f".{codec.name}"

    def encode_unit(pcm: bytes) -> bytes:
        k = cachemod.key(codec.name, 1, settings, encoder_id(settings), _digest(pcm))
        hit = store.read("units", k, unit_suffix) if options.use_cache else None
        if hit is not None:
            return hit
        if synth.cluster is not None:
            data = synth.cluster.encode(pcm, defaults.WORK_RATE, settings)
        else:
            data = encode_pcm(pcm, defaults.WORK_RATE, settings)
        if options.use_cache:
            store.put("units", k, unit_suffix, data)
        return data

    written = 0

    def drain(out, keep: int):
        nonlocal written
        while len(pending) > keep:
            data = pending.popleft().result()
            frames.append(codec.count_frames(data))
            out.write(data)
            written += len(data)
            pause_point("unit")

    def flush(out):
        nonlocal unit, unit_len, unit_index, drift
        if unit_len:
            pending.append(encoders.submit(encode_unit, b"".join(unit)))
            samples = int(round(unit_len * scale))
            drift += codec.decoded_samples(samples) - samples
            unit, unit_len = [], 0
            unit_index += 1
            drain(out, 2 * synth.encoders)  # bounded: memory stays flat

    try:
        with open(stream, "wb") as out:
            for part in parts:
                for n, item in enumerate(part.items):
                    gap = silence(item.pause)
                    pause = len(gap) // 2
                    if unit_len >= unit_target:
                        # Cut in the middle of the pause: each unit starts and ends in
                        # silence, where the encoder's priming and padding go unheard.
                        half = len(gap) // 4 * 2
                        unit.append(gap[:half])
                        unit_len += half // 2
                        flush(out)
                        gap = gap[half:]
                        trim = min(max(0, int((drift - codec.delay) / scale)), len(gap) // 2)
                        gap = gap[2 * trim:]
                        drift -= trim * scale
                    unit.append(gap)
                    unit_len += len(gap) // 2
                    if n == 0:
                        # A chapter starts with its pause, placed by the line after it: the
                        # pause may have been shortened, by an amount that differs by format.
                        chapter_marks.append((unit_index, unit_len - pause, part.title))
                    clip = synth.clip(item.line)
                    cue_marks.append((unit_index, unit_len, unit_len + clip.samples, item.speaker, item.text))
                    unit.append(clip.pcm)
                    unit_len += clip.samples
                    counter.step()
            unit.append(silence(defaults.PAUSE_END))
            unit_len += int(round(defaults.PAUSE_END * defaults.WORK_RATE))
            flush(out)
            drain(out, 0)
    except BaseException:
        _remove(tmp, stream)
        raise
    finally:
        # On Ctrl-C or an error, queued units are dropped rather than encoded.
        encoders.shutdown(wait=True, cancel_futures=True)

    # Time of a work-rate sample offset inside a unit, in seconds of the decoded file.
    starts = [0]
    for n in frames:
        starts.append(starts[-1] + n * codec.frame_samples)

    def at(unit_no: int, offset: int) -> float:
        return (starts[unit_no] + codec.delay + offset * scale) / settings.rate

    duration = starts[-1] / settings.rate
    cues = [Cue(at(u, s), at(u, e), speaker, text) for u, s, e, speaker, text in cue_marks]
    chapter_times = [at(u, o) for u, o, _ in chapter_marks]
    chapter_times[0] = 0.0
    chapters = tuple(
        ChapterMark(title, int(round(start * 1000)), int(round(end * 1000)))
        for (_, _, title), start, end in zip(chapter_marks, chapter_times, chapter_times[1:] + [duration])
    )
    try:
        if stream != tmp:
            mux_m4b(stream, tmp, chapters, tags.title)
            stream.unlink()
        elif not tmp.is_file() or tmp.stat().st_size < written:
            # The tagger would make a new file of tags alone where the audio was.
            raise OutputError(f"{tmp.parent}: the audio being written vanished (was the output folder removed "
                              "or emptied during the render?); render again")
        pause_point("tags")
        write_tags(tmp, tags, list(chapters), codec.name)
        vtt = path.with_suffix(".vtt")
        cachemod.write_atomic(vtt, webvtt(cues).encode("utf-8"))
        pause_point("audio-rename")  # the new transcript is in place, the old audio still is
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp, stream)
        raise
    return Output(path, vtt, duration, chapters)


_PAUSED: set[str] = set()


def pause_point(step: str) -> None:
    """For the fault tests: with FICAUDIO_PAUSE_AT=step the render stops here (saying so on
    stderr) until it gets SIGUSR1 or is killed, so that a test can SIGKILL it, or change
    the world under it, at exactly this point."""
    if os.environ.get("FICAUDIO_PAUSE_AT") == step and step not in _PAUSED:
        _PAUSED.add(step)  # once: a step like "unit" comes round again
        import signal
        import sys
        import threading

        # A Python handler runs in the main thread whichever thread the signal reaches.
        resumed = threading.Event()
        previous = signal.signal(signal.SIGUSR1, lambda *_: resumed.set())
        print(f"ficaudio: paused at {step}", file=sys.stderr, flush=True)
        while not resumed.wait(0.1):
            pass
        signal.signal(signal.SIGUSR1, previous)


def _remove(*paths: Path) -> None:
    for p in paths:
        if p.exists():
            p.unlink()


def _digest(pcm: bytes) -> str:
    import hashlib

    return hashlib.sha256(pcm).hexdigest()


def _fandom(script: Script) -> str | None:
    work = script.work
    return ", ".join(work.fandoms) if work and work.fandoms else None


def _cover(script: Script, cast: Cast, store: cachemod.Cache) -> tuple[bytes, str]:
    """The user's cover, or a generated one (kept in the cache: drawing it takes a while)."""
    from .cover import DESIGN, generate_cover, load_cover

    if cast.cover:
        return load_cover(cast.cover)
    k = cachemod.key("cover", DESIGN, script.title, script.author, _fandom(script))
    hit = store.read("covers", k, ".png")
    if hit is not None:
        return hit, "image/png"
    data = generate_cover(script.title, script.author, _fandom(script))
    store.put("covers", k, ".png", data)
    return data, "image/png"


def _tags(script: Script, cast: Cast, cover: tuple[bytes, str] | None) -> Tags:
    """The tags; without `cover` (not yet drawn) they still fingerprint the render, the
    cover then being named by its source."""
    work = script.work
    data, mime = cover if cover else (None, cast.cover or "generated")
    return Tags(
        title=script.title,
        author=script.author,
        album=script.title,
        summary=work.summary if work else "",
        cover=data,
        cover_mime=mime,
        fandom=_fandom(script),
        url=work.url if work else None,
        language=work.language if work else "en",
        reader=cast.reader or f"ficaudio ({' and '.join(_credits(cast))} voices)",
        series=work.series if work else None,
        series_part=work.series_part if work else None,
        comment=defaults.TTS_NOTE.format(engines=" and ".join(_credits(cast))),
    )


def _credits(cast: Cast) -> list[str]:
    from .engines import engine_class

    return [engine_class(name).credit or name for name in cast.engines()]


def _chapter_tags(tags: Tags, title: str, track: tuple[int, int]) -> Tags:
    from dataclasses import replace

    return replace(tags, title=title, track=track)


def _outputs_from(out_dir: Path, meta: dict) -> list[Output]:
    return [
        Output(out_dir / sidecar.audio_name(f), out_dir / f["vtt"], f["duration"],
               tuple(ChapterMark(c["title"], c["start_ms"], c["end_ms"]) for c in f["chapters"]))
        for f in meta["files"]
    ]


def _write_sidecar(path: Path, script: Script, cast: Cast, tags: Tags, outputs: list[Output], fingerprint: str,
                   source_fingerprint: str | None, options, retakes: dict) -> None:
    """Metadata for `ficaudio feed`, for skipping a render that is already done, and for
    `ficaudio check --fix` (what to render again, and the lines made again)."""
    work = script.work
    meta = {
        "ficaudio": __version__,
        "fingerprint": fingerprint,
        "source_fingerprint": source_fingerprint,
        "title": script.title,
        "author": script.author,
        "summary": tags.summary,
        "fandoms": list(work.fandoms) if work else [],
        "url": tags.url,
        "language": tags.language,
        "source": os.path.basename(work.source) if work and work.source else None,
        "input": os.path.abspath(work.source) if work and work.source else None,
        "voices": os.path.abspath(cast.source) if cast.source else None,
        "settings": {"rate": options.settings.rate, "channels": options.settings.channels,
                     "bitrate": options.settings.bitrate, "format": options.settings.format,
                     "split": options.split},
        "retakes": [{"speaker": speaker, "text": text, "take": take}
                    for (speaker, text), take in sorted(retakes.items())],
        "files": [
            {
                "audio": o.audio.name,
                "vtt": o.vtt.name,
                "bytes": o.audio.stat().st_size,
                "sha256": sidecar.file_digest(o.audio),
                "vtt_sha256": sidecar.file_digest(o.vtt),
                "duration": round(o.duration, 3),
                "chapters": [{"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in o.chapters],
            }
            for o in outputs
        ],
    }
    sidecar.write(path, meta)
