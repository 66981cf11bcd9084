"""Stage 1: read a story file into a Work (header, chapters, paragraphs).

Plain text is the common case: fics copied from a site, or saved by a downloader.
We recognise the usual fan-fiction header (summary or author's notes, a title, a
"by" line), chapter headings, scene breaks and "A/N:" notes. HTML (an AO3 download or
any page) and EPUB (from AO3 or FanFicFare) are read by the modules in `formats`.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .errors import InputError
from .formats.textheader import LANGUAGES, Header, label_of, parse_series, read_block
from .model import Chapter, Paragraph, Work
from .voices import Character

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty"
).split()
_NUMBER = r"(?:\d{1,4}|[ivxlcdm]{1,8}|(?:%s)(?:[- ](?:%s))?)" % (
    "|".join(_NUMBER_WORDS),
    "|".join(_NUMBER_WORDS),
)
_HEADING = re.compile(
    r"^(?:chapter|ch\.|part|book|volume|prologue|epilogue|interlude)"
    r"(?:\s+%s)?\s*(?:[.:\-\u2013\u2014]\s*(?P<rest>.{0,80}))?$" % _NUMBER,
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(r"^\d{1,3}\.?$")
# "1. Six Miles, Maybe Seven": a number and a short title, as many fics head chapters.
_NUMBERED_TITLE = re.compile(r"^\d{1,3}\.\s+[A-Z\u2018\u201c'\"][^.!?]{0,70}[^.!?,;:]$")
_SCENE_BREAK = re.compile(
    r"^(?:(?:[*~#=_\-+\u2022\u00b7\u2013\u2014]\s*){3,}|(?:[oO0xX][oO0xX]?[oO0xX]\s*)+|"
    r"[*~#=_\-+\u2022\u00b7]\s*(?:[oOxX0]|\w{0,12})\s*[*~#=_\-+\u2022\u00b7])$"
)
_NOTE = re.compile(r"^(?:A/N|AN|Author'?s'?\s+Notes?|Notes?)\s*[:\-\u2013\u2014]", re.IGNORECASE)
_BY_LINE = re.compile(r"^(?:by|written by|author:)\s+(?P<author>.{1,80})$", re.IGNORECASE)
_FIELD = re.compile(r"^(?P<key>title|author|summary|fandom|rating)\s*:\s*(?P<value>.+)$", re.I)
# A label alone on its line, above the author's notes (AO3's page, copied).
_NOTES_LABEL = re.compile(r"^(?:(?:chapter\s+)?(?:end\s+)?notes|author'?s\s+notes?)\s*:?$", re.I)
# Where AO3's page says the story text begins.
_TEXT_LABEL = re.compile(r"^(?:chapter|work)\s+text\s*:?$", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

_HEADER_WINDOW = 6  # paragraphs at the top that may hold the title block
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
# Atomic: a comment once matched is not tried again at another length (forty comments
# before plain text took minutes of backtracking).
_HTML_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:(?><!--.*?-->)\s*)*+(?:<!doctype\s+html|<html)", re.I | re.S)


def ingest(path: str | Path) -> Work:
    """Read a story file (plain text, HTML or EPUB, told apart by content first, then by
    extension). Raises InputError with a message a user can act on."""
    path = Path(path)
    data = read_bytes(path)
    fallback = _title_from_stem(path)
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04") or (suffix == ".epub" and data.strip()):
        from .formats.epub import read_epub

        return read_epub(data, str(path), fallback)
    text = decode(data, path)
    if _HTML_START.match(text[:4096]) or (suffix in _HTML_SUFFIXES and re.search(r"<[A-Za-z!/]", text)):
        from .formats.html import read_html

        return read_html(text, str(path), fallback)
    return parse_text(text, source=str(path), fallback_title=fallback)


def read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise InputError(f"{path} is a directory; give the story file inside it")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


def decode(data: bytes, path: Path | str = "input") -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        text = _strict(data[3:], "utf-8", path)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _strict(data, "utf-16", path)
    elif b"\x00" in data:
        raise InputError(f"{path} looks like a binary file, not text; give a .txt, .html or .epub story")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _strict(data, "cp1252", path)
    if not text.strip():
        raise InputError(f"{path} is empty; it holds no story text")
    if len(_CONTROL.findall(text)) > max(2, len(text) // 200):
        raise InputError(f"{path} looks like a binary file, not text; give a .txt, .html or .epub story")
    return text


def _strict(data: bytes, encoding: str, path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} cannot be decoded as UTF-8, UTF-16 or Windows-1252 "
            f"(byte {exc.start}); save it as UTF-8 and try again"
        ) from exc


def _title_from_stem(path: Path) -> str:
    stem = re.sub(r"^\d+_", "", path.stem)
    return re.sub(r"[_\-]+", " ", stem).strip() or "Untitled"


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Paragraph spans (first to last non-space character).

    Hard-wrapped text (short lines, blank lines between paragraphs) joins its lines;
    text with one long line per paragraph makes every line a paragraph.
    """
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\r\n]*", text) if m.group().strip()]
    if not lines:
        return []
    mean_length = sum(e - s for s, e in lines) / len(lines)
    hard_wrapped = mean_length < 100 and re.search(r"\n[ \t]*\r?\n", text) is not None
    spans = []
    if hard_wrapped:
        blocks = re.finditer(r"(?:[^\r\n]*\S[^\r\n]*(?:\r?\n|\r|$))+", text)
        raw = [(b.start(), b.end()) for b in blocks]
    else:
        raw = lines
    for start, end in raw:
        chunk = text[start:end]
        lead = len(chunk) - len(chunk.lstrip())
        trail = len(chunk) - len(chunk.rstrip())
        if end - trail > start + lead:
            spans.append((start + lead, end - trail))
    return spans


