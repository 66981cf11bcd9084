"""The small immutable values that flow between the pipeline stages.

Offsets (`start`, `end`) are character offsets into `Work.text`, the decoded input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NARRATOR = "Narrator"
UNKNOWN = "Unknown"

NARRATION = "narration"
DIALOGUE = "dialogue"


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    kind: str = "text"  # "text" | "scene_break" | "note"
    # Offsets of italic runs (from HTML/EPUB input): thoughts, not dialogue.
    italics: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Chapter:
    title: str
    paragraphs: tuple[Paragraph, ...]
    # Chapter summary / notes from richer formats; plain text leaves them empty.
    summary: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Work:
    text: str
    title: str
    author: str | None
    chapters: tuple[Chapter, ...]
    summary: str = ""
    notes: tuple[str, ...] = ()  # author's notes (header "A/N:" lines and the like)
    end_notes: tuple[str, ...] = ()
    fandoms: tuple[str, ...] = ()
    relationships: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()  # character tags, when the format has them
    tags: tuple[str, ...] = ()  # AO3's additional tags ("First Person", "Sam POV", "Fluff")
    rating: str | None = None
    url: str | None = None
    series: str | None = None
    series_part: int | None = None  # the work's place in the series, when the download says
    language: str = "en"
    source: str = ""  # the path it was read from

    @property
    def all_tags(self) -> tuple[str, ...]:
        """Additional tags, relationships and characters: where a fic says its POV
        ("Sam POV", "Theo Marsh/Reader")."""
        return self.tags + self.relationships + self.characters

    def span(self, start: int, end: int) -> str:
        return self.text[start:end]


@dataclass(frozen=True)
class Segment:
    kind: str  # NARRATION | DIALOGUE
    speaker: str  # NARRATOR, a canonical character name, or UNKNOWN
    text: str  # what is spoken, whitespace folded
    start: int
    end: int
    paragraph: int  # index of the paragraph in the work (for pauses)
    quote: int | None = None  # parts of one quotation share this id
    confidence: float = 1.0
    scene: int = 0  # scene index in the work; a new scene gets a longer pause


@dataclass(frozen=True)
class ScriptChapter:
    title: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Script:
    title: str
    author: str | None
    chapters: tuple[ScriptChapter, ...]
    work: Work | None = field(default=None, compare=False, repr=False)
    # The characters (voices.Character) its speakers are drawn from: the cast's, or the
    # ones found in the story when there is no cast. Set by attribution.
    characters: tuple = field(default=(), compare=False, repr=False)

    def segments(self):
        for chapter in self.chapters:
            yield from chapter.segments

    def replace_segments(self, segments: list[Segment]) -> "Script":
        """A copy with the same chapter layout and new segments (same count and order)."""
        it = iter(segments)
        chapters = tuple(
            ScriptChapter(ch.title, tuple(next(it) for _ in ch.segments)) for ch in self.chapters
        )
        return Script(self.title, self.author, chapters, self.work, self.characters)
