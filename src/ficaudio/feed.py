"""A podcast feed (RSS 2.0 with the iTunes and Podcasting 2.0 tags) of what was rendered
into a folder, built from the metadata files render writes, so no story is read again.

Beside the feed go the pieces it points at that render does not write: a chapters file
per MP3 (Podcasting 2.0 JSON chapters) and the cover images, taken from the MP3s.
"""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from . import defaults, sidecar
from .cache import write_atomic
from .errors import FeedError

FEED_NAME = "feed.xml"
CHAPTERS_SUFFIX = ".chapters.json"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
CATEGORY = ("Arts", "Books")  # Apple's category for audiobooks and readings
# uuid5 namespace for episode guids: the same work gets the same guid on every machine.
GUID_NAMESPACE = uuid.UUID("6f0a3c8e-1b9d-5e27-9c41-2d7f8a6b0e53")

for _prefix, _uri in (("itunes", ITUNES), ("podcast", PODCAST), ("atom", ATOM)):
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class FeedOptions:
    base_url: str
    title: str | None = None
    author: str | None = None
    description: str | None = None
    language: str | None = None
    explicit: bool = False


@dataclass(frozen=True)
class Episode:
    title: str
    description: str
    author: str | None
    guid: str
    audio: str  # the MP3 or M4B
    bytes: int
    duration: float
    vtt: str
    chapters: str
    image: str | None
    published: datetime
    number: int | None  # the chapter number of a book rendered with --split


@dataclass(frozen=True)
class Work:
    title: str
    author: str | None
    summary: str
    language: str
    url: str | None
    episodes: tuple[Episode, ...]


def write_feed(out_dir: Path, options: FeedOptions) -> Path:
    """Write OUT_DIR/feed.xml (and the chapters and cover files it points at)."""
    out_dir = Path(out_dir)
    path = out_dir / FEED_NAME
    _write_if_changed(path, build_feed(out_dir, options))
    return path


def build_feed(out_dir: Path, options: FeedOptions, pieces: dict[str, bytes] | None = None) -> bytes:
    """The feed as bytes, with every URL under options.base_url. The chapters and cover
    files it points at are written beside it, or with `pieces` given, put there by
    name instead (`serve` keeps them in memory: it writes nothing)."""
    out_dir = Path(out_dir)
    if pieces is None:
        def put(name: str, data: bytes) -> None:
            _write_if_changed(out_dir / name, data)
    else:
        put = pieces.__setitem__
    base = _base_url(options.base_url)
    works = collect(out_dir, put)
    channel_image = _channel_image(works, options, put)

    def url(name: str) -> str:
        return f"{base}/{quote(name)}"

    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    title = options.title or (works[0].title if len(works) == 1 else "Fan fiction audiobooks")
    author = options.author or _common_author(works) or defaults.UNKNOWN_AUTHOR
    language = options.language or works[0].language or "en"
    _text(channel, "title", title)
    _text(channel, "link", works[0].url if len(works) == 1 and works[0].url else base + "/")
    _text(channel, "description", options.description or _channel_description(works))
    _text(channel, "language", language)
    _text(channel, "generator", "ficaudio")
    ET.SubElement(channel, f"{{{ATOM}}}link", {"href": url(FEED_NAME), "rel": "self", "type": "application/rss+xml"})
    _text(channel, f"{{{ITUNES}}}author", author)
    _text(channel, f"{{{ITUNES}}}summary", options.description or _channel_description(works))
    ET.SubElement(channel, f"{{{ITUNES}}}image", {"href": url(channel_image)})
    category = ET.SubElement(channel, f"{{{ITUNES}}}category", {"text": CATEGORY[0]})
    ET.SubElement(category, f"{{{ITUNES}}}category", {"text": CATEGORY[1]})
    _text(channel, f"{{{ITUNES}}}explicit", "true" if options.explicit else "false")
    serial = any(e.number is not None for w in works for e in w.episodes)
    _text(channel, f"{{{ITUNES}}}type", "serial" if serial else "episodic")
    _text(channel, f"{{{PODCAST}}}locked", "no")
    _text(channel, f"{{{PODCAST}}}guid", str(uuid.uuid5(GUID_NAMESPACE, base + "/" + FEED_NAME)))

    episodes = sorted((e for w in works for e in w.episodes), key=lambda e: e.published, reverse=True)
    for e in episodes:
        item = ET.SubElement(channel, "item")
        _text(item, "title", e.title)
        _text(item, "description", e.description)
        _text(item, f"{{{ITUNES}}}summary", e.description)
        if e.author:
            _text(item, f"{{{ITUNES}}}author", e.author)
        ET.SubElement(item, "enclosure", {"url": url(e.audio), "length": str(e.bytes), "type": mime_type(e.audio)})
        _text(item, "guid", e.guid).set("isPermaLink", "false")
        _text(item, "pubDate", format_datetime(e.published))
        _text(item, f"{{{ITUNES}}}duration", str(int(round(e.duration))))
        _text(item, f"{{{ITUNES}}}episodeType", "full")
        if e.number is not None:
            _text(item, f"{{{ITUNES}}}episode", str(e.number))
        _text(item, f"{{{ITUNES}}}explicit", "true" if options.explicit else "false")
        if e.image:
            ET.SubElement(item, f"{{{ITUNES}}}image", {"href": url(e.image)})
        ET.SubElement(item, f"{{{PODCAST}}}transcript",
                      {"url": url(e.vtt), "type": "text/vtt", "language": language, "rel": "captions"})
        ET.SubElement(item, f"{{{PODCAST}}}chapters", {"url": url(e.chapters), "type": "application/json+chapters"})
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def collect(out_dir: Path, put) -> list[Work]:
    """The works rendered into out_dir, from their metadata files; each audio file's
    chapters file and cover image go to put(name, data)."""
    if not out_dir.is_dir():
        raise FeedError(f"{out_dir} is not a folder; render into it first with `ficaudio render STORY --out {out_dir}`")
    works = []
    for meta_path in sorted(out_dir.glob(f"*{sidecar.SUFFIX}")):
        meta = sidecar.read(meta_path)
        if not meta or not meta.get("files") or not meta.get("title"):
            raise FeedError(f"{meta_path} is not a ficaudio metadata file; delete it or render again")
        works.append(_work(out_dir, meta_path, meta, put))
    if not works:
        raise FeedError(f"nothing rendered in {out_dir} (no *{sidecar.SUFFIX} files); "
                        f"render first with `ficaudio render STORY --out {out_dir}`")
    return works


