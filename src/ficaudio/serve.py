"""Serve an output folder to podcast apps: the feed, the MP3s (with HTTP Range requests,
which apps use to seek), transcripts, chapters and covers. Read-only, and nothing
outside the folder: every path is resolved, symlinks included, and checked.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import sidecar
from .encode import CODECS
from .errors import FeedError
from .feed import FEED_NAME, FeedOptions, build_feed

CONTENT_TYPES = {
    # The audio with the types the feed's enclosures give it.
    **{codec.suffix: codec.mime for codec in CODECS.values()},
    ".vtt": "text/vtt; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/rss+xml; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    feed: FeedOptions | None = None  # title, author ...; base_url is the server's own


def make_server(out_dir: Path, options: ServeOptions) -> ThreadingHTTPServer:
    """A server for out_dir, bound but not yet serving (call serve_forever)."""
    root = Path(out_dir).resolve()
    if not root.is_dir():
        raise FeedError(f"{out_dir} is not a folder; render into it first with `ficaudio render STORY --out {out_dir}`")
    feed_options = options.feed or FeedOptions(base_url="http://localhost")
    build_feed(root, _with_base(feed_options, "http://localhost"), {})  # fail now, not on the first request

    class Handler(_Handler):
        pass

    Handler.root, Handler.feed = root, _Feed(root, feed_options)
    try:
        return _Server((options.host, options.port), Handler)
    except OSError as exc:
        raise FeedError(f"cannot listen on {options.host}:{options.port} ({exc.strerror}); "
                        "choose another with --port, or --host 127.0.0.1") from exc


def serve(out_dir: Path, options: ServeOptions, announce=print) -> None:
    """Serve until interrupted, after announcing the feed's address."""
    server = make_server(out_dir, options)
    url = feed_url(server)
    lines = [f"Serving {out_dir} read-only. Subscribe in your podcast app to:", f"  {url}"]
    if options.host in ("127.0.0.1", "localhost", "::1"):
        lines.append("Only this computer can reach that address. For a phone on the same network, "
                     "run again with --host 0.0.0.0 (then anyone on the network can fetch these files).")
    lines.append("Press Ctrl-C to stop.")
    announce("\n".join(lines))
    serve_until_interrupted(server, announce)


def serve_until_interrupted(server, announce=print) -> None:
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        announce("Stopped.")
    finally:
        server.server_close()


def feed_url(server: ThreadingHTTPServer) -> str:
    """The address to paste into a podcast app."""
    host, port = server.server_address[:2]
    if host in ("0.0.0.0", "::"):
        host = lan_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/{FEED_NAME}"


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # a documentation address: only picks the route
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def _with_base(options: FeedOptions, base_url: str) -> FeedOptions:
    return replace(options, base_url=base_url)


class _Server(ThreadingHTTPServer):
    # Podcast apps open several connections at once, and seek with many Range requests.
    request_queue_size = 128
    daemon_threads = True


class _Feed:
    """The feed and the chapters and cover files it points at, built in memory once per
    change of the folder (not per request: building reads every file's tags)."""

    def __init__(self, root: Path, options: FeedOptions):
        self.root, self.options = root, options
        self.lock = threading.Lock()
        self.key = None
        self.data, self.pieces = b"", {}

    def get(self, base_url: str) -> tuple[bytes, dict[str, bytes]]:
        key = (base_url, _folder_state(self.root))
        with self.lock:
            if key != self.key:
                pieces: dict[str, bytes] = {}
                self.data = build_feed(self.root, _with_base(self.options, base_url), pieces)
                self.pieces, self.key = pieces, key
            return self.data, self.pieces


def _folder_state(root: Path) -> tuple:
    state = []
    for entry in os.scandir(root):
        if entry.name.endswith((sidecar.SUFFIX, ".vtt", *(c.suffix for c in CODECS.values()))):
            st = entry.stat()
            state.append((entry.name, st.st_mtime_ns, st.st_size))
    return tuple(sorted(state))


