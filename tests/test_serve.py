import http.client
import os
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