def fold(text: str) -> str:
    return " ".join(text.split())


def classify(line: str) -> str:
    """The kind of a paragraph by its text alone: "scene_break", "note" or "text"."""
    if _SCENE_BREAK.match(line):
        return "scene_break"
    return "note" if _NOTE.match(line) else "text"


def _heading_title(line: str) -> str | None:
    """The chapter title a heading line announces, or None if it is not a heading."""
    if len(line) > 100 or "\n" in line:
        return None
    if _HEADING.match(line) or _BARE_NUMBER.match(line) or _NUMBERED_TITLE.match(line):
        return soften_caps(line.rstrip(".").strip())
    return None


def soften_caps(title: str) -> str:
    """'CHAPTER IV' reads as 'Chapter IV': all-caps shouts in players, numerals stay."""
    if not title.isupper():
        return title
    return " ".join(
        w if re.fullmatch(r"[IVXLCDM]+\.?", w) else w.capitalize() for w in title.split()
    )


def _title_and_byline(block: str) -> tuple[str, str] | None:
    lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
    if len(lines) == 2 and _looks_like_title(lines[0]) and (by := _BY_LINE.match(lines[1])):
        return lines[0], by["author"].strip()
    return None


def _looks_like_title(line: str) -> bool:
    if "\n" in line or len(line) > 100 or len(line.split()) > 15:
        return False
    if line[0] in "\"'\u201c\u2018(" or line.endswith((".", ",", ";", ":")):
        return False
    return not _NOTE.match(line) and not _SCENE_BREAK.match(line)