class _Handler(BaseHTTPRequestHandler):
    root: Path
    feed: _Feed
    server_version = "ficaudio"
    # An idle or stalled connection lets go of its thread after this many seconds.
    timeout = 30

    def do_GET(self):
        self._respond(body=True)

    def do_HEAD(self):
        self._respond(body=False)

    def _read_only(self):
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _read_only

    def log_message(self, format, *args):
        # The request line is the client's: escape it, so no terminal control codes pass.
        line = (format % args).encode("unicode_escape", "backslashreplace").decode("ascii")[:500]
        sys.stderr.write(f"{self.address_string()} {line}\n")

    def _respond(self, body: bool):
        name = self._name()
        if name is None:
            return self.send_error(HTTPStatus.NOT_FOUND)
        try:
            data, pieces = self.feed.get(self._base_url())
        except FeedError as exc:
            return self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR, str(exc))
        if name == FEED_NAME:
            return self._send_bytes(data, CONTENT_TYPES[".xml"], body)
        if name in pieces:  # chapters and covers: made for the feed, never written here
            return self._send_bytes(pieces[name], CONTENT_TYPES.get(Path(name).suffix.lower(),
                                                                   "application/octet-stream"), body)
        path = self._file(name)
        if path is None:
            return self.send_error(HTTPStatus.NOT_FOUND)
        self._send_file(path, body)

    def _name(self) -> str | None:
        """The file name asked for, or None for anything that is not a plain name in the
        folder (percent-decoded first, so %2e%2e is caught like ..)."""
        try:
            name = unquote(urlsplit(self.path).path, errors="strict")
        except UnicodeDecodeError:
            return None
        name = name.lstrip("/") or FEED_NAME
        if "/" in name or "\\" in name or "\0" in name or name.startswith(".") or name.endswith(sidecar.SUFFIX):
            return None
        return name

    def _file(self, name: str) -> Path | None:
        suffix = Path(name).suffix.lower()
        if suffix not in CONTENT_TYPES:
            return None
        try:
            real = (self.root / name).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        # A symlink may point anywhere: what counts is where it really leads.
        if real.parent != self.root or not real.is_file():
            return None
        return real

    def _base_url(self) -> str:
        """This server's own address: the client's Host header is not to be trusted
        into URLs that other apps will follow. Worked out once per server (for 0.0.0.0
        it asks the network stack for the machine's address)."""
        base = getattr(self.server, "base_url", None)
        if base is None:
            base = self.server.base_url = feed_url(self.server).rsplit("/", 1)[0]
        return base

    def _send_bytes(self, data: bytes, content_type: str, body: bool):
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _send_file(self, path: Path, body: bool):
        size = path.stat().st_size
        span = _byte_range(self.headers.get("Range"), size)
        if span == "unsatisfiable":
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end = span or (0, size - 1)
        length = max(0, end - start + 1)
        self.send_response(HTTPStatus.PARTIAL_CONTENT if span else HTTPStatus.OK)
        self.send_header("Content-Type", CONTENT_TYPES[path.suffix.lower()])
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        if span:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not body:
            return
        try:
            with open(path, "rb") as f:
                f.seek(start)
                while length > 0:
                    chunk = f.read(min(CHUNK, length))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    length -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # apps drop a request as soon as they seek elsewhere


def _byte_range(header: str | None, size: int):
    """(start, end) inclusive for a single `bytes=` range, None to send the whole file
    (no header, or one we do not handle: RFC 9110 lets a server ignore Range), or
    "unsatisfiable"."""
    if not header:
        return None
    # No file has a size of more than 18 digits; a longer number is not a range we serve.
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d{0,18})\s*-\s*(\d{0,18})\s*", header)
    if not m or (not m.group(1) and not m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if not first:  # the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # not a valid range: ignored, as RFC 9110 asks
    if start >= size:
        return "unsatisfiable"
    return start, end
