"""The layout of an Archive of Our Own download, in HTML or in AO3's EPUB.

    div#preface: p.message ("Posted originally on the Archive of Our Own at <url>"),
                 dl.tags (Rating, Fandom, Relationship, Character, Language ...),
                 h1 title, div.byline, "Summary" and "Notes" each followed by a blockquote
    div#chapters: per chapter a div.meta.group (h2.heading, "Chapter Summary",
                 "Chapter Notes"), the text in div.userstuff, then "Chapter End Notes";
                 a single-chapter work has only the div.userstuff
    div#afterword: "End Notes" and a blockquote

AO3 makes its EPUB from this HTML with Calibre, which splits it over several files
and may add classes; the walk below therefore goes by document order and class
membership rather than exact nesting.
"""

from __future__ import annotations

import re

from .draft import ChapterDraft, Draft
from .html import Element, blocks
from .textheader import LANGUAGES

_LABELS = {"summary", "notes", "chapter summary", "chapter notes", "chapter end notes", "end notes"}
_TAG_FIELDS = {"fandom": "fandoms", "relationship": "relationships", "character": "characters",
               "additional tag": "tags", "freeform": "tags"}


def is_ao3(root: Element) -> bool:
    if root.find("dl", cls="tags") is not None:
        return True
    message = root.find("p", cls="message")
    return message is not None and "Archive of Our Own" in message.text()


def read_ao3(root: Element) -> Draft:
    draft = Draft()
    label = None  # the label paragraph ("Summary", "Chapter Notes" ...) awaiting its blockquote
    chapter: ChapterDraft | None = None

    def current() -> ChapterDraft:
        nonlocal chapter
        if chapter is None:
            chapter = ChapterDraft()
            draft.chapters.append(chapter)
        return chapter

    def walk(node: Element):
        nonlocal label, chapter
        for e in node.children:
            if not isinstance(e, Element):
                continue
            classes = e.classes
            if e.tag == "p" and "message" in classes:
                draft.url = draft.url or _work_url(e)
            elif e.tag == "dl" and "tags" in classes:
                _read_tags(e, draft)
            elif e.tag == "h1" or (e.tag == "h2" and "title" in classes):
                draft.title = draft.title or e.text()
            elif "byline" in classes and e.tag == "div" and draft.author is None:
                draft.author = _byline(e)
            elif e.tag == "h2" and "heading" in classes:
                chapter = ChapterDraft(e.text())
                draft.chapters.append(chapter)
            elif e.tag == "p" and e.text().lower() in _LABELS:
                label = e.text().lower()
            elif e.tag == "blockquote" and label is not None:
                _file(label, blocks(e), draft, chapter)
                label = None
            elif e.tag == "div" and "userstuff" in classes and not _is_container(e):
                current().body.extend(blocks(e, skip=_is_landmark))
            elif (e.tag in ("h2", "h3") and "toc-heading" in classes) or "endnote-link" in classes:
                continue
            elif e.id == "afterword":
                chapter = None
                walk(e)
            else:
                walk(e)

    walk(root)
    return draft


def _file(label: str, found, draft: Draft, chapter: ChapterDraft | None) -> None:
    if label == "summary":
        draft.summary.extend(found)
    elif label == "notes":
        draft.notes.extend(found)
    elif label == "end notes":
        draft.end_notes.extend(found)
    elif chapter is not None:
        {"chapter summary": chapter.summary, "chapter notes": chapter.notes,
         "chapter end notes": chapter.end_notes}[label].extend(found)


def _is_container(e: Element) -> bool:
    """div#chapters is a div.userstuff too; it holds the chapters rather than text."""
    return e.id == "chapters" or any(
        c.tag == "div" and ("userstuff" in c.classes or "meta" in c.classes) for c in e.elements()
    )


def _is_landmark(e: Element) -> bool:
    """The "Chapter Text" heading AO3's pages carry for screen readers."""
    return "landmark" in e.classes


def _work_url(message: Element) -> str | None:
    for a in message.find_all("a"):
        href = a.attrs.get("href", "")
        if re.search(r"/works/\d+", href):
            return href
    m = re.search(r"https?://\S+/works/\d+", message.text())
    return m.group() if m else None


def _byline(e: Element) -> str | None:
    names = [a.text() for a in e.find_all("a") if a.text()]
    if names:
        return ", ".join(names)
    return re.sub(r"^by\s+", "", e.text(), flags=re.I) or None


def _read_tags(dl: Element, draft: Draft) -> None:
    key = None
    for e in dl.children:
        if not isinstance(e, Element):
            continue
        if e.tag == "dt":
            key = e.text().rstrip(":").strip().lower()
        elif e.tag == "dd" and key:
            singular = key[:-1] if key.endswith("s") else key
            if singular in _TAG_FIELDS:
                values = [a.text() for a in e.find_all("a")] or [v.strip() for v in e.text().split(",")]
                getattr(draft, _TAG_FIELDS[singular]).extend(v for v in values if v)
            elif key == "rating":
                draft.rating = draft.rating or e.text().strip() or None
            elif key == "series":
                # One span.position a series the work is in; the first is its own series.
                position = e.find("span", cls="position") or e
                draft.series = draft.series or " ".join(position.text().split()) or None
            elif key == "language":
                draft.language = LANGUAGES.get(e.text().lower(), draft.language)
