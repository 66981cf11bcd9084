"""The studio's HTTP side: routes from the page to a Studio, on loopback."""

from __future__ import annotations

import json
import re
import secrets
import webbrowser
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import FeedError, FicaudioError
from ..serve import _Handler, serve_until_interrupted
from . import PAGE_FILES, Studio, as_json, index_html, page

MAX_BODY = 1 << 20
_LOCAL_HOST = re.compile(r"^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$")
_LINE = re.compile(r"^/api/line/(\d{1,9})\.wav$")


class _StudioHandler(_Handler):
    studio: Studio
    # Serving the output folder's audio (with Range, for seeking) is serve.py's job;
    # the root it serves from is the studio's output folder.
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass  # the terminal shows the address, not every request

    def _refuse(self, status: HTTPStatus, message: str):
        data = as_json({"error": message})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _local(self) -> bool:
        # A page on another site can reach 127.0.0.1 through a name it controls (DNS
        # rebinding); such requests carry that name in Host.
        return bool(_LOCAL_HOST.match(self.headers.get("Host", "")))

    def _send(self, data: bytes, content_type: str, body: bool = True, cache: str = "no-cache"):
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_HEAD(self):
        self._get(body=False)

    def do_GET(self):
        self._get(body=True)

    def _get(self, body: bool):
        if not self._local():
            return self._refuse(HTTPStatus.FORBIDDEN, "the studio answers on 127.0.0.1 only")
        url = urlsplit(self.path)
        path = url.path
        studio = self.studio
        try:
            if path in ("/", "/index.html"):
                return self._send(index_html(studio), "text/html; charset=utf-8", body, "no-store")
            if path.startswith("/page/") and path[6:] in PAGE_FILES:
                return self._send(page(path[6:]), PAGE_FILES[path[6:]], body)
            if path == "/api/state":
                since = parse_qs(url.query).get("since", [""])[0]
                if since == str(studio.version):
                    return self._send(as_json({"version": studio.version, "render": studio.render_state()}),
                                      "application/json", body)
                return self._send(as_json(studio.state()), "application/json", body)
            if path == "/api/render":
                return self._send(as_json(studio.render_state()), "application/json", body)
            m = _LINE.match(path)
            if m:
                return self._send(studio.line_wav(int(m.group(1))), "audio/wav", body)
            if path == "/api/audition.wav":
                query = parse_qs(url.query)
                try:
                    voice = json.loads(query.get("voice", ["{}"])[0])
                except ValueError:
                    voice = None
                return self._send(studio.audition_wav(query.get("name", [""])[0], voice if isinstance(voice, dict)
                                                      else None), "audio/wav", body)
            if path.startswith("/out/"):
                name = unquote(path[5:])
                if "/" in name or "\\" in name or name.startswith(".") or not name:
                    return self._refuse(HTTPStatus.NOT_FOUND, "no such file")
                found = self._file(name) if self.root.is_dir() else None
                if found is None:
                    return self._refuse(HTTPStatus.NOT_FOUND, "no such file")
                return self._send_file(found, body)
        except FicaudioError as exc:
            return self._refuse(HTTPStatus.BAD_REQUEST, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            return None
        except Exception as exc:  # a bug: the page shows it rather than waiting for ever
            return self._refuse(HTTPStatus.INTERNAL_SERVER_ERROR, f"studio error: {exc!r}")
        return self._refuse(HTTPStatus.NOT_FOUND, "no such page")

    def do_POST(self):
        if not self._local():
            return self._refuse(HTTPStatus.FORBIDDEN, "the studio answers on 127.0.0.1 only")
        # The token is in the page only: another site's page cannot read it, and a custom
        # header cannot be sent cross-site without a preflight we never answer.
        if not secrets.compare_digest(self.headers.get("X-Studio-Token", ""), self.studio.token):
            return self._refuse(HTTPStatus.FORBIDDEN, "missing or wrong studio token; reload the page")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request too large")
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError:
            return self._refuse(HTTPStatus.BAD_REQUEST, "the request is not JSON")
        studio = self.studio
        routes = {
            "/api/speaker": lambda: studio.set_speaker(list(data.get("lines") or []), str(data.get("speaker", ""))),
            "/api/voice": lambda: studio.set_voice(str(data.get("name", "")), data.get("voice") or {},
                                                   data.get("gender") or None),
            "/api/alias": lambda: studio.add_alias(str(data.get("name", "")), str(data.get("alias", ""))),
            "/api/merge": lambda: studio.merge(str(data.get("merged", "")), str(data.get("into", ""))),
            "/api/ignore": lambda: studio.ignore(str(data.get("name", ""))),
            "/api/render": studio.start_render,
        }
        action = routes.get(urlsplit(self.path).path)
        if action is None:
            return self._refuse(HTTPStatus.NOT_FOUND, "no such action")
        try:
            action()
        except FicaudioError as exc:
            return self._refuse(HTTPStatus.BAD_REQUEST, str(exc))
        except Exception as exc:  # a bug: the page shows it rather than waiting for ever
            return self._refuse(HTTPStatus.INTERNAL_SERVER_ERROR, f"studio error: {exc!r}")
        self._send(as_json({"ok": True, "version": studio.version}), "application/json")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _Handler._read_only


def make_server(studio: Studio, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    class Handler(_StudioHandler):
        pass

    Handler.studio, Handler.root = studio, Path(studio.out_dir).resolve()
    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        raise FeedError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another with --port") from exc
    server.daemon_threads = True
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


def run(studio: Studio, port: int = 0, open_browser: bool = True, announce=print) -> None:
    """Serve the studio until Ctrl-C; the address is the first thing announced."""
    server = make_server(studio, port=port)
    url = url_of(server)
    announce(url)
    announce(f"Studio for {studio.input_path.name}: fixes are saved as you make them; Ctrl-C to stop.")
    if open_browser:
        webbrowser.open(url)
    serve_until_interrupted(server, announce)
