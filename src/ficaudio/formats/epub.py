"""EPUB: a zip of XHTML files, with the reading order and Dublin Core metadata in the
OPF package that META-INF/container.xml points to.

An EPUB comes from elsewhere, so it is read defensively: the entry count and the
unpacked size are capped (declared sizes are checked first, and reading stops at the
cap in case they lie); entries whose names climb out of the archive are never read;
XML is parsed without DTD entities or external references. Nothing is extracted to disk.

Layouts: AO3's EPUB is its HTML download split into files (see ao3.py); FanFicFare's
has a title page (body.fff_titlepage, "<b>Label:</b> value" lines) and one file per
chapter (body.fff_chapter, the title in h3.fff_chapter_title); any other EPUB gives a
chapter per file that starts with a heading.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from urllib.parse import unquote

from ..errors import InputError
from ..ingest import decode, fold
from .ao3 import is_ao3, read_ao3
from .textheader import LANGUAGES
from .draft import ChapterDraft, Draft, to_work
from .html import Element, blocks, parse_html

MAX_ENTRIES = 5000
MAX_UNPACKED = 200 * 1024 * 1024  # bytes, over the whole archive
_CHUNK = 1 << 16
_FRONT_MATTER_WORDS = 100
_DOCUMENT_TYPES = {"application/xhtml+xml", "text/html", "application/xml"}
_FFF_LABELS = {"fandom": "fandoms", "fandoms": "fandoms", "category": "fandoms", "characters": "characters",
               "relationships": "relationships", "pairing": "relationships", "pairings": "relationships",
               "ships": "relationships"}


def read_epub(data: bytes, source: str, fallback_title: str):
    archive = _Archive(data, source)
    opf_path = archive.rootfile()
    package = archive.xml(opf_path)
    meta = _metadata(package)
    documents = [_document(archive, path, source) for path in _spine(package, opf_path, source)]
    if not documents:
        raise InputError(f"{source}: the EPUB lists no readable chapters in its spine; it may be damaged")
    root = Element("#root", children=[body for body, _ in documents])
    if is_ao3(root):
        draft = read_ao3(root)
    elif any("fff_chapter" in d.classes or d.find("h3", cls="fff_chapter_title") for d, _ in documents):
        draft = _read_fanficfare(documents)
    else:
        draft = _read_generic(documents)
    _merge(draft, meta)
    return to_work(draft, source, fallback_title)


class _Archive:
    def __init__(self, data: bytes, source: str):
        self.source = source
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
            raise InputError(f"{source} is not a readable EPUB (a damaged or partial zip archive: {exc}); "
                             "download it again") from None
        if len(infos) > MAX_ENTRIES:
            raise InputError(f"{source}: refused: the EPUB holds {len(infos)} files (at most {MAX_ENTRIES}); "
                             "it is not an ordinary story")
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            raise InputError(f"{source}: refused: the EPUB would unpack to more than {MAX_UNPACKED // 2**20} MB "
                             "(a zip bomb?); it is not an ordinary story")
        # Names that are absolute or climb out with ".." are never read.
        self.entries = {i.filename: i for i in infos if _safe(i.filename)}
        self.budget = MAX_UNPACKED

    def read(self, name: str) -> bytes:
        info = self.entries.get(name)
        if info is None:
            raise InputError(f"{self.source}: the EPUB has no file {name!r}, which it refers to; it may be damaged")
        out = bytearray()
        try:
            with self.zip.open(info) as f:
                while chunk := f.read(min(_CHUNK, self.budget + 1)):
                    out += chunk
                    self.budget -= len(chunk)
                    if self.budget < 0:
                        raise InputError(f"{self.source}: refused: the EPUB unpacks to more than "
                                         f"{MAX_UNPACKED // 2**20} MB (a zip bomb?); it is not an ordinary story")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InputError(f"{self.source}: {name} in the EPUB is damaged ({exc}); download it again") from None
        except NotImplementedError as exc:
            raise InputError(f"{self.source}: {name} in the EPUB cannot be unpacked ({exc})") from None
        except RuntimeError as exc:  # zipfile's word for an encrypted entry
            raise InputError(f"{self.source}: {name} in the EPUB is encrypted ({exc}); ficaudio reads only "
                             "EPUBs without DRM or passwords, such as AO3's downloads") from None
        return bytes(out)

    def xml(self, name: str):
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import ParseError, fromstring

        try:
            return fromstring(self.read(name))
        except DefusedXmlException:
            raise InputError(f"{self.source}: refused: {name} in the EPUB declares XML entities or external "
                             "references, which a story never needs") from None
        except ParseError as exc:
            raise InputError(f"{self.source}: {name} in the EPUB is not well-formed XML ({exc}); "
                             "it may be damaged") from None

    def rootfile(self) -> str:
        if "META-INF/container.xml" not in self.entries:
            opfs = [n for n in self.entries if n.lower().endswith(".opf")]
            if len(opfs) == 1:
                return opfs[0]
            raise InputError(f"{self.source} is a zip archive but not an EPUB (no META-INF/container.xml); "
                             "give an .epub, .html or .txt story")
        for e in self.xml("META-INF/container.xml").iter():
            if _local(e.tag) == "rootfile" and e.get("full-path"):
                return _resolve("", e.get("full-path"), self.source)
        raise InputError(f"{self.source}: the EPUB's container.xml names no package file; it may be damaged")


def _safe(name: str) -> bool:
    if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return False
    return ".." not in re.split(r"[/\\]", name)


def _resolve(base_dir: str, href: str, source: str) -> str:
    path = unquote(href.split("#", 1)[0])
    joined = posixpath.normpath(posixpath.join(base_dir, path))
    if path.startswith(("/", "\\")) or joined == ".." or joined.startswith("../") or not _safe(joined):
        raise InputError(f"{source}: refused: the EPUB refers to {href!r}, outside the archive; "
                         "it is damaged or hostile")
    return joined


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _metadata(package) -> dict:
    meta: dict[str, list] = {}
    for e in package.iter():
        name = _local(e.tag)
        text = fold(e.text or "")
        if name in ("title", "creator", "description", "source", "language", "identifier") and text:
            if name == "identifier" and not (_is_url(text.removeprefix("URL:")) or
                                             any(v == "URL" for k, v in e.attrib.items() if _local(k) == "scheme")):
                continue
            meta.setdefault(name, []).append(e.text.strip() if name == "description" else text)
    return meta


def _is_url(text: str) -> bool:
    return re.match(r"https?://\S+$", text) is not None


def _spine(package, opf_path: str, source: str) -> list[str]:
    base = posixpath.dirname(opf_path)
    manifest = {}
    for e in package.iter():
        if _local(e.tag) == "item" and e.get("id") and e.get("href"):
            manifest[e.get("id")] = (e.get("href"), e.get("media-type", ""))
    paths = []
    for e in package.iter():
        if _local(e.tag) != "itemref" or e.get("linear") == "no" or e.get("idref") not in manifest:
            continue
        href, media_type = manifest[e.get("idref")]
        if media_type in _DOCUMENT_TYPES or href.lower().endswith((".xhtml", ".html", ".htm")):
            paths.append(_resolve(base, href, source))
    # A file listed twice is one chapter read once (a spine naming one file 100,000 times
    # would otherwise unpack it each time).
    return list(dict.fromkeys(paths))


def _document(archive: _Archive, path: str, source: str) -> tuple[Element, str]:
    """A spine file's body, and its <title>."""
    data = archive.read(path)
    if not data.strip():
        return Element("body"), ""  # an empty page (a cover placeholder) is no error
    head = data[:2048].decode("ascii", "replace")
    if re.search(r"<!ENTITY", head, re.I):
        raise InputError(f"{source}: refused: {path} in the EPUB declares XML entities, which a story never needs")
    root = parse_html(decode(data, f"{source}: {path}"))
    title = root.find("title")
    return root.find("body") or root, title.text() if title else ""


