"""Stage 5a: lay the script out in time: the spoken intro, chapter titles, every segment,
and the pauses between them (sentence turns, paragraphs, scenes, chapters).

The plan is pure data; render.py walks it, fetching clips from the synthesizer and
joining raw samples (pydub's `+` copies the whole track each time, which is quadratic
over thousands of segments).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import defaults
from .model import NARRATOR, Script
from .synthesize import Line, apply_pronunciations
from .voices import Cast

READING_DEFAULTS = {"intro": True, "summary": True, "notes": False, "chapter_titles": True, "outro": True}


@dataclass(frozen=True)
class Item:
    line: Line  # what the engine says
    speaker: str  # for the transcript
    text: str  # for the transcript: the text as written
    pause: float  # seconds of silence before it


@dataclass(frozen=True)
class Part:
    """One chapter of the audiobook (the intro is a part too)."""

    title: str
    items: tuple[Item, ...]


def reading_options(cast: Cast) -> dict:
    options = dict(READING_DEFAULTS)
    options.update(dict(cast.reading))
    return options


def silence(seconds: float, rate: int = defaults.WORK_RATE) -> bytes:
    return b"\x00\x00" * int(round(seconds * rate))


def plan(script: Script, cast: Cast) -> list[Part]:
    reading = reading_options(cast)
    work = script.work

    def say(text: str, speaker: str, pause: float) -> Item:
        spoken = apply_pronunciations(text, cast.pronunciations)
        return Item(Line(spoken, cast.profile_for(speaker)), speaker, text, pause)

    parts: list[Part] = []
    if reading["intro"]:
        intro = [say(script.title + ".", NARRATOR, 0.5)]
        if script.author:
            intro.append(say(f"By {script.author}.", NARRATOR, defaults.PAUSE_TURN))
        if work is not None and work.fandoms:
            intro.append(say(f"A {', '.join(work.fandoms)} story.", NARRATOR, defaults.PAUSE_TURN))
        if reading["summary"] and work is not None and work.summary:
            intro.append(say(work.summary, NARRATOR, defaults.PAUSE_PARAGRAPH))
        if reading["notes"] and work is not None:
            intro += [say(n, NARRATOR, defaults.PAUSE_PARAGRAPH) for n in work.notes]
        parts.append(Part("Introduction", tuple(intro)))

    speak_titles = reading["chapter_titles"] and len(script.chapters) > 1
    for chapter in script.chapters:
        items = []
        if speak_titles:
            items.append(say(chapter.title + ".", NARRATOR, defaults.PAUSE_CHAPTER))
        previous = None
        for seg in chapter.segments:
            if previous is None:
                pause = defaults.PAUSE_PARAGRAPH if speak_titles else defaults.PAUSE_CHAPTER
            elif seg.scene != previous.scene:
                pause = defaults.PAUSE_SCENE
            elif seg.paragraph != previous.paragraph:
                pause = defaults.PAUSE_PARAGRAPH
            else:
                pause = defaults.PAUSE_TURN
            items.append(say(seg.text, seg.speaker, pause))
            previous = seg
        parts.append(Part(chapter.title, tuple(items)))

    tail = []
    if reading["notes"] and work is not None:
        tail += [say(n, NARRATOR, defaults.PAUSE_PARAGRAPH) for n in work.end_notes]
    if reading["outro"]:
        by = f", by {script.author}" if script.author else ""
        tail.append(say(f"End of {script.title}{by}.", NARRATOR, defaults.PAUSE_SCENE))
    if tail and parts:
        last = parts[-1]
        parts[-1] = Part(last.title, last.items + tuple(tail))
    return parts
