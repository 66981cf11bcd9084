"""A story read from a structured format, and how it becomes a Work.

Readers fill a Draft from the markup; to_work lays it out as plain text (title block,
then every chapter under its heading) so that segment offsets point into `Work.text`,
and classifies paragraphs the way plain text is classified (scene breaks, "A/N:" notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..ingest import classify, fold, soften_caps
from ..model import Chapter, Paragraph, Work
from .html import Block
from .textheader import parse_series


@dataclass
class ChapterDraft:
    title: str | None = None
    summary: list[Block] = field(default_factory=list)
    notes: list[Block] = field(default_factory=list)  # before the text
    body: list[Block] = field(default_factory=list)
    end_notes: list[Block] = field(default_factory=list)


@dataclass
class Draft:
    title: str | None = None
    author: str | None = None
    summary: list[Block] = field(default_factory=list)
    notes: list[Block] = field(default_factory=list)
    end_notes: list[Block] = field(default_factory=list)
    fandoms: list[str] = field(default_factory=list)
    relationships: list[str] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    rating: str | None = None
    url: str | None = None
    series: str | None = None  # as written: "Part 2 of Name"
    language: str | None = None
    chapters: list[ChapterDraft] = field(default_factory=list)


class _Text:
    """Work.text under construction: blocks separated by blank lines."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0

    def add(self, text: str) -> int:
        start = self.length
        self.parts.append(text + "\n\n")
        self.length += len(text) + 2
        return start

    def paragraph(self, block: Block, kind: str) -> Paragraph:
        start = self.add(block.text)
        italics = tuple((start + s, start + e) for s, e in block.italics)
        return Paragraph(start, start + len(block.text), kind, italics)


def to_work(draft: Draft, source: str, fallback_title: str) -> Work:
    title = soften_caps(fold(draft.title or "")) or fallback_title
    author = fold(draft.author or "") or None
    out = _Text()
    out.add(title)
    if author:
        out.add(f"by {author}")
    for block in draft.summary + draft.notes:
        out.add(block.text)

    chapters = []
    several = len(draft.chapters) > 1
    for number, ch in enumerate(draft.chapters, 1):
        heading = fold(ch.title or "") or (f"Chapter {number}" if several else title)
        out.add(heading)
        for block in ch.summary:
            out.add(block.text)
        paragraphs = [out.paragraph(b, "note") for b in ch.notes]
        for block in ch.body:
            kind = "scene_break" if block.rule else classify(fold(block.text))
            paragraphs.append(out.paragraph(block, kind))
        paragraphs += [out.paragraph(b, "note") for b in ch.end_notes]
        if any(p.kind == "text" for p in paragraphs):
            chapters.append(Chapter(heading, _trim_breaks(paragraphs), _joined(ch.summary),
                                    tuple(fold(b.text) for b in ch.notes + ch.end_notes)))
    for block in draft.end_notes:
        out.add(block.text)
    if not chapters:
        raise InputError(f"{source or 'input'} holds no story text; is it the story itself, not a page about it?")
    return Work(
        text="".join(out.parts),
        title=title,
        author=author,
        chapters=tuple(chapters),
        summary=_joined(draft.summary),
        notes=tuple(fold(b.text) for b in draft.notes),
        end_notes=tuple(fold(b.text) for b in draft.end_notes),
        fandoms=tuple(draft.fandoms),
        relationships=tuple(draft.relationships),
        tags=tuple(draft.tags),
        rating=draft.rating,
        characters=tuple(draft.characters),
        url=draft.url,
        series=parse_series(draft.series)[0],
        series_part=parse_series(draft.series)[1],
        language=draft.language or "en",
        source=source,
    )


def _joined(blocks: list[Block]) -> str:
    return " ".join(fold(b.text) for b in blocks)


def _trim_breaks(paragraphs: list[Paragraph]) -> tuple[Paragraph, ...]:
    """Scene breaks at a chapter's start or end separate nothing."""
    start, end = 0, len(paragraphs)
    while start < end and paragraphs[start].kind == "scene_break":
        start += 1
    while end > start and paragraphs[end - 1].kind == "scene_break":
        end -= 1
    return tuple(paragraphs[start:end])