def _read_fanficfare(documents: list[tuple[Element, str]]) -> Draft:
    draft = Draft()
    for doc, page_title in documents:
        if "fff_titlepage" in doc.classes:
            _fanficfare_titlepage(doc, draft)
        elif "fff_chapter" in doc.classes or doc.find("h3", cls="fff_chapter_title"):
            heading = doc.find("h3", cls="fff_chapter_title")
            chapter = ChapterDraft(heading.text() if heading else page_title)
            for notes in doc.find_all("div", cls="fff_chapter_notes"):
                _fanficfare_notes(notes, chapter)

            def skip(e, heading=heading):
                return e is heading or "fff_chapter_notes" in e.classes or "landmark" in e.classes

            chapter.body = blocks(doc, skip=skip)
            draft.chapters.append(chapter)
    return draft


def _fanficfare_notes(div: Element, chapter: ChapterDraft) -> None:
    """"<b>Chapter Summary:</b><blockquote>...": summary, notes before the text, or
    end notes after it."""
    label = ""
    for e in div.children:
        if isinstance(e, Element) and e.tag == "b":
            label = e.text().rstrip(":").strip().lower()
        elif isinstance(e, Element) and e.tag == "blockquote":
            if "summary" in label:
                chapter.summary += blocks(e)
            elif "end" in label or "fff_foot_notes" in div.classes:
                chapter.end_notes += blocks(e)
            else:
                chapter.notes += blocks(e)


