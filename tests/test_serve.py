import http.client
import os
import shutil
import time
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from ficaudio.errors import FeedError
from ficaudio.serve import ServeOptions, feed_url, make_server
from tests.test_feed import out, rendered  # noqa: F401 - the rendered folder fixtures

pytestmark = pytest.mark.usefixtures("out")


@pytest.fixture
def server(out):  # noqa: F811
    server = make_server(out, ServeOptions(host="127.0.0.1", port=0))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def base(server):
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def get(url, headers=None, method="GET"):
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def raw_get(server, path):
    """A request with the path exactly as written: urllib would tidy up `..`."""
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    conn.request("GET", path)
    status = conn.getresponse().status
    conn.close()
    return status


def test_feed_points_at_the_server(server, out):  # noqa: F811
    assert feed_url(server) == base(server) + "/feed.xml"
    status, headers, body = get(feed_url(server))
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(body).find("channel")
    for item in channel.findall("item"):
        url = item.find("enclosure").get("url")
        assert url.startswith(base(server) + "/")
        status, headers, data = get(url)
        assert status == 200 and headers["Content-Type"] == item.find("enclosure").get("type")
        assert headers["Content-Type"] == ("audio/x-m4a" if url.endswith(".m4b") else "audio/mpeg")
        assert len(data) == int(item.find("enclosure").get("length"))
    assert not (out / "feed.xml").exists()  # a published feed on disk is left alone


def test_range_requests_return_the_right_bytes(server, out):  # noqa: F811
    mp3 = out / "little-greys-anatomy.mp3"
    data = mp3.read_bytes()
    url = base(server) + "/" + mp3.name
    status, headers, body = get(url, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == data[1000:2000]
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert headers["Content-Length"] == "1000" and headers["Accept-Ranges"] == "bytes"
    status, _, body = get(url, {"Range": "bytes=-500"})
    assert status == 206 and body == data[-500:]
    status, _, body = get(url, {"Range": f"bytes={len(data) - 10}-"})
    assert status == 206 and body == data[-10:]
    status, headers, _ = get(url, {"Range": f"bytes={len(data)}-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(data)}"
    status, headers, body = get(url, method="HEAD")
    assert status == 200 and headers["Content-Length"] == str(len(data)) and body == b""


@pytest.mark.parametrize("suffix,kind", [(".vtt", "text/vtt"), (".chapters.json", "application/json"),
                                         (".cover.png", "image/png")])
def test_content_types(server, suffix, kind):
    get(base(server) + "/feed.xml")  # writes the chapters and cover files
    status, headers, _ = get(base(server) + "/little-greys-anatomy" + suffix)
    assert status == 200 and headers["Content-Type"].startswith(kind)


def test_nothing_outside_the_folder_is_served(server, out, tmp_path):  # noqa: F811
    secret = tmp_path / "secret.json"
    secret.write_text('{"secret": true}')
    os.symlink(secret, out / "escape.json")
    os.symlink("/etc/passwd", out / "passwd.xml")
    for path in ("/../secret.json", "/%2e%2e/secret.json", "/%2E%2E%2Fsecret.json", "/..%2fsecret.json",
                 "/escape.json", "/passwd.xml", "/out/../../secret.json", "//etc/passwd", "/%2fetc%2fpasswd",
                 "/little-greys-anatomy.ficaudio.json", "/.little-greys-anatomy.mp3.part", "/%ff.mp3"):
        assert raw_get(server, path) == 404, path


def test_read_only(server):
    for method in ("POST", "PUT", "DELETE"):
        status, headers, _ = get(base(server) + "/feed.xml", method=method)
        assert status == 405 and headers["Allow"] == "GET, HEAD"


def test_busy_port_is_a_clear_error(server, out):  # noqa: F811
    with pytest.raises(FeedError, match="--port"):
        make_server(out, ServeOptions(host="127.0.0.1", port=server.server_address[1]))


def test_a_range_with_a_huge_number_gets_the_whole_file(server, out):  # noqa: F811
    mp3 = out / "little-greys-anatomy.mp3"
    status, headers, body = get(base(server) + "/" + mp3.name, {"Range": "bytes=" + "9" * 5000 + "-"})
    assert status == 200 and body == mp3.read_bytes()


def test_the_feed_names_the_server_never_the_clients_host_header(server):
    status, _, body = get(feed_url(server), {"Host": "evil.example"})
    assert status == 200 and b"evil.example" not in body
    enclosures = [i.find("enclosure").get("url") for i in ET.fromstring(body).find("channel").findall("item")]
    assert enclosures and all(u.startswith(base(server) + "/") for u in enclosures)


def test_the_feed_is_built_once_per_change_of_the_folder(server, out, monkeypatch):  # noqa: F811
    import ficaudio.serve as serve

    calls = []
    real = serve.build_feed
    monkeypatch.setattr(serve, "build_feed", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(20):
        assert get(feed_url(server))[0] == 200
    assert len(calls) == 1
    meta = next(out.glob("*.ficaudio.json"))
    os.utime(meta, ns=(meta.stat().st_atime_ns, meta.stat().st_mtime_ns + 10**9))
    assert get(feed_url(server))[0] == 200 and len(calls) == 2


def test_an_idle_connection_is_let_go(out, monkeypatch):  # noqa: F811
    import socket

    from ficaudio.serve import _Handler

    monkeypatch.setattr(_Handler, "timeout", 1)
    server = make_server(out, ServeOptions(host="127.0.0.1", port=0))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        idle = [socket.create_connection(server.server_address[:2]) for _ in range(50)]
        assert get(feed_url(server))[0] == 200  # others still get through
        idle[0].settimeout(10)
        assert idle[0].recv(1) == b""  # closed by the server after its timeout
        for s in idle:
            s.close()
    finally:
        server.shutdown()
        server.server_close()


def test_request_lines_are_logged_escaped(server, capfd):
    import socket

    raw_get(server, "/%1b[31mred")
    with socket.create_connection(server.server_address[:2], timeout=10) as s:  # as a hostile client sends it
        s.sendall(b"GET /\x1b[2Jx HTTP/1.0\r\n\r\n")
        while s.recv(4096):
            pass
    time.sleep(0.2)
    assert "\x1b" not in capfd.readouterr().err


def test_serve_writes_nothing_and_works_on_a_read_only_folder(out, tmp_path):  # noqa: F811
    import subprocess

    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(ro)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        for p in out.iterdir():
            if p.is_file() and not p.name.endswith((".chapters.json", ".png", ".jpg", "feed.xml")):
                shutil.copy(p, ro / p.name)
        before = sorted(p.name for p in ro.iterdir())
        assert subprocess.run(["mount", "-o", "remount,ro", str(ro)]).returncode == 0
        server = make_server(ro, ServeOptions(host="127.0.0.1", port=0))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            status, _, body = get(feed_url(server))
            assert status == 200
            channel = ET.fromstring(body).find("channel")
            for item in channel.findall("item"):
                for tag in ("{https://podcastindex.org/namespace/1.0}chapters", "{http://www.itunes.com/dtds/podcast-1.0.dtd}image"):
                    node = item.find(tag)
                    if node is not None:
                        url = node.get("url") or node.get("href")
                        assert get(url)[0] == 200, url
        finally:
            server.shutdown()
            server.server_close()
        assert sorted(p.name for p in ro.iterdir()) == before
    finally:
        subprocess.run(["umount", str(ro)], check=False)
