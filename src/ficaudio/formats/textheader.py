"""The metadata block at the top of a plain-text fic, as people save or copy them.

Two layouts are common:

- FanFicFare's text output and many copy-pastes, one field a line::

      Title: Flour on Your Nose
      Author: crumbsandcoffee
      Fandom: Sweet Rise (TV)
      Additional Tags: Reader-Insert, Fluff
      Summary: You only wanted a croissant.

- a copy of AO3's work page: each label on a line of its own, its value indented below,
  then the title and the author on two lines, and "Summary:" and "Notes:" each above
  their paragraphs::

      Rating:
          General Audiences
      Fandom:
          Sweet Rise (TV)
      Stats:
          Published: 2024-05-11 Words: 3,412 Chapters: 2/2

      Flour on Your Nose
      crumbsandcoffee

      Summary:

      You only wanted a croissant.

`read_block` reads the fields; ingest decides what follows (title, byline, chapters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Label (lower case) -> the field it fills; IGNORED are labels known but not kept.
FIELDS = {
    "title": "title", "author": "author", "authors": "author", "by": "author",
    "fandom": "fandoms", "fandoms": "fandoms",
    "relationship": "relationships", "relationships": "relationships", "pairing": "relationships",
    "pairings": "relationships", "ships": "relationships",
    "character": "characters", "characters": "characters",
    "additional tags": "tags", "additional tag": "tags", "freeform": "tags", "tags": "tags", "genre": "tags",
    "genres": "tags",
    "rating": "rating", "language": "language",
    "summary": "summary", "description": "summary", "notes": "notes", "author's notes": "notes",
    "url": "url", "source": "url", "link": "url", "story url": "url",
    "series": "series",
}
IGNORED = {
    "archive warning", "archive warnings", "warning", "warnings", "stats", "published", "updated",
    "completed", "words", "chapters", "comments", "kudos", "bookmarks", "hits", "status", "packaged",
    "collections", "category", "categories", "story id", "storyid", "date published",
    "date updated", "wordcount", "word count", "posted originally on the archive of our own at", "site", "publisher",
}
# AO3's language names (as its pages and downloads write them), and their English names.
LANGUAGES = {
    "english": "en", "español": "es", "français": "fr", "deutsch": "de", "italiano": "it",
    "português brasileiro": "pt", "português europeu": "pt", "русский": "ru", "日本語": "ja", "中文-普通话 國語": "zh",
    "polski": "pl", "nederlands": "nl", "svenska": "sv", "suomi": "fi", "türkçe": "tr", "한국어": "ko",
    "en": "en", "spanish": "es", "french": "fr", "german": "de", "italian": "it",
}
IGNORE = "ignore"  # pending value of a label we know but do not keep
LIST_FIELDS = {"fandoms", "relationships", "characters", "tags"}
_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z' ]{0,40}?)\s*:\s*(?P<value>.*)$")
_INDENTED = re.compile(r"^(?:[ \t]+|\u00a0+)\S")


@dataclass
class Header:
    """What a metadata block says; lists keep the author's order."""

    title: str | None = None
    author: str | None = None
    fandoms: list[str] = field(default_factory=list)
    relationships: list[str] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    rating: str | None = None
    language: str | None = None
    summary: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    url: str | None = None
    series: str | None = None  # as written: "Part 2 of Name", "Name [2]"
    fields_read: int = 0
    # Labels left open at the block's end ("Summary:" with its text in the next paragraphs).
    pending: str | None = None

    def put(self, key: str, value: str) -> None:
        value = " ".join(value.split())
        if not value or key == IGNORE:
            return
        if key in LIST_FIELDS:
            getattr(self, key).extend(v.strip() for v in _split_list(value) if v.strip())
        elif key in ("summary", "notes"):
            getattr(self, key).append(value)
        elif getattr(self, key) is None:
            setattr(self, key, value)


def label_of(line: str) -> tuple[str | None, str]:
    """(field or "" for a known but ignored label, value) of a "Label: value" line;
    (None, line) for anything else."""
    m = _LABEL.match(line.strip())
    if not m:
        return None, line
    label = " ".join(m["label"].lower().split())
    if label in FIELDS:
        return FIELDS[label], m["value"]
    if label in IGNORED:
        return "", m["value"]
    return None, line


def read_block(block: str, header: Header) -> bool:
    """Read one paragraph of the header into header. False (and header unchanged) when
    the paragraph is not a run of labelled fields."""
    lines = [ln for ln in block.splitlines() if ln.strip()]
    if not lines:
        return False
    parsed: list[tuple[str, str]] = []  # (field, value)
    for ln in lines:
        key, value = label_of(ln)
        if key is None:
            if parsed and (_INDENTED.match(ln) or parsed[-1][1] == ""):
                # AO3's page layout: the value indented under its label.
                k, v = parsed[-1]
                parsed[-1] = (k, f"{v}, {ln.strip()}" if v and k in LIST_FIELDS else f"{v} {ln.strip()}".strip())
                continue
            if parsed and parsed[-1][0] in ("summary", "notes"):
                k, v = parsed[-1]
                parsed[-1] = (k, f"{v} {ln.strip()}")
                continue
            return False
        parsed.append((key, value.strip()))
    for key, value in parsed:
        if key:
            header.put(key, value)
    header.fields_read += 1
    last_key, last_value = parsed[-1]
    # A label whose value is in the next paragraph (AO3's page copied with one line a
    # paragraph, or "Summary:" above its text).
    header.pending = (last_key or IGNORE) if not last_value else None
    return True


def _split_list(value: str) -> list[str]:
    """AO3 separates tags with commas; a tag may hold a comma inside parentheses."""
    out, depth, current = [], 0, []
    for ch in value:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out


_SERIES_FORMS = (
    re.compile(r"^(?:part|book|no\.?|#)\s*(?P<part>\d+)\s+(?:of|in)\s+(?:the\s+)?(?P<name>.+?)(?:\s+series)?$", re.I),
    re.compile(r"^(?P<name>.+?)\s*\[(?P<part>\d+)\]$"),  # FanFicFare
    re.compile(r"^(?P<name>.+?)[,:]?\s+(?:part|book|#)\s*(?P<part>\d+)$", re.I),
)


def parse_series(value: str | None) -> tuple[str | None, int | None]:
    """("Name", 2) from the ways AO3 and FanFicFare write a work's place in a series;
    a work in several series keeps the first."""
    if not value:
        return None, None
    value = " ".join(value.split()).split(" | ")[0].strip()
    for form in _SERIES_FORMS:
        m = form.match(value)
        if m:
            return m["name"].strip(), int(m["part"])
    return value, None
