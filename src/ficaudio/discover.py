"""Find the characters of a story when no cast is given (auto mode).

Candidates are capitalised names that speak ("said Mara", "Mara asked") or recur often
away from sentence starts; titled names ("Mrs. Shepard") are kept whole; a surname or
first name alone merges into the full name it belongs to. Gender comes from honorifics
and from the pronouns that follow a name.
"""

from __future__ import annotations

import re
from collections import Counter

from .attribute import SPEECH_VERBS
from .model import DIALOGUE, Script
from .voices import Character

_TITLES = r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lady|Lord|Madame|Mme|Mademoiselle|Monsieur|Captain|Colonel|Professor|Aunt|Uncle)\.?"
_NAME = re.compile(r"\b(?:%s\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\b" % _TITLES)
_FEMALE_TITLES = {"mrs", "ms", "miss", "lady", "madame", "mme", "mademoiselle", "aunt"}
_MALE_TITLES = {"mr", "sir", "lord", "monsieur", "uncle"}
_STOP = set(
    """The A An And But Or If When Then There Their They This That These Those What Who Why How Where
    He She His Her Him It Its I We You Your Our My Me Yes No Oh Ah Well So Not Now Just Still Yet
    After Before Again Even Here As At In On Of For From With Without To By Into Over Under Is Was
    Chapter Part Book Volume God Lord Sir Madam Mother Father Mom Dad Mr Mrs Miss Ms Dr Okay OK
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
    August September October November December Christmas English French""".split()
)
_VERBS = "|".join(SPEECH_VERBS)


def discover(script: Script, limit: int = 40) -> tuple[Character, ...]:
    work = script.work
    text = work.text if work is not None else " ".join(s.text for s in script.segments())
    narration = " ".join(s.text for s in script.segments() if s.kind != DIALOGUE)
    counts: Counter[str] = Counter()
    speaking: Counter[str] = Counter()
    for m in _NAME.finditer(narration):
        name = m.group()
        first = name.split()[0].rstrip(".")
        if first in _STOP and not re.match(_TITLES, name):
            continue
        # Sentence-initial capitals are weak evidence; count them only if seen elsewhere too.
        counts[name] += 1
    for m in re.finditer(r"\b(%s)\s+(%s)\b|\b(%s)\s+(%s)\b" % (_NAME.pattern, _VERBS, _VERBS, _NAME.pattern), narration):
        name = m.group(1) or m.group(4)
        if name and name.split()[0] not in _STOP:
            speaking[name] += 1
    candidates = [n for n, c in counts.items() if c >= 3 or speaking[n] >= 1]
    # Merge parts into full names: "Avery" and "Jackson" into "Jackson Avery".
    full = sorted({n for n in candidates if len(n.split()) > 1}, key=lambda n: -counts[n])
    groups: dict[str, set[str]] = {}
    for name in sorted(candidates, key=lambda n: (-len(n.split()), -counts[n])):
        owner = next((f for f in full if name != f and name in f.split() and f in groups), None)
        if owner is not None:
            groups[owner].add(name)
        elif name in full or name not in groups:
            groups.setdefault(name, set())
    scored = sorted(groups, key=lambda n: -(counts[n] + sum(counts[a] for a in groups[n]) + 5 * speaking[n]))
    characters = []
    for name in scored[:limit]:
        aliases = groups[name]
        # Canonical name: the most frequent form people use, typically the first name.
        forms = [name, *aliases]
        canonical = max(forms, key=lambda f: (counts[f] + 5 * speaking[f], -len(f)))
        characters.append(
            Character(canonical, tuple(sorted(set(forms) - {canonical})), _gender(text, forms))
        )
    return tuple(characters)


def _gender(text: str, forms: list[str]) -> str:
    for form in forms:
        title = form.split()[0].rstrip(".").lower()
        if title in _FEMALE_TITLES:
            return "female"
        if title in _MALE_TITLES:
            return "male"
    he = she = 0
    for form in forms:
        for m in re.finditer(r"\b%s\b[^.!?\"\u201c]{0,60}?\b(he|him|his|she|her|hers)\b" % re.escape(form), text):
            if m.group(1) in ("he", "him", "his"):
                he += 1
            else:
                she += 1
    if he > she * 1.5:
        return "male"
    if she > he * 1.5:
        return "female"
    return "unknown"