def _fanficfare_titlepage(doc: Element, draft: Draft) -> None:
    heading = doc.find("h3")
    if heading is not None:
        links = heading.find_all("a")
        first = next(links, None)
        if first is not None:
            draft.title = first.text()
            draft.url = first.attrs.get("href") if _is_url(first.attrs.get("href", "")) else None
            draft.author = ", ".join(a.text() for a in links) or None
    # "<b>Label:</b> value<br />" lines, in a div or in table cells.
    label, value = None, []

    def close():
        nonlocal label
        if label in _FFF_LABELS:
            target = getattr(draft, _FFF_LABELS[label])
            if not (label == "category" and draft.fandoms):
                target.extend(v.strip() for v in " ".join(value).split(",") if v.strip())
        elif label == "language":
            draft.language = LANGUAGES.get(" ".join(value).strip().lower(), draft.language)
        elif label == "series":
            draft.series = draft.series or " ".join(" ".join(value).split()) or None
        label = None
        value.clear()

    def walk(node: Element):
        nonlocal label
        for child in node.children:
            if isinstance(child, str):
                if label is not None:
                    value.append(child)
            elif child.tag == "b" and child.text().endswith(":"):
                close()
                label = child.text().rstrip(":").strip().lower()
            elif child.tag in ("br", "tr"):
                if child.tag == "tr":
                    walk(child)
                close()
            elif child is not heading:
                walk(child)

    walk(doc)
    close()


def _read_generic(documents: list[tuple[Element, str]]) -> Draft:
    """A chapter per file that opens with a heading; a file without one continues the
    chapter before (a long chapter split over files). Short files before the first
    heading are front matter (a title page, a contents list) and are left out."""
    draft = Draft()
    pages = []
    for doc, title in documents:
        found = blocks(doc)
        heading = next((e for e in doc.elements() if e.tag in ("h1", "h2", "h3")), None)
        opens = heading is not None and bool(found) and found[0].text == heading.text()
        pages.append((found[1:] if opens else found, heading.text() if opens else None, title))
    any_heading = any(heading for _, heading, _ in pages)
    for found, heading, title in pages:
        if heading:
            draft.chapters.append(ChapterDraft(heading))
        elif not draft.chapters:
            if any_heading and sum(len(b.text.split()) for b in found) < _FRONT_MATTER_WORDS:
                continue
            draft.chapters.append(ChapterDraft(title or None))
        draft.chapters[-1].body.extend(found)
    return draft


def _merge(draft: Draft, meta: dict) -> None:
    """The OPF's Dublin Core fills what the pages did not say."""
    first = {k: v[0] for k, v in meta.items()}
    draft.title = draft.title or first.get("title")
    draft.author = draft.author or (", ".join(meta["creator"]) if "creator" in meta else None)
    if not draft.summary and "description" in first:
        draft.summary = blocks(parse_html(first["description"]))
    url = first.get("source") if _is_url(first.get("source", "")) else None
    url = url or next((i.removeprefix("URL:") for i in meta.get("identifier", []) if _is_url(i.removeprefix("URL:"))), None)
    draft.url = draft.url or url
    if draft.language is None and "language" in first:
        draft.language = first["language"].split("-")[0].lower()
