"""Stage 4: turn lines of text into audio clips, in parallel, through the cache.

Every clip is mono 16-bit PCM at defaults.WORK_RATE. pyttsx3 holds one engine per
process, so parallel synthesis uses worker processes; each keeps its engines loaded.
"""

from __future__ import annotations

import os
import re
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property, lru_cache

from pydub import AudioSegment

from . import cache as cachemod
from . import defaults, lossless
from .engines import get_engine
from .errors import EngineError, FicaudioError, first_line
from .voices import VoiceProfile


@dataclass(frozen=True)
class Clip:
    """Immutable mono 16-bit PCM audio."""

    pcm: bytes
    rate: int = defaults.WORK_RATE

    @property
    def samples(self) -> int:
        return len(self.pcm) // 2


@dataclass(frozen=True)
class Line:
    """One thing to say, in one voice. `text` is already what the engine should read."""

    text: str
    profile: VoiceProfile

    @cached_property
    def key(self) -> str:
        # Hashed once: the render fingerprint, the queue and the lookup all ask for it.
        return line_key(self.text, self.profile)


@lru_cache(maxsize=None)
def _engine_version(name: str) -> str:
    return get_engine(name).version()


# Bump when loudness.level changes what it makes: cached clips are levelled already.
LEVELLING = 3


def line_key(text: str, profile: VoiceProfile) -> str:
    version = _engine_version(profile.engine)
    voice = get_engine(profile.engine).voice_version(profile)
    if voice:  # only engines with voice files: other keys stay as they were
        version = f"{version}+{voice}"
    return cachemod.key("segment", 2, version, profile, text, defaults.WORK_RATE, LEVELLING)


def apply_pronunciations(text: str, pronunciations) -> str:
    """Whole-word, case-insensitive replacements from voices.yaml's `pronunciations`."""
    for word, said in pronunciations:
        text = re.sub(r"(?<!\w)%s(?!\w)" % re.escape(word), said.replace("\\", "\\\\"), text, flags=re.IGNORECASE)
    return text


def to_clip(audio: AudioSegment) -> Clip:
    if audio.channels != 1:
        audio = audio.set_channels(1)
    if audio.sample_width != 2:
        audio = audio.set_sample_width(2)
    if audio.frame_rate != defaults.WORK_RATE:
        audio = audio.set_frame_rate(defaults.WORK_RATE)
    return Clip(audio.raw_data)


def synthesize_line(line: Line) -> Clip:
    """Synthesize one line now, in this process, without the cache."""
    from .loudness import level

    audio = get_engine(line.profile.engine).synthesize(line.text, line.profile)
    return level(to_clip(audio), line.profile.volume)


# Segments are kept packed (lossless, a third to a half smaller than raw PCM). A cache written
# before they were still answers, from its raw entries.
_PACKED, _RAW = ".pcmz", ".pcm"


def store_pcm(store: cachemod.Cache, key: str, pcm: bytes) -> None:
    store.put("segments", key, _PACKED, lossless.pack(pcm))


def cached_pcm(store: cachemod.Cache, key: str) -> bytes | None:
    """A line's cached audio, or None if it was never made (or was damaged since)."""
    data = store.read("segments", key, _PACKED)
    if data is not None:
        try:
            return lossless.unpack(data)
        except lossless.PackError:
            return None
    return store.read("segments", key, _RAW)


def has_pcm(store: cachemod.Cache, key: str) -> bool:
    return store.has("segments", key, _PACKED) or store.has("segments", key, _RAW)


# Units encoded at once on a cluster: each waiting unit holds minutes of audio in memory.
_MAX_CLUSTER_ENCODERS = 16


def _work(text: str, profile: VoiceProfile, key: str, root: str) -> bytes | None:
    """In a worker: the line made and cached. Its audio comes back too (None if it was
    cached already), so the render need not read it back and unpack it."""
    store = cachemod.Cache(root)
    if has_pcm(store, key):
        return None
    pcm = synthesize_line(Line(text, profile)).pcm
    store_pcm(store, key, pcm)
    return pcm


def _context():
    """Workers are forked: they start at once, with every module and espeak-ng already
    loaded. That is safe because we run espeak-ng in its synchronous mode, which starts
    no threads, and the pool forks all its workers before it starts its own thread."""
    import multiprocessing as mp

    return mp.get_context("fork")


