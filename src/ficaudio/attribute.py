"""Stage 3: decide who speaks each quotation.

A sieve, strongest evidence first:
1. an explicit tag beside the quote ("said Mark", "Lexie asked softly", "he chuckled");
2. an action beat: the subject of the narration in the quote's paragraph;
3. the parts of one quotation, and the quotes of one paragraph, share a speaker;
4. turn-taking: in a two-person exchange, speakers alternate;
5. otherwise the most recently mentioned character who did not speak last.
Names inside a quotation are addressees, never its speaker. Pronouns resolve to the
most recently mentioned character of that gender.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .model import DIALOGUE, UNKNOWN, Script, Segment
from .voices import Cast, Character

SPEECH_VERBS = (
    "said says say asked asks replied replies answered answers cried cries shouted shouts "
    "whispered whispers muttered mutters murmured murmurs exclaimed exclaims continued continues "
    "added adds chuckled chuckles laughed laughs scoffed scoffs snapped snaps stated states spoke "
    "speaks yelled yells called calls began begins repeated repeats insisted insists observed "
    "remarked returned rejoined retorted interrupted sighed sighs groaned growled hissed breathed "
    "pleaded demanded inquired enquired explained admitted agreed protested smiled smiles grinned "
    "grins teased joked mumbled stammered stuttered sobbed screamed roared declared announced "
    "suggested urged warned whimpered begged gasped responded offered assured corrected told tells "
    "thought thinks wondered reasoned confessed pointed mused snorted sneered smirked huffed "
    "giggled purred drawled barked blurted quipped countered reminded promised ventured "
    "persisted pursued resumed concluded echoed faltered cautioned commanded ordered interposed"
).split()
_VERB = r"(?:%s)" % "|".join(SPEECH_VERBS)
PRONOUNS = {"he": "male", "him": "male", "his": "male", "she": "female", "her": "female", "hers": "female"}


class _Mentions:
    """Finds cast names (and pronouns) in text."""

    def __init__(self, characters: tuple[Character, ...]):
        self.by_alias: dict[str, Character] = {}
        for c in characters:
            for alias in c.names:
                self.by_alias.setdefault(alias.lower(), c)
        aliases = sorted(self.by_alias, key=len, reverse=True)
        pattern = "|".join(re.escape(a) for a in aliases) or r"(?!x)x"
        self.names = re.compile(r"\b(%s)(?:'s)?\b" % pattern, re.IGNORECASE)
        self.tag_after = re.compile(
            r"^[\s,;:\u2014\-]*(?:(?P<verb1>%s)\s+(?P<who1>%s|he|she|I)\b|(?P<who2>%s|he|she|I)\s+(?:\w+ly\s+)?(?P<verb2>%s)\b)"
            % (_VERB, pattern, pattern, _VERB),
            re.IGNORECASE,
        )
        self.tag_before = re.compile(
            r"(?:(?P<who1>%s|he|she|I)\s+(?:\w+ly\s+)?(?:%s)(?:\s+\w+){0,4}|(?:%s)\s+(?P<who2>%s|he|she|I))\s*[,:]?\s*$"
            % (pattern, _VERB, _VERB, pattern),
            re.IGNORECASE,
        )
        self.subject = re.compile(r"(?:^|[.!?;]\s+)(%s|he|she)(?:'s)?\b" % pattern, re.IGNORECASE)

    def character(self, alias: str) -> Character | None:
        return self.by_alias.get(alias.lower())

    def find(self, text: str):
        for m in self.names.finditer(text):
            yield m.start(), self.by_alias[m.group(1).lower()]


def attribute(script: Script, cast: Cast) -> Script:
    """Fill in the speaker of every dialogue segment, with a confidence in [0, 1]."""
    characters = cast.characters
    if not characters:
        from .discover import discover

        characters = discover(script)
    if not characters:
        return script
    mentions = _Mentions(characters)
    segments = list(script.segments())
    speakers: dict[int, tuple[str, float]] = {}  # quote id -> (speaker, confidence)
    recent: list[Character] = []  # most recent last
    history: list[tuple[int, str]] = []  # (scene, speaker) of recent quotes
    by_paragraph: dict[int, list[int]] = {}
    for i, s in enumerate(segments):
        by_paragraph.setdefault(s.paragraph, []).append(i)

    def remember(text):
        for _, c in mentions.find(text):
            if c in recent:
                recent.remove(c)
            recent.append(c)

    def resolve(who: str, exclude=()) -> Character | None:
        if who.lower() in PRONOUNS:
            gender = PRONOUNS[who.lower()]
            for c in reversed(recent):
                if c.gender == gender and c.name not in exclude:
                    return c
            return None
        if who.lower() == "i":
            return None
        return mentions.character(who)

    for i, seg in enumerate(segments):
        if seg.kind != DIALOGUE:
            remember(seg.text)
            continue
        if seg.quote in speakers:
            name, conf = speakers[seg.quote]
            segments[i] = replace(seg, speaker=name, confidence=conf)
            continue
        addressed = {c.name for _, c in mentions.find(seg.text)}
        found = _explicit(segments, i, mentions, resolve, addressed)
        if found is None:
            found = _paragraph_speaker(segments, i, by_paragraph, speakers)
        if found is None:
            found = _beat(segments, i, by_paragraph, mentions, resolve, addressed)
        if found is None:
            found = _turn_taking(history, seg.scene, recent, addressed)
        name, conf = found if found else (UNKNOWN, 0.0)
        speakers[seg.quote] = (name, conf)
        segments[i] = replace(seg, speaker=name, confidence=conf)
        if name != UNKNOWN:
            history.append((seg.scene, name))
            c = next((c for c in characters if c.name == name), None)
            if c is not None and c not in recent:
                recent.append(c)
    return script.replace_segments(segments)


def _neighbour(segments, i, step):
    j = i + step
    if 0 <= j < len(segments) and segments[j].paragraph == segments[i].paragraph:
        return segments[j]
    return None


def _explicit(segments, i, mentions, resolve, addressed):
    after = _neighbour(segments, i, 1)
    if after is not None and after.kind != DIALOGUE:
        m = mentions.tag_after.match(after.text)
        if m:
            who = m.group("who1") or m.group("who2")
            c = resolve(who, exclude=addressed)
            if c is not None:
                return c.name, 0.95
    before = _neighbour(segments, i, -1)
    if before is not None and before.kind != DIALOGUE:
        m = mentions.tag_before.search(before.text)
        if m:
            who = m.group("who1") or m.group("who2")
            c = resolve(who, exclude=addressed)
            if c is not None:
                return c.name, 0.9
    return None


def _paragraph_speaker(segments, i, by_paragraph, speakers):
    """An earlier quote of the same paragraph: one paragraph, one speaker."""
    for j in by_paragraph[segments[i].paragraph]:
        if j >= i:
            break
        s = segments[j]
        if s.kind == DIALOGUE and s.quote in speakers and speakers[s.quote][0] != UNKNOWN:
            name, conf = speakers[s.quote]
            return name, min(conf, 0.85)
    return None


def _beat(segments, i, by_paragraph, mentions, resolve, addressed):
    """The subject of the narration around the quote, in the same paragraph."""
    for j in by_paragraph[segments[i].paragraph]:
        s = segments[j]
        if s.kind == DIALOGUE:
            continue
        m = mentions.subject.search(s.text)
        if m:
            c = resolve(m.group(1), exclude=addressed)
            if c is not None and c.name not in addressed:
                return c.name, 0.75
    return None


def _turn_taking(history, scene, recent, addressed):
    same_scene = [name for sc, name in history if sc == scene]
    if len(same_scene) >= 2 and same_scene[-1] != same_scene[-2] and same_scene[-2] not in addressed:
        return same_scene[-2], 0.6
    last = same_scene[-1] if same_scene else None
    for c in reversed(recent):
        if c.name != last and c.name not in addressed:
            return c.name, 0.4
    if addressed:
        return None
    return (last, 0.2) if last else None
