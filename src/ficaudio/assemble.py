"""Stage 5a: lay the script out in time: the spoken intro, chapter titles, every segment,
and the pauses between them (sentence turns, paragraphs, scenes, chapters).

The plan is pure data; render.py walks it, fetching clips from the synthesizer and
joining raw samples (pydub's `+` copies the whole track each time, which is quadratic
over thousands of segments).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import defaults
from .model import NARRATOR, Script
from .synthesize import Line, apply_pronunciations
from .voices import Cast


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
    options = dict(defaults.READING)
    options.update(dict(cast.reading))
    return options


def pronunciations_for(cast: Cast, engine: str) -> tuple[tuple[str, str], ...]:
    """The respellings an engine can say: [[phonemes]] only reach engines that read them;
    the others say the word as written rather than spelling out brackets."""
    from .engines import engine_class

    phonemes = engine_class(engine).phoneme_input
    return tuple((word, said) for word, said in cast.pronunciations if phonemes or "[[" not in said)


# Long paragraphs are spoken in pieces of at most this many words, cut at sentence
# ends: a Gutenberg paragraph can run to 15 minutes of audio, which as one clip would
# hold hundreds of megabytes in a worker, keep one core busy while the others wait, and
# make one unreadable transcript cue.
INTRO_TITLE = "Introduction"  # the part before the first chapter: title, author, summary
PIECE_WORDS = 80
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]*[A-Z0-9])")

_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Mme|Mlle|Prof|Capt|Col|Gen|Lt|Rev|vs|etc)\.$")


def pieces(text: str, limit: int = PIECE_WORDS) -> list[str]:
    """The text cut at sentence ends into runs of at most `limit` words (a longer
    sentence stays whole)."""
    if len(text.split()) <= limit:
        return [text]
    sentences, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if _ABBREVIATION.search(text, 0, m.start()):
            continue
        sentences.append(text[start : m.start()].strip() + text[m.start() : m.end()].strip())
        start = m.end()
    sentences.append(text[start:].strip())
    runs: list[str] = []
    for sentence in filter(None, sentences):
        if runs and len(runs[-1].split()) + len(sentence.split()) <= limit:
            runs[-1] += " " + sentence
        else:
            runs.append(sentence)
    return runs


def silence(seconds: float, rate: int = defaults.WORK_RATE) -> bytes:
    return b"\x00\x00" * int(round(seconds * rate))


def spoken_items(cast: Cast, text: str, speaker: str, pause: float, retakes: dict | None = None) -> list[Item]:
    """What the book says for one segment: its pieces, respelt, in the speaker's voice
    (the studio plays a line from these, so it is cached exactly as a render wants it)."""
    from .engines import get_engine

    profile = cast.profile_for(speaker)
    respell = pronunciations_for(cast, profile.engine)
    items = []
    for n, piece in enumerate(pieces(text)):
        take = (retakes or {}).get((speaker, piece))
        spoken = get_engine(profile.engine).retake(profile, take) if take else profile
        items.append(Item(Line(apply_pronunciations(piece, respell), spoken), speaker, piece,
                          pause if n == 0 else defaults.PAUSE_SENTENCE))
    return items


def plan(script: Script, cast: Cast, retakes: dict | None = None) -> list[Part]:
    """The parts of the book; `retakes` maps (speaker, text) of a line `check --fix`
    found misspoken to how many times it has been made again."""
    reading = reading_options(cast)
    work = script.work
    retakes = retakes or {}

    def say(text: str, speaker: str, pause: float) -> list[Item]:
        return spoken_items(cast, text, speaker, pause, retakes)

    parts: list[Part] = []
    if reading["intro"]:
        intro = say(script.title + ".", NARRATOR, 0.5)
        if script.author:
            intro += say(f"By {script.author}.", NARRATOR, defaults.PAUSE_TURN)
        if work is not None and work.fandoms:
            fandoms = ", ".join(work.fandoms)
            # "An Avatar: The Last Airbender story", "A One Piece story", "A Good Omens story"
            vowel = fandoms[:1].lower() in "aeiou" and not fandoms.lower().startswith(("one", "uni", "use", "eu", "uk"))
            article = "An" if vowel else "A"
            intro += say(f"{article} {fandoms} story.", NARRATOR, defaults.PAUSE_TURN)
        if reading["summary"] and work is not None and work.summary:
            intro += say(work.summary, NARRATOR, defaults.PAUSE_PARAGRAPH)
        if reading["notes"] and work is not None:
            for note in work.notes:
                intro += say(note, NARRATOR, defaults.PAUSE_PARAGRAPH)
        parts.append(Part(INTRO_TITLE, tuple(intro)))

    speak_titles = reading["chapter_titles"] and len(script.chapters) > 1
    for chapter in script.chapters:
        items = []
        if speak_titles:
            items += say(chapter.title + ".", NARRATOR, defaults.PAUSE_CHAPTER)
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
            items += say(seg.text, seg.speaker, pause)
            previous = seg
        parts.append(Part(chapter.title, tuple(items)))

    tail = []
    if reading["notes"] and work is not None:
        for note in work.end_notes:
            tail += say(note, NARRATOR, defaults.PAUSE_PARAGRAPH)
    if reading["outro"]:
        by = f", by {script.author}" if script.author else ""
        tail += say(f"End of {script.title}{by}.", NARRATOR, defaults.PAUSE_SCENE)
    if tail and parts:
        last = parts[-1]
        parts[-1] = Part(last.title, last.items + tuple(tail))
    return parts
