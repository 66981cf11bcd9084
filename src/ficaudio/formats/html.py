"""HTML to a small element tree, and element trees to paragraphs of plain text.

The stdlib parser is enough: story markup is simple, and it never fetches or expands
anything. Script and style content is dropped while parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr"}
SKIP = {"script", "style", "template", "noscript"}
BLOCK = {"address", "article", "aside", "blockquote", "body", "center", "dd", "details", "div", "dl", "dt",
         "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html",
         "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
         "thead", "tr", "ul"}
ITALIC = {"em", "i"}
# An open <p> ends where one of these starts (HTML's implied end tags).
_CLOSES_P = BLOCK - {"body", "html"}
_LIST_ITEMS = {"li": {"ul", "ol"}, "dt": {"dl"}, "dd": {"dl"}}
_SPACE = re.compile(r"\s+")
# Unclosed inline tags (old sites leave <font> open) would nest without end; past this
# depth new elements stay flat, which keeps the walks below within Python's recursion limit.
MAX_DEPTH = 200


@dataclass
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list["Element | str"] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def id(self) -> str:
        return self.attrs.get("id", "")

    def elements(self):
        """Every element below this one, in document order."""
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.elements()

    def find(self, tag: str | None = None, cls: str | None = None, id: str | None = None):
        return next(self.find_all(tag, cls, id), None)

    def find_all(self, tag: str | None = None, cls: str | None = None, id: str | None = None):
        for e in self.elements():
            if (tag is None or e.tag == tag) and (cls is None or cls in e.classes) and (id is None or e.id == id):
                yield e

    def text(self) -> str:
        """All text below, whitespace folded."""
        parts: list[str] = []

        def walk(node):
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag == "br":
                    parts.append(" ")
                else:
                    walk(child)

        walk(self)
        return _SPACE.sub(" ", "".join(parts)).strip()


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#root")
        self.stack = [self.root]
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if self.skipping:
            if tag in SKIP:
                self.skipping += 1
            return
        if tag in SKIP:
            self.skipping = 1
            return
        if tag in _CLOSES_P and self.stack[-1].tag == "p":
            self.stack.pop()
        if tag in _LIST_ITEMS:
            self._close_item(tag)
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID and len(self.stack) < MAX_DEPTH:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and not self.skipping and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if self.skipping:
            if tag in SKIP:
                self.skipping -= 1
            return
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        if not self.skipping:
            self.stack[-1].children.append(data)

    def _close_item(self, tag):
        # A new <li> (or <dt>/<dd>) ends the open one of its list, not an outer list's.
        for depth in range(len(self.stack) - 1, 0, -1):
            open_tag = self.stack[depth].tag
            if open_tag in _LIST_ITEMS and (open_tag == tag or tag in ("dt", "dd") and open_tag in ("dt", "dd")):
                del self.stack[depth:]
                return
            if open_tag in _LIST_ITEMS[tag]:
                return


def parse_html(markup: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


@dataclass(frozen=True)
class Block:
    """One paragraph of text, with its italic runs as offsets into `text`."""

    text: str
    italics: tuple[tuple[int, int], ...] = ()
    rule: bool = False  # a horizontal rule: a scene break


def blocks(element: Element, skip=lambda e: False) -> list[Block]:
    """The paragraphs of an element: one per <p> (or other block), a line per <br>, a
    paragraph break at a double <br>, and a scene break per <hr>. `skip(e)` leaves out
    elements such as a chapter's own heading."""
    found: list[Block] = []
    runs: list[tuple[str, bool]] = []  # (text, italic); "\n" alone is a <br>

    def flush():
        block = _join(runs)
        runs.clear()
        if block is not None:
            found.append(block)

    def walk(node: Element, italic: bool):
        for child in node.children:
            if isinstance(child, str):
                runs.append((child, italic))
            elif skip(child):
                continue
            elif child.tag == "br":
                if _ends_with_break(runs):
                    flush()
                else:
                    runs.append(("\n", False))
            elif child.tag == "hr":
                flush()
                found.append(Block("* * *", (), True))
            elif child.tag in BLOCK:
                flush()
                walk(child, italic)
                flush()
            else:
                walk(child, italic or child.tag in ITALIC)

    walk(element, False)
    flush()
    return found


def _ends_with_break(runs) -> bool:
    for text, _ in reversed(runs):
        if text == "\n":
            return True
        if text.strip():
            return False
    return False


def _join(runs: list[tuple[str, bool]]) -> Block | None:
    out: list[str] = []
    length = 0
    italics: list[list[int]] = []
    joinable = False  # nothing but spaces since the last italic run
    for text, italic in runs:
        if text == "\n":
            if out and out[-1].endswith(" "):
                out[-1] = out[-1][:-1]
                length -= 1
            if length and not out[-1].endswith("\n"):
                out.append("\n")
                length += 1
            continue
        piece = _SPACE.sub(" ", text)
        if not out or out[-1].endswith((" ", "\n")):
            piece = piece.lstrip(" ")
        if not piece:
            continue
        if italic and piece.strip():
            start = length + len(piece) - len(piece.lstrip(" "))
            end = length + len(piece.rstrip(" "))
            if joinable:
                italics[-1][1] = end  # italic runs split only by spaces are one run
            else:
                italics.append([start, end])
            joinable = True
        elif piece.strip():
            joinable = False
        out.append(piece)
        length += len(piece)
    text = "".join(out).rstrip()
    if not text:
        return None
    spans = tuple((s, min(e, len(text))) for s, e in italics if s < len(text))
    return Block(text, spans)


def read_html(markup: str, source: str, fallback_title: str):
    """An AO3 download by its layout; any other page as text with its paragraphs kept."""
    from .ao3 import is_ao3, read_ao3
    from .draft import to_work

    root = parse_html(markup)
    if is_ao3(root):
        return to_work(read_ao3(root), source, fallback_title)
    return read_page(root, source, fallback_title)


def read_page(root: Element, source: str, fallback_title: str):
    """A page without a known layout: its paragraphs go through the plain-text reader
    (title block, chapter headings, scene breaks), keeping their italics."""
    from bisect import bisect_left
    from dataclasses import replace

    from ..ingest import parse_text
    from ..model import Work

    body = root.find("body") or root
    title = root.find("title")
    texts, italics, length = [], [], 0
    for block in blocks(body):
        italics += [(length + s, length + e) for s, e in block.italics]
        texts.append(block.text)
        length += len(block.text) + 2
    work: Work = parse_text("\n\n".join(texts), source, (title.text() if title else "") or fallback_title)
    starts = [s for s, _ in italics]

    def inside(p):
        i = bisect_left(starts, p.start)
        found = []
        while i < len(italics) and italics[i][0] < p.end:
            found.append(italics[i])
            i += 1
        return replace(p, italics=tuple(found))

    chapters = tuple(replace(ch, paragraphs=tuple(inside(p) for p in ch.paragraphs)) for ch in work.chapters)
    return replace(work, chapters=chapters)