def parse_text(text: str, source: str = "", fallback_title: str = "Untitled") -> Work:
    spans = paragraph_spans(text)
    if not spans:
        raise InputError(f"{source or 'input'} is empty; it holds no story text")

    def line(i: int) -> str:
        return fold(text[spans[i][0] : spans[i][1]])

    header = Header()
    body_start = _read_header(text, spans, header)
    title, author = header.title, header.author
    summary, notes = list(header.summary), list(header.notes)
    if not header.fields_read:
        title, author, body_start = _title_block(spans, line, lambda i: text[spans[i][0] : spans[i][1]], summary, notes)
    if title is None:
        body_start = body_start if header.fields_read else 0
        title = fallback_title
    else:
        title = soften_caps(title)

    chapters: list[Chapter] = []
    current_title: str | None = None
    current: list[Paragraph] = []

    def close_chapter():
        if current and any(p.kind == "text" for p in current):
            chapters.append(Chapter(current_title or title, tuple(current)))
        elif current_title and chapters == [] and not current:
            return

    pending_heading: list[str] = []
    notes_until = 0  # paragraphs before this index, after a "Notes:" label, are notes
    for i in range(body_start, len(spans)):
        start, end = spans[i]
        raw_line = line(i)
        heading = _heading_title(raw_line)
        if heading is not None:
            notes_until = i
            if current:
                close_chapter()
                current = []
                current_title = None
            pending_heading.append(heading)
            continue
        if pending_heading:
            current_title = ", ".join(pending_heading)
            pending_heading = []
        if _SCENE_BREAK.match(raw_line):
            if current:
                current.append(Paragraph(start, end, "scene_break"))
            continue
        if _NOTES_LABEL.match(raw_line):
            # "Notes:" / "End Notes:" alone on a line: the author's words below it are
            # notes, not story: end notes up to the next heading, other notes up to the
            # "Chapter Text" or heading that soon follows them (else one paragraph).
            notes_until = len(spans) if "end" in raw_line.lower() else _section_end(text, spans, i + 1)
            current.append(Paragraph(start, end, "note"))
            continue
        if _TEXT_LABEL.match(raw_line):
            notes_until = i
            continue
        kind = "note" if i < notes_until or _NOTE.match(raw_line) else "text"
        current.append(Paragraph(start, end, kind))
    close_chapter()

    end_notes: list[str] = []
    if chapters:
        last = chapters[-1]
        paragraphs = list(last.paragraphs)
        while paragraphs and paragraphs[-1].kind in ("note", "scene_break"):
            p = paragraphs.pop()
            if p.kind == "note":
                end_notes.insert(0, fold(text[p.start : p.end]))
        chapters[-1] = Chapter(last.title, tuple(paragraphs))
        first = chapters[0]
        leading = list(first.paragraphs)
        while leading and leading[0].kind == "note":
            p = leading.pop(0)
            notes.append(fold(text[p.start : p.end]))
        chapters[0] = Chapter(first.title, tuple(leading))
        chapters = [c for c in chapters if any(p.kind == "text" for p in c.paragraphs)]
    if not chapters:
        raise InputError(f"{source or 'input'} holds a header but no story text")
    return Work(
        text=text,
        title=title,
        author=author,
        chapters=tuple(chapters),
        summary=" ".join(summary),
        notes=tuple(notes),
        end_notes=tuple(end_notes),
        fandoms=tuple(header.fandoms),
        relationships=tuple(header.relationships),
        characters=tuple(header.characters),
        tags=tuple(header.tags),
        rating=header.rating,
        url=header.url,
        series=parse_series(header.series)[0],
        series_part=parse_series(header.series)[1],
        language=LANGUAGES.get((header.language or "").lower(), "en"),
        source=source,
    )


def _read_header(text: str, spans: list[tuple[int, int]], header: Header) -> int:
    """Read a labelled metadata block (FanFicFare text, an AO3 page copied) into header;
    the index of the first paragraph after it (0 when there is none)."""
    i, top = 0, min(len(spans) - 1, 60)
    while i < top:
        block = text[spans[i][0] : spans[i][1]]
        if header.pending:
            # "Summary:" on a line of its own: its text is the paragraph below, and the
            # ones after it when a label or a heading closes them soon.
            key = header.pending
            header.put(key, block)
            header.pending = None
            if key in ("summary", "notes") and _section_end(text, spans, i) > i + 1:
                header.pending = key
        elif read_block(block, header):
            pass
        elif (header.fields_read and header.title is None and _looks_like_title(fold(block.splitlines()[0]))
              and _heading_title(fold(block.splitlines()[0])) is None):
            # AO3's page: the title, and the author on the line below it.
            lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
            if len(lines) > 2:
                break
            header.title = lines[0]
            if len(lines) == 2:
                by = _BY_LINE.match(lines[1])
                header.author = header.author or (by["author"].strip() if by else lines[1])
            elif header.author is None and i + 1 < top and _is_byline(text[spans[i + 1][0] : spans[i + 1][1]]):
                # One line a paragraph: the author's name is the next one.
                header.author = _BY_LINE.sub(r"\g<author>", text[spans[i + 1][0] : spans[i + 1][1]].strip())
                i += 1
        else:
            break
        i += 1
    return i if header.fields_read else 0


def _is_byline(block: str) -> bool:
    """A lone short line under a title that names its author: "by Moth" or a handle."""
    line = block.strip()
    if "\n" in line or not line or label_of(line)[0] is not None:
        return False
    return bool(_BY_LINE.match(line)) or (len(line.split()) <= 3 and line[-1] not in ".!?\"'\u201d\u2019:")


def _section_end(text: str, spans, i: int, reach: int = 4) -> int:
    """Where a summary or notes that starts at paragraph i ends: at a label or a chapter
    heading within a few paragraphs, before any story could start; else after i."""
    for j in range(i + 1, min(i + reach + 1, len(spans))):
        block = text[spans[j][0] : spans[j][1]]
        first = fold(block.splitlines()[0]) if block.strip() else ""
        if ((label_of(first)[0] is not None and first.endswith(":")) or _heading_title(first) is not None
                or _TEXT_LABEL.match(first) or _NOTES_LABEL.match(first)):
            return j
    return i + 1


