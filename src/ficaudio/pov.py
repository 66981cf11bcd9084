"""Who tells the story: its grammatical person and the character who is its narrator.

A first-person story's "I said" is its narrator's, and so are many of its untagged lines;
a reader-insert's "you say" is the reader's. The fic's own tags say much of this ("First
Person", "Sam POV", "Reader-Insert", "Theo Marsh/Reader"); the narration says the rest
(how often it says "I" or "you"), and the narrator is the one the others address by
name while the narration, speaking as "I", rarely names them.
"""

from __future__ import annotations

import re

FIRST, SECOND, THIRD = "first", "second", "third"

_FIRST_WORDS = re.compile(r"\b(?:I|me|my|I'm|I\u2019m|I'd|I\u2019d)\b")
_SECOND_WORDS = re.compile(r"\b(?:[Yy]ou|[Yy]our|[Yy]ou're|[Yy]ou\u2019re)\b")
_POV_TAG = re.compile(r"^(?:pov\s*[:\-]\s*)?(?P<who>.+?)(?:'s|\u2019s|s')?\s+(?:pov|p\.o\.v\.?|point of view)$", re.I)
_POV_FIRST_TAG = re.compile(r"^(?i:pov)\s*[:\-]?\s*(?P<who>[A-Z].+)$")
_FIRST_PERSON_TAG = re.compile(r"\bfirst[\s-]person\b", re.I)
_SECOND_PERSON_TAG = re.compile(r"\b(?:second[\s-]person|reader[\s-]?insert|x\s+reader|/\s*reader|y/n)\b", re.I)
READER = "Y/N"  # what a reader-insert calls its reader, and so the reader's character
# The names reader-inserts give the reader.
READER_NAMES = {"y/n", "(y/n)", "reader", "you", "the reader", "y/n l/n", "(y/n) (l/n)"}


def story_person(narration: list[str], tags: tuple[str, ...] = ()) -> str:
    """FIRST, SECOND or THIRD, from how often the narration says "I" and "you", and the
    tags ("First Person", "Reader-Insert") where the text alone is unsure."""
    words = sum(len(t.split()) for t in narration) or 1
    firsts = sum(len(_FIRST_WORDS.findall(t)) for t in narration) / words
    seconds = sum(len(_SECOND_WORDS.findall(t)) for t in narration) / words
    says_second = any(_SECOND_PERSON_TAG.search(t) for t in tags)
    says_first = any(_FIRST_PERSON_TAG.search(t) for t in tags)
    if seconds > 1.5 * firsts and (seconds >= 0.02 or (says_second and seconds >= 0.008)):
        return SECOND
    if firsts >= 0.012 or (says_first and firsts >= 0.005):
        return FIRST
    return THIRD


def reader_of(characters) -> str | None:
    """The cast entry that stands for the reader of a reader-insert ("Y/N", "Reader")."""
    for c in characters:
        if any(n.strip().lower() in READER_NAMES for n in c.names):
            return c.name
    return None


def pov_tag_names(tags: tuple[str, ...]) -> list[str]:
    """The names a fic's POV tags give: "Sam POV", "Marco's POV", "POV: Dana"."""
    found = []
    for tag in tags:
        tag = " ".join(tag.split())
        m = _POV_TAG.match(tag) or _POV_FIRST_TAG.match(tag)
        if m:
            who = re.sub(r"^(?:first|third|second)[\s-]person\s*", "", m["who"], flags=re.I).strip()
            if who and who.lower() not in ("first person", "multiple", "alternating", "multi", "mixed", "various"):
                found.append(who)
    return found