def _work(out_dir: Path, meta_path: Path, meta: dict, put) -> Work:
    files = meta["files"]
    title, author = meta["title"], meta.get("author")
    # The work's identity, not the audio: re-rendering with other voices keeps the guid,
    # so podcast apps do not list the same story twice.
    identity = meta.get("url") or f"{title}\n{author or ''}"
    audio_files = [out_dir / sidecar.audio_name(f) for f in files]
    for f, audio in zip(files, audio_files):
        if not audio.is_file() or not (out_dir / f["vtt"]).is_file():
            raise FeedError(f"{audio} or its transcript is missing; render {title!r} again")
    cover = _extract_cover(audio_files[0], meta_path.name[: -len(sidecar.SUFFIX)], put)
    first = datetime.fromtimestamp(audio_files[0].stat().st_mtime, timezone.utc).replace(microsecond=0)
    split = len(files) > 1
    episodes = []
    for n, (f, audio) in enumerate(zip(files, audio_files), 1):
        chapters = f["chapters"]
        # The first file of a split book opens with the introduction: name it by its chapter.
        episode_title = f"{title}: {chapters[-1]['title']}" if split else title
        episodes.append(Episode(
            title=episode_title,
            description=meta.get("summary") or f"{title}{f', by {author}' if author else ''}: a ficaudio audiobook.",
            author=author,
            guid=f"ficaudio:{uuid.uuid5(GUID_NAMESPACE, identity)}" + (f"/{n}" if split else ""),
            audio=audio.name,
            bytes=audio.stat().st_size,  # the file as served, even if it changed after render
            duration=float(f["duration"]),
            vtt=f["vtt"],
            chapters=_chapters_file(audio, chapters, put),
            image=cover,
            # Chapter files of one book are a second apart, so apps list them in order.
            published=first + timedelta(seconds=n - 1),
            number=n if split else None,
        ))
    return Work(title, author, meta.get("summary") or "", meta.get("language") or "en", meta.get("url"),
                tuple(episodes))


def mime_type(name: str) -> str:
    from .encode import CODECS

    for codec in CODECS.values():
        if name.endswith(codec.suffix):
            return codec.mime
    return "application/octet-stream"


def _chapters_file(audio: Path, chapters: list[dict], put) -> str:
    """Podcasting 2.0 JSON chapters for one audio file, in time order; returns the file name."""
    marks = sorted(chapters, key=lambda c: c["start_ms"])
    doc = {"version": "1.2.0",
           "chapters": [{"startTime": round(c["start_ms"] / 1000, 3), "endTime": round(c["end_ms"] / 1000, 3),
                         "title": c["title"]} for c in marks]}
    name = audio.stem + CHAPTERS_SUFFIX
    put(name, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return name


def _extract_cover(audio: Path, stem: str, put) -> str | None:
    """The file's front cover (an MP3's APIC type 3, an M4B's covr), as a podcast image beside it."""
    from .cover import podcast_image

    picture = _embedded_cover(audio)
    if picture is None:
        return None
    data, ext = podcast_image(picture)
    name = f"{stem}.cover.{ext}"
    put(name, data)
    return name


def _channel_image(works: list[Work], options: FeedOptions, put) -> str:
    """One work: its cover. Several: a cover drawn for the feed."""
    if len(works) == 1 and works[0].episodes[0].image:
        return works[0].episodes[0].image
    from .cover import generate_cover

    title = options.title or "Fan fiction audiobooks"
    name = "feed.cover.png"
    put(name, generate_cover(title, options.author or _common_author(works), None))
    return name


def _channel_description(works: list[Work]) -> str:
    if len(works) == 1:
        w = works[0]
        return w.summary or f"{w.title}{f', by {w.author}' if w.author else ''}, read by ficaudio."
    titles = [w.title for w in works]
    return f"Audiobooks of {', '.join(titles[:-1])} and {titles[-1]}, read by ficaudio."


def _common_author(works: list[Work]) -> str | None:
    authors = {w.author for w in works}
    return authors.pop() if len(authors) == 1 else None


def _base_url(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise FeedError(f"--base-url {url!r} is not a web address; give the folder's public URL, "
                        "e.g. --base-url https://example.org/fics")
    return url.rstrip("/")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    # ElementTree escapes markup but writes control characters as they are, which no
    # XML parser accepts.
    element.text = _NOT_XML.sub("", text)
    return element


def _write_if_changed(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise FeedError(f"cannot write {path} ({exc.strerror}); check the folder's permissions") from exc


def _embedded_cover(audio: Path) -> bytes | None:
    from mutagen import MutagenError

    try:
        if audio.suffix == ".m4b":
            from mutagen.mp4 import MP4

            tags = MP4(audio).tags
            covers = tags.get("covr", []) if tags else []
            return bytes(covers[0]) if covers else None
        from mutagen.id3 import ID3

        frames = ID3(audio).getall("APIC")
    except (MutagenError, OSError):
        return None
    front = [f for f in frames if f.type == 3] or frames
    return front[0].data if front else None