def _title_block(spans, line, raw, summary: list[str], notes: list[str]) -> tuple[str | None, str | None, int]:
    """A title, an optional "by" line and the summary or notes above them, for a text
    with no labelled header: (title, author, index of the first story paragraph)."""
    title = author = None
    body_start = 0
    window = min(_HEADER_WINDOW, len(spans) - 1)
    for i in range(window):
        candidate = line(i)
        if _heading_title(candidate) or _SCENE_BREAK.match(candidate):
            break
        field = _FIELD.match(candidate)
        if field:
            key, value = field["key"].lower(), field["value"].strip()
            if key == "title":
                title = value
            elif key == "author":
                author = value
            elif key == "summary":
                summary.append(value)
            body_start = i + 1
            continue
        if title is None and (two := _title_and_byline(raw(i))):
            # "Title" and "by Author" on consecutive lines make one paragraph.
            title, author = two
            body_start = i + 1
            break
        if title is None and _looks_like_title(candidate):
            title = candidate
            body_start = i + 1
            by = _BY_LINE.match(line(i + 1)) if i + 1 < len(spans) else None
            if by:
                author = by["author"].strip()
                body_start = i + 2
            break
        if author is None and _BY_LINE.match(candidate) and title is not None:
            author = _BY_LINE.match(candidate)["author"].strip()
            body_start = i + 1
    # "Summary: ..." just below the title and byline is the summary, not a chapter.
    while title is not None and body_start < len(spans) - 1:
        field = _FIELD.match(line(body_start))
        if not (field and field["key"].lower() == "summary"):
            break
        summary.append(field["value"].strip())
        body_start += 1
    if title is not None:
        # Lines above the title are the fic's summary or author's notes.
        for i in range(body_start):
            candidate = line(i)
            if _FIELD.match(candidate) or _BY_LINE.match(candidate) or candidate == title:
                continue
            if _title_and_byline(raw(i)):
                continue
            (notes if _NOTE.match(candidate) else summary).append(candidate)
    return title, author, body_start


_MAX_CHARACTER_TAGS = 100
_NOT_A_NAME = re.compile(r"^(?:original\b.*|others?(?:\(s\))?|everyone|reader|you|ensemble\b.*)$", re.I)
_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Lady|Lord|Captain|Capt)\.?$")


def characters_from_tags(work: Work) -> tuple[Character, ...]:
    """The cast the work's character tags name (AO3, FanFicFare), to seed auto mode.

    "Lexie Grey" also answers to "Lexie" and "Grey", unless another tag shares that
    part (two Greys make "Grey" ambiguous); a fandom suffix ("Mark Sloan (Grey's
    Anatomy)") is dropped and a quoted nickname ('James "Bucky" Barnes') kept. Gender
    is left unknown: tags do not say.
    """
    found: list[tuple[str, tuple[str, ...]]] = []
    # AO3 allows 75 tags of every kind together; a longer list is no cast but a pasted
    # index, and every name costs attribution time.
    for tag in work.characters[:_MAX_CHARACTER_TAGS]:
        name = re.sub(r"\s*\([^)]*\)\s*$", "", tag)
        nicknames = tuple(fold(n) for n in re.findall(r"[\"\u201c]([^\"\u201d]+)[\"\u201d]", name))
        name = fold(re.sub(r"[\"\u201c][^\"\u201d]*[\"\u201d]", " ", name))
        if name and not _NOT_A_NAME.match(fold(tag)) and name not in (n for n, _ in found):
            found.append((name, nicknames))
    shared = Counter(part for name, _ in found for part in set(_name_parts(name)))
    characters = []
    for name, nicknames in found:
        aliases = [*nicknames, *(p for p in _name_parts(name) if shared[p] == 1)]
        characters.append(Character(name, tuple(dict.fromkeys(a for a in aliases if a != name)), "unknown"))
    return tuple(characters)


def _name_parts(name: str) -> list[str]:
    words = [w for w in name.split() if not _HONORIFIC.match(w)]
    if len(words) < 2:
        return []
    return [w for w in dict.fromkeys((words[0], words[-1])) if len(w.rstrip(".")) > 1]