def _quiet_worker(parent: int):
    # Ctrl-C is the parent's to handle; workers just stop when told.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(parent)


def _die_with(parent: int) -> None:
    """End this worker when the process that started it ends, even by SIGKILL: a worker
    left behind holds memory and the terminal (`ficaudio render x | cat` would hang)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG, Linux only
    except (OSError, AttributeError):
        return  # elsewhere the pool's own checks remain
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(1)


class Synthesizer:
    """Runs synthesis jobs over `jobs` processes, or as tasks on a Ray cluster (see
    cluster.py), storing clips in the cache."""

    def __init__(self, store: cachemod.Cache, jobs: int | None = None, cluster=None):
        self.store = store
        # Also sizes the book's units, so a render on a cluster writes the same bytes as
        # a local one with the same --jobs.
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.cluster = cluster
        # How many units are encoded at once: every core of the machine or the cluster.
        self.encoders = min(cluster.cpus, _MAX_CLUSTER_ENCODERS) if cluster else self.jobs
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future] = {}
        self._queued: set[str] = set()
        # Lines wait here until the window has room: the render holds the audio of at
        # most a window of lines that the book has not reached yet, however long the book.
        self._waiting: deque[Line] = deque()
        self._waiting_keys: set[str] = set()
        self._window = 2 * cluster.cpus if cluster else 8 * self.jobs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close(cancel=exc[0] is not None)

    def close(self, cancel: bool = False):
        if cancel:
            self._waiting.clear()
            self._waiting_keys.clear()
            if self.cluster is not None:
                self.cluster.cancel()
        if self._pool is not None:
            # On Ctrl-C, queued lines are dropped and the few a worker has begun (one
            # line each) finish into the cache: killing workers mid-line would break the
            # pool's pipes, which then print tracebacks at the user.
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None

    def submit(self, lines) -> int:
        """Queue every line not already cached; returns how many were queued. With one
        job, lines are synthesized here, in order, as clip() asks for them."""
        queued = 0
        for line in lines:
            key = line.key
            if key in self._queued or has_pcm(self.store, key):
                continue
            self._queued.add(key)
            queued += 1
            if self.cluster is not None or self.jobs > 1:
                self._waiting.append(line)
                self._waiting_keys.add(key)
        if self._waiting and self.cluster is None and self._pool is None:
            self._pool = ProcessPoolExecutor(self.jobs, _context(), initializer=_quiet_worker,
                                             initargs=(os.getpid(),))
        self._top_up()
        return queued

    def _top_up(self, through: str | None = None) -> None:
        """Send waiting lines to the workers or the cluster while the window has room,
        and in any case up to the line keyed `through`, which the book needs now."""
        while self._waiting and (len(self._futures) < self._window or through in self._waiting_keys):
            line = self._waiting.popleft()
            self._waiting_keys.discard(line.key)
            if self.cluster is not None:
                self._futures[line.key] = self.cluster.synthesize(line.text, line.profile)
            else:
                self._futures[line.key] = self._pool.submit(_work, line.text, line.profile, line.key,
                                                            str(self.store.root))

    def clip(self, line: Line) -> Clip:
        key = line.key
        self._top_up(through=key)
        # Popped: a line said twice is read from the cache the second time.
        future = self._futures.pop(key, None)
        if future is not None:
            try:
                made = future.result()
            except Exception as exc:  # a crash inside an engine, here or on a node
                cause = getattr(exc, "cause", None) or exc  # Ray wraps what the task raised
                if isinstance(cause, FicaudioError):
                    raise cause from None
                raise EngineError(f"the {line.profile.engine} engine failed on {line.text[:40]!r}: "
                                  f"{first_line(cause)}") from exc
            self._top_up()
            if self.cluster is not None:
                self.store.put("segments", key, _PACKED, made)
            elif made is not None:
                return Clip(made)
        pcm = cached_pcm(self.store, key)
        if pcm is None:  # never made, or damaged since: made again, here
            pcm = synthesize_line(line).pcm
            store_pcm(self.store, key, pcm)
        return Clip(pcm)
