"""A script prepared for attribution: its turns (the dialogue of a paragraph), the cast
names mentioned around them, the speech tags, conversations and the story's narrator.
Each turn's candidates and their signals are worked out in features.py."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..lexicon import NOUN_GENDER, SUBJECT_PRONOUNS
from ..model import DIALOGUE, Script, Segment
from ..pov import FIRST, SECOND, pov_tag_names, reader_of, story_person
from ..voices import Character
from .features import _MENTION_REACH, TurnContext, TurnFeatures
from .speech import is_unspoken
from .tags import (INTRODUCING, SENTENCE_END, SUBJECT_BEFORE, VOICE, Names, last_sentence, name_key,
                   names_other, tagged)



_POV_SUBJECT = {FIRST: r"\bI\b", SECOND: r"(?:^|[.!?;:,]\s+|\b(?:and|but|then|as|when|so|until|while)\s+)[Yy]ou\b"}
# "I'm Tess", "My name is Tess Brennan", "Name's Ruiz", "Irene Castellano. I called". Not "Lizzy, I
# was going to look for you" (a vocative) nor "This is Bill Gorton" (more often an introduction).
_NAME = r"(?P<who>[A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+)?)"
_SELF_NAMING = re.compile(r"(?:\b(?:I'm|I\u2019m|I am|[Mm]y name is|[Mm]y name's|[Mm]y name\u2019s)"
                          r"|(?:^|[.!?]\s+)Name(?:'s|\u2019s))\s+%s(?=[\s.,!?\u2014]|$)"
                          r"|^%s[.]\s+I\b" % (_NAME, _NAME.replace("who", "who2")))
_VOICE_AFTER = re.compile(r"^[\s,;:.!?\u2014\-]*(?:(?P<pos>[Hh]is|[Hh]er)|(?:[Aa]n?|[Tt]he)\s+(?:[\w-]+\s+)?(?P<noun>\w+)"
                          r"(?:'s|\u2019s))\s+voice\b")
_YOU_ARE = re.compile(r"\b(?:[Yy]ou're|[Yy]ou\u2019re|[Yy]ou are|[Aa]re you|[Aa]ren't you|[Aa]ren\u2019t you)\s*$")
# A clause opened by one of these and closed by a comma just before a speech verb holds
# no subject of the verb; nor does a participle phrase between a name and its verb.
_SUBORDINATE = re.compile(r"\b(?:when|as|while|though|although|if|because|since|till|until|after|before|once)\s+(?:\w+\s+){0,1}$")
_CLAUSE_CLOSES = re.compile(r"[^,;:.!?]*,\s*(?:and\s+)?(?:\w+ly\s+|thus\s+|then\s+)?$")
_PARTICIPLE_THEN_VERB = re.compile(r",\s+(?:\w+ly\s+)?[a-z]+ing\b[^,;:.!?]*,\s*(?:\w+ly\s+|thus\s+|then\s+)?$")
_SPOKEN_TO_BY = re.compile(r"\b(?:accosted|addressed|interrupted|greeted|hailed|answered|asked|told|questioned)\s+by\s+")
# Going out of the scene, said of the one just named.
_EXIT = re.compile(r"\b(?:left(?! (?:hand|arm|side|eye|foot|leg|shoulder|ear|cheek|knee|wrist|behind))|leaves|withdr[ae]w|withdraws"
                   r"|(?:went|goes|walked|walks|stepped|steps|slipped|slips|stalked|stalks|hurried|hurries|headed|heads)"
                   r" (?:out|off|away)|hung up|hangs up|departed|departs|disappeared|disappears|vanished|vanishes"
                   r"|excused (?:him|her|them)sel(?:f|ves)|(?:was|is) gone|ended the call|ends the call)\b")
_NEAR_SEGMENTS = 3  # narration segments either side of a turn that can describe it


@dataclass
class Turn:
    """The dialogue of one paragraph (or one multi-paragraph quotation)."""

    segments: list[int]  # indices into Document.segments
    paragraph: int  # first paragraph
    last_paragraph: int
    scene: int
    start: int
    end: int
    # ("name", canonical) | ("one of", canonicals) | ("pronoun", gender) | ("I", "")
    tag: tuple | None = None
    tag_other: str | None = None  # gender of a tag naming no cast member ("said her mother")
    quote_text: str = ""
    narration: str = ""  # the narration of its paragraphs
    addressed: frozenset = frozenset()  # names its quotes call out to ("Come here, Cy.")
    conversation: int = 0  # turns of one exchange, not parted by narration or a scene break


class Document(TurnFeatures):
    """A script prepared for attribution: turns, mentions and the first-person narrator."""

    def __init__(self, script: Script, characters: tuple[Character, ...]):
        self.script = script
        self.characters = characters
        self.by_name = {c.name: c for c in characters}
        self.names = Names(characters)
        self.segments: list[Segment] = list(script.segments())
        work = script.work
        text = work.text if work is not None else None
        self._index_mentions(text)
        self.fic_tags = work.all_tags if work is not None else ()
        self.person = story_person([s.text for s in self.segments if s.kind != DIALOGUE], self.fic_tags)
        self._build_turns()
        # How often each character is named in a tag: who talks in this story.
        self.tag_count: dict[str, int] = {}
        for turn in self.turns:
            if turn.tag and turn.tag[0] == "name":
                self.tag_count[turn.tag[1]] = self.tag_count.get(turn.tag[1], 0) + 1
        self.narrator = self._find_narrator()
        # The narrator of a first- or second-person story is "I" or "you", never "he" or "she".
        self.told_by = self.narrator if self.person in (FIRST, SECOND) else None
        # A first-person narrator's paragraphs say "I"; a reader-insert's say "you".
        self.pov_pattern = re.compile(_POV_SUBJECT[self.person]) if self.person in _POV_SUBJECT else None
        self._last_context: TurnContext | None = None

    # -- mentions -------------------------------------------------------------------

    def _index_mentions(self, text: str | None) -> None:
        """Every cast-name mention: position, character, and whether it is inside a quote."""
        spans = [(s.start, s.end) for s in self.segments if s.kind == DIALOGUE]
        starts = [s for s, _ in spans]
        self.dialogue_starts = starts
        self.mentions: list[tuple[int, str, bool]] = []
        if text is None:
            text = " ".join(s.text for s in self.segments)
        self.text = text
        for m in self.names.pattern.finditer(text):
            c = self.names.character(m.group(1))
            i = bisect.bisect_right(starts, m.start()) - 1
            quoted = i >= 0 and spans[i][0] <= m.start() < spans[i][1]
            self.mentions.append((m.start(), c.name, quoted))
        self.mention_positions = [p for p, _, _ in self.mentions]
        self.mention_count: dict[str, int] = {}
        self.narration_mentions_of: dict[str, list[int]] = {}
        self._exits: dict[int, bool] = {}
        for position, name, quoted in self.mentions:
            if not quoted:
                self.mention_count[name] = self.mention_count.get(name, 0) + 1
                self.narration_mentions_of.setdefault(name, []).append(position)

    def recent_narration_mentions(self, position: int, floor: int) -> list[str]:
        """Characters named in narration between floor and position, most recent first."""
        order: list[str] = []
        i = bisect.bisect_left(self.mention_positions, position) - 1
        # Bounded, for texts whose paragraphs run for megabytes.
        stop = max(-1, i - _MENTION_REACH)
        while i > stop and self.mentions[i][0] >= floor:
            _, name, quoted = self.mentions[i]
            if not quoted and name not in order:
                order.append(name)
            i -= 1
        return order

    def vocatives(self, quote: str) -> list[str]:
        """Names a quote calls out to: "Cy, come here.", "Come here, Cy!", "Oh, Cy."."""
        found = []
        for m in self.names.pattern.finditer(quote):
            before = quote[: m.start()].rstrip()
            after = quote[m.end():].lstrip()
            if (not before or before.endswith((",", "!", "?", ".", ";", "\u2014", "--"))) and after[:1] in (",", "!", "?", ".", ";", ""):
                c = self.names.character(m.group(1))
                # "Brother Emrys. You have been very quiet." calls on Emrys too.
                opens = not before and after[:1] in (".", "!", "?") and len(after) > 1
                if c is not None and (before or after[:1] == "," or opens):
                    found.append(c.name)
            elif _YOU_ARE.search(before):
                # "You're Mr. Ruiz?", "Aren't you Tess Brennan?" asks the listener.
                c = self.names.character(m.group(1))
                if c is not None:
                    found.append(c.name)
        return found

    def names_in(self, text: str) -> list[str]:
        found = []
        for m in self.names.pattern.finditer(text):
            name = self.names.character(m.group(1)).name
            if name not in found:
                found.append(name)
        return found

    # -- turns ----------------------------------------------------------------------

    def _build_turns(self) -> None:
        segs = self.segments
        self.paragraph_segments: dict[int, list[int]] = {}
        for i, s in enumerate(segs):
            self.paragraph_segments.setdefault(s.paragraph, []).append(i)
        self.first_paragraph = min(self.paragraph_segments, default=0)
        self.scene_start: dict[int, int] = {}
        for s in segs:
            self.scene_start.setdefault(s.scene, s.start)
        self.last_paragraph = max(self.paragraph_segments, default=0)
        self.turns: list[Turn] = []
        self.turn_of_segment: dict[int, int] = {}
        quote_turn: dict[int, int] = {}
        # Quoted text nobody says aloud (a sign, a typed message) is no one's turn.
        self.unspoken: set[int] = {i for i, s in enumerate(segs) if s.kind == DIALOGUE and self._unspoken(i)}
        for i, s in enumerate(segs):
            if s.kind != DIALOGUE or i in self.unspoken:
                continue
            tag = self._tag(i)
            t = quote_turn.get(s.quote) if s.quote is not None else None
            if t is not None and names_other(tag, self.turns[t].tag):
                # '"Anything else?" Matthew took his courage in both hands and replied:
                # "Well now..."' reads like one interrupted quotation, but is two speakers.
                t = None
            if t is None and self.turns:
                last = self.turns[-1]
                if last.last_paragraph == s.paragraph and not names_other(tag, last.tag):
                    t = len(self.turns) - 1
            if t is None:
                self.turns.append(Turn([], s.paragraph, s.paragraph, s.scene, s.start, s.end))
                t = len(self.turns) - 1
            turn = self.turns[t]
            turn.segments.append(i)
            turn.last_paragraph = max(turn.last_paragraph, s.paragraph)
            turn.end = s.end
            if tag and tag[0] != "other" and (turn.tag is None or (tag[0] == "name" and turn.tag[0] != "name")):
                turn.tag = tag
            if tag and tag[0] == "other":
                turn.tag_other = tag[1]
            if s.quote is not None:
                quote_turn[s.quote] = t
            self.turn_of_segment[i] = t
        self._build_conversations()
        for turn in self.turns:
            turn.quote_text = " ".join(segs[i].text for i in turn.segments)
            # "Irene Castellano. I called yesterday." introduces the speaker; it does not
            # call out to her.
            turn.addressed = (frozenset(n for i in turn.segments for n in self.vocatives(segs[i].text))
                              - self._self_named(turn.quote_text))
            # The narration of its paragraphs, near its quotes: a text with no paragraph
            # breaks is one paragraph, and every turn would otherwise copy all of it.
            near = range(max(0, turn.segments[0] - _NEAR_SEGMENTS),
                         min(len(segs), turn.segments[-1] + _NEAR_SEGMENTS + 1))
            turn.narration = " ".join(
                segs[j].text
                for j in near
                if segs[j].kind != DIALOGUE and turn.paragraph <= segs[j].paragraph <= turn.last_paragraph
            )

    def _unspoken(self, i: int) -> bool:
        segs = self.segments
        s = segs[i]

        def same(j: int) -> bool:
            return 0 <= j < len(segs) and segs[j].paragraph == s.paragraph

        def narration_at(j: int) -> str:
            return segs[j].text if same(j) and segs[j].kind != DIALOGUE else ""

        above_ids = self.paragraph_segments.get(s.paragraph - 1, [])
        above = " ".join(segs[j].text for j in above_ids[-_NEAR_SEGMENTS:] if segs[j].kind != DIALOGUE)
        continues = (same(i - 2) and segs[i - 2].kind == DIALOGUE and segs[i - 2].quote == s.quote) or (
            same(i - 1) and segs[i - 1].kind == DIALOGUE)
        before = narration_at(i - 1)
        if (not same(i - 1) and above_ids and segs[above_ids[-1]].kind != DIALOGUE
                and segs[above_ids[-1]].text.rstrip().endswith(":")):
            # "She always wrote the board in capitals:" above a quotation that opens its
            # paragraph leads into it as if it were in the same paragraph.
            before = segs[above_ids[-1]].text
        below_ids = self.paragraph_segments.get(s.paragraph + 1, [])
        below = segs[below_ids[0]].text if below_ids and segs[below_ids[0]].kind != DIALOGUE else ""
        return is_unspoken(s.text, before, narration_at(i + 1), above, continues, below)

    def _build_conversations(self) -> None:
        """Two narration-only paragraphs, a scene break or a chapter end part conversations.
        Each conversation knows the characters its narration names, before or after a turn."""
        bounds: list[tuple[int, int]] = []  # first and last paragraph of each conversation
        previous = None
        for turn in self.turns:
            if previous is None or turn.scene != previous.scene or turn.paragraph - previous.last_paragraph > 2:
                bounds.append((turn.paragraph, turn.last_paragraph))
            else:
                bounds[-1] = (bounds[-1][0], turn.last_paragraph)
            turn.conversation = len(bounds) - 1
            previous = turn
        self.conversation_bounds = bounds
        self.conversation_names: list[list[str]] = []
        for first, last in bounds:
            lo = bisect.bisect_left(self.mention_positions, self._paragraph_start(first - 1))
            hi = bisect.bisect_left(self.mention_positions, self._paragraph_end(last))
            counts: dict[str, int] = {}
            for _, name, quoted in self.mentions[lo:hi]:
                if not quoted:
                    counts[name] = counts.get(name, 0) + 1
            self.conversation_names.append(sorted(counts, key=counts.get, reverse=True))

    def _tag(self, i: int):
        """The speech tag beside dialogue segment i: after it, else before it."""
        segs = self.segments
        s = segs[i]
        after = segs[i + 1] if i + 1 < len(segs) and segs[i + 1].paragraph == s.paragraph else None
        if after is not None and after.kind != DIALOGUE:
            m = self.names.tag_after.match(after.text)
            if m:
                return self._who(tagged(m))
            m = _VOICE_AFTER.match(after.text)
            if m:
                # "Her voice floats back from the kitchen", "A young man's voice."
                word = (m.group("pos") or m.group("noun")).lower()
                gender = {"his": "male", "her": "female"}.get(word) or NOUN_GENDER.get(word, "unknown")
                return ("other", gender)
            m = self.names.other_after.match(after.text)
            if m:
                # "said the woman behind the bar", "said her older sister"
                words = [w.lower() for w in (m.group("noun"), m.group("next"), m.group("noun2")) if w]
                return ("other", next((NOUN_GENDER[w] for w in words if w in NOUN_GENDER), "unknown"))
        before = segs[i - 1] if i > 0 and segs[i - 1].paragraph == s.paragraph else None
        if before is None and i > 0 and segs[i - 1].paragraph == s.paragraph - 1:
            # A paragraph of narration that ends introducing the speech ("Mr Shepherd
            # presumed to say--", "Lady Catherine observed:") tags the quote below it.
            if segs[i - 1].text.rstrip().endswith(INTRODUCING):
                before = segs[i - 1]
            elif all(segs[j].kind != DIALOGUE for j in self.paragraph_segments.get(s.paragraph - 1, ())):
                # "... without her. Mrs Musgrove interposed." ends by naming who speaks next.
                m = self.names.tag_closing.search(last_sentence(segs[i - 1].text))
                if m:
                    return self._who(m.group("who"))
        if before is not None and before.kind != DIALOGUE:
            if i >= 2 and segs[i - 2].kind == DIALOGUE and segs[i - 2].paragraph == s.paragraph:
                # An interrupted quotation: "Of course," said the Duchess, who agreed
                # with all that Alice said; "there's ..." The tag after the first part
                # names the speaker of both, whatever the narration goes on to mention.
                m = self.names.tag_after.match(before.text)
                if m:
                    # '"Oh, a song, please," Alice replied, so eagerly that the Gryphon
                    # said, in a rather offended tone, "Hm!..."': the narration ends by
                    # leading someone else into the second part.
                    lead = self._leads_in(before.text, m.end())
                    return self._who(lead or tagged(m))
            who = self._tag_before(last_sentence(before.text))
            if who:
                return self._who(who)
        return None

    def _tag_before(self, sentence: str) -> str | None:
        passive = _SPOKEN_TO_BY.search(sentence)
        if passive:
            # "when thus accosted by Miss Bingley," "she was interrupted by Sam:"
            m = self.names.any_who.match(sentence, passive.end())
            if m and not sentence[m.end():].strip(" ,:;\u2014-"):
                return m.group("who")
        matches = list(self.names.tag_direct.finditer(sentence))
        if matches and len(sentence[matches[-1].end():].split()) <= 8:
            return matches[-1].group("who") or matches[-1].group("who2")
        introducing = sentence.rstrip().endswith(INTRODUCING)
        if introducing:
            verbs = list(self.names.speech_verb.finditer(sentence))
            if verbs:
                who = self._last_subject(sentence, verbs[-1].start())
                if who:
                    return who
        m = self.names.tag_inverted.match(sentence)
        if m:
            return m.group("who")
        if introducing:
            if self.names.speech_verb.search(sentence):
                m = self.names.first_who.search(sentence)
                if m:
                    return m.group("who")
            m = VOICE.search(sentence)
            if m:
                return "he" if m.group(1).lower() == "his" else "she"
        return None

    def _leads_in(self, narration: str, start: int) -> str | None:
        """Who a narration leads into speech after position start: its last speech verb
        closes it ("... the Gryphon said, in a rather offended tone,")."""
        verbs = list(self.names.speech_verb.finditer(narration, start))
        if not verbs:
            return None
        rest = narration[verbs[-1].end():]
        if len(rest.split()) > 6 or not (rest.strip() == "" or narration.rstrip().endswith(INTRODUCING)):
            return None
        return self._last_subject(narration, verbs[-1].start(), start)

    def _last_subject(self, sentence: str, end: int, start: int = 0) -> str | None:
        """The last name (or he/she) in subject position: "Denham rose, ..., but
        Katharine rose at the same moment, and saying," is Katharine's. Names after a
        verb or a preposition ("noticed Alice", "towards Mr. Bounderby") are objects,
        and a pronoun after a name of its gender ("Mr Shepherd laughed, as he knew")
        is that name."""
        named = []
        for m in self.names.any_who.finditer(sentence, start, end):
            if _SUBORDINATE.search(sentence, 0, m.start()) and _CLAUSE_CLOSES.match(sentence[m.end():end]):
                # "and when she ceased speaking, replied thus,": the she of a clause that
                # closes just before the verb is not its subject.
                continue
            if sentence.startswith(("'s", "\u2019s"), m.end()):
                # "which began with Mary's saying" is Mary's speech; "Mary's child" is not Mary.
                if self.names.speech_verb.match(sentence, m.end() + 3):
                    named.append(m.group("who"))
                continue
            if any(SUBJECT_BEFORE.search(sentence, 0, p) or not sentence[:p].strip() for p in (m.start(), m.start("who"))):
                named.append(m.group("who"))
            elif re.match(r",\s+who\b", sentence[m.end():end]) or _PARTICIPLE_THEN_VERB.match(sentence[m.end():end]):
                # "Mr. Darcy, drawing near Elizabeth, said to her--"
                # "a long argument with the Lory, who at last turned sulky, and would only say,"
                named.append(m.group("who"))
        if not named:
            return None
        last = named[-1]
        gender = SUBJECT_PRONOUNS.get(last.lower())
        if gender:
            for who in reversed(named[:-1]):
                c = self.names.character(who)
                if c is not None and c.gender == gender:
                    return who
        return last

    def _who(self, who: str | None):
        if who is None:
            return None
        if who == "I" or (who in ("you", "You") and self.person == SECOND):
            return ("I", "")
        if who in ("you", "You"):
            return None
        if who.lower() in SUBJECT_PRONOUNS:
            return ("pronoun", SUBJECT_PRONOUNS[who.lower()])
        c = self.names.character(who)
        if c is not None:
            return ("name", c.name)
        shared = self.names.shared.get(name_key(who))
        return ("one of", shared) if shared else None

    # -- narrator -------------------------------------------------------------------

    def _find_narrator(self) -> str | None:
        """The character who tells the story: the reader of a reader-insert; for a
        first-person story the one its POV tags name, else the one others address by
        name but the narration rarely names."""
        if self.person == SECOND:
            return reader_of(self.characters)
        if self.person != FIRST:
            return None
        for who in pov_tag_names(self.fic_tags):
            c = self.names.character(who) or self.names.character(who.split()[0])
            if c is not None:
                return c.name
        quoted: dict[str, int] = {}
        for _, name, in_quote in self.mentions:
            if in_quote:
                quoted[name] = quoted.get(name, 0) + 1
        best, best_score = None, 0.0
        for name, q in quoted.items():
            score = q / (1 + self.mention_count.get(name, 0))
            if q >= 3 and score > best_score:
                best, best_score = name, score
        return best if best_score >= 1.0 else None

    # -- features -------------------------------------------------------------------

    def _self_named(self, quote: str) -> frozenset:
        """Who a quotation says it is: "I'm Tess Brennan", "Irene Castellano. I called"."""
        found = set()
        for m in _SELF_NAMING.finditer(quote):
            c = self.names.character(m.group("who") or m.group("who2"))
            if c is not None:
                found.add(c.name)
        return frozenset(found)

    def _paragraph_start(self, paragraph: int) -> int:
        paragraph = max(paragraph, self.first_paragraph)
        while paragraph not in self.paragraph_segments and paragraph > 0:
            paragraph -= 1
        indices = self.paragraph_segments.get(paragraph)
        return self.segments[indices[0]].start if indices else 0

    def _paragraph_end(self, paragraph: int) -> int:
        top = self.last_paragraph
        paragraph = min(paragraph, top)
        while paragraph not in self.paragraph_segments and paragraph < top:
            paragraph += 1
        indices = self.paragraph_segments.get(paragraph)
        return self.segments[indices[-1]].end if indices else 0

    def left_before(self, name: str, position: int, floor: int) -> bool:
        """Whether the narration last named the character (after floor) going out: "Mrs.
        Pell withdrew and shut the door", "Dana hung up". Someone who left does not answer."""
        positions = self.narration_mentions_of.get(name, ())
        k = bisect.bisect_left(positions, position) - 1
        if k < 0 or positions[k] < floor:
            return False
        at = positions[k]
        if at not in self._exits:
            # The narration from the mention to the end of its sentence, or to the next
            # quotation if that comes first.
            j = bisect.bisect_right(self.dialogue_starts, at)
            quote = self.dialogue_starts[j] if j < len(self.dialogue_starts) else len(self.text)
            rest = self.text[at: min(quote, at + 300)]
            end = SENTENCE_END.search(rest)
            self._exits[at] = _EXIT.search(rest[: end.start() if end else len(rest)]) is not None
        return self._exits[at]

    def _last_mention_before(self, name: str, position: int) -> int | None:
        i = bisect.bisect_left(self.mention_positions, position) - 1
        for _ in range(400):
            if i < 0:
                return None
            if self.mentions[i][1] == name:
                return self.mentions[i][0]
            i -= 1
        return None
