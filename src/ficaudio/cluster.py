"""Rendering on a Ray cluster: lines are synthesized and units encoded as Ray tasks,
spread over every node's CPUs, while the driver (the machine that runs `ficaudio
render`) does what it does alone: planning, assembly order, tags, transcripts, sidecars.

The cache stays the driver's. A task returns its line (packed losslessly) or its encoded
unit through Ray's object store, and the driver checks and stores it, exactly as a local
worker's result: the nodes need no shared folder, the cache's atomic writes and
checksums stay in one place, and a later render, local or on the cluster, finds every
line and unit under the key it always had. What is in the driver's cache is never sent
to the cluster.

Every node needs ficaudio installed, with the same engines and voices, in the Python
that runs Ray (`pip install 'ficaudio[cluster,neural]'`).
"""

from __future__ import annotations

from concurrent.futures import Future
from importlib import util

from . import lossless
from .errors import ClusterError, first_line

INSTALL = "pip install 'ficaudio[cluster]'"
# A task whose worker dies (killed, out of memory, a node lost) is run again elsewhere.
RETRIES = 3
_CONNECT_SECONDS = 5


def _synthesize_packed(text: str, profile) -> bytes:
    """On a node: one line, levelled and packed as the cache keeps it."""
    from .synthesize import Line, synthesize_line

    return lossless.pack(synthesize_line(Line(text, profile)).pcm)


def _encode(pcm: bytes, rate: int, settings) -> bytes:
    """On a node: one unit, encoded."""
    from .encode import encode_pcm

    return encode_pcm(pcm, rate, settings)


class Cluster:
    """A connection to a Ray cluster, and the tasks this render has running on it."""

    def __init__(self, address: str):
        if util.find_spec("ray") is None:
            raise ClusterError(f"--cluster needs Ray, an optional extra: run `{INSTALL}`")
        import ray

        self._ray = ray
        if not ray.is_initialized():  # a program that has called ray.init itself keeps its cluster
            _reachable(address)
            try:
                # "auto": the cluster this machine belongs to (`ray start --head` here);
                # ray://HOST:PORT: a cluster elsewhere, through its client server.
                ray.init(address=address, logging_level="ERROR", log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ClusterError(f"cannot reach the Ray cluster at {address} ({first_line(exc, 200)}); start one "
                                   "with `ray start --head`, or give --cluster ray://HOST:PORT") from None
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._synthesize = ray.remote(max_retries=RETRIES)(_synthesize_packed)
        self._encode = ray.remote(max_retries=RETRIES)(_encode)
        self._running: dict = {}  # ObjectRef -> Future, until the driver has the result

    def synthesize(self, text: str, profile) -> Future:
        """A future of the line's packed audio."""
        return self._track(self._synthesize.remote(text, profile))

    def encode(self, pcm: bytes, rate: int, settings) -> bytes:
        """The unit, encoded on the cluster (waits for it)."""
        return self._track(self._encode.remote(pcm, rate, settings)).result()

    def _track(self, ref) -> Future:
        future = ref.future()
        self._running[ref] = future
        future.add_done_callback(lambda _: self._running.pop(ref, None))
        return future

    def cancel(self) -> None:
        """Stop this render's tasks that have not finished (Ctrl-C): queued ones never
        start, running ones are interrupted. Nothing they made reaches the cache."""
        for ref in list(self._running):
            try:
                self._ray.cancel(ref, force=False)
            except Exception:  # already finished or gone: nothing to stop
                pass
        self._running.clear()


def _reachable(address: str) -> None:
    """Fail at once on a head that does not answer: Ray itself would keep trying for a
    minute or more."""
    import socket

    if address == "auto":
        return  # Ray looks up the cluster this machine belongs to, and says at once if none
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"--cluster takes auto, ray://HOST:PORT or HOST:PORT, not {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=_CONNECT_SECONDS).close()
    except OSError as exc:
        raise ClusterError(f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
                           "`ray start --head`, or check the address") from None
