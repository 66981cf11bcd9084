"""A script prepared for attribution: its turns (the dialogue of a paragraph), the cast
names mentioned around them, conversations, and each turn's candidates with their
features."""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ..lexicon import NOUN_GENDER, SUBJECT_PRONOUNS
from ..model import DIALOGUE, Script, Segment
from ..pov import FIRST, SECOND, pov_tag_names, reader_of, story_person
from ..voices import Character
from .speech import is_unspoken
from .tags import (INTRODUCING, SUBJECT_BEFORE, VOICE, Names, last_sentence, name_key,
                   names_other, tagged)

# Paragraphs of context on each side whose mentions make a character a candidate.
_WINDOW_BEFORE = 12
_WINDOW_AFTER = 2
_MAX_CANDIDATES = 10

SIGNALS = (
    "tag_name", "tag_pronoun_1", "tag_pronoun_2", "tag_I", "tag_other_gender",
    "beat_subject", "beat_pronoun_1", "para_mention", "para_mention_first", "next_para_subject",
    "in_quote", "addressed_by_prev",
    "prev_1", "prev_2", "prev_1_adjacent", "prev_2_adjacent", "prev_1_same_para", "prev_3",
    "recent_1", "recent_2", "recent_3", "log_distance", "log_mentions", "log_tags",
    "narrator", "narrator_first_person_para", "narrator_no_narration", "no_narration_prev_2",
    "gender_unknown", "in_window_after_only", "conv_named", "conv_pronoun", "conv_pronoun_only",
    "next_tag_1", "next_tag_2",
    "prev_para_subject", "resumes_prev_2", "self_named", "vocative_prev", "called_by_next",
    "talked_before", "goes_on_after_silence",
)
# A quotation alone in its paragraph, with no narration at all, is read by turn-taking
# and vocatives, not by who was named last; the ranker weighs each signal separately for
# such bare turns and for turns with narration.
FEATURES = SIGNALS + tuple(f"bare:{name}" for name in SIGNALS)
_AT = {name: i for i, name in enumerate(SIGNALS)}


_POV_SUBJECT = {FIRST: r"\bI\b", SECOND: r"(?:^|[.!?;:,]\s+|\b(?:and|but|then|as|when|so|until|while)\s+)[Yy]ou\b"}
# "I'm Tess", "My name is Tess Brennan", "Name's Ruiz", "Irene Castellano. I called". Not "Lizzy, I
# was going to look for you" (a vocative) nor "This is Bill Gorton" (more often an introduction).
_NAME = r"(?P<who>[A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+)?)"
_SELF_NAMING = re.compile(r"(?:\b(?:I'm|I\u2019m|I am|[Mm]y name is|[Mm]y name's|[Mm]y name\u2019s)|(?:^|[.!?]\s+)Name(?:'s|\u2019s))\s+%s(?=[\s.,!?\u2014]|$)"
                          r"|^%s[.]\s+I\b" % (_NAME, _NAME.replace("who", "who2")))
_VOICE_AFTER = re.compile(r"^[\s,;:.!?\u2014\-]*(?:(?P<pos>[Hh]is|[Hh]er)|(?:[Aa]n?|[Tt]he)\s+(?:[\w-]+\s+)?(?P<noun>\w+)"
                          r"(?:'s|\u2019s))\s+voice\b")
_YOU_ARE = re.compile(r"\b(?:[Yy]ou're|[Yy]ou\u2019re|[Yy]ou are|[Aa]re you|[Aa]ren't you|[Aa]ren\u2019t you)\s*$")
# A paragraph that says the listener kept quiet: the one who spoke before goes on.
_SILENCE = re.compile(r"\b(?:(?:did|does|do)(?:n't|n\u2019t| not) (?:say anything|answer|reply|respond)|said nothing|says nothing"
                      r"|no answer|no reply|made no (?:answer|reply))\b|^(?:Nothing|Silence)\.", re.I)
# A clause opened by one of these and closed by a comma just before a speech verb holds
# no subject of the verb; nor does a participle phrase between a name and its verb.
_SUBORDINATE = re.compile(r"\b(?:when|as|while|though|although|if|because|since|till|until|after|before|once)\s+(?:\w+\s+){0,1}$")
_CLAUSE_CLOSES = re.compile(r"[^,;:.!?]*,\s*(?:and\s+)?(?:\w+ly\s+|thus\s+|then\s+)?$")
_PARTICIPLE_THEN_VERB = re.compile(r",\s+(?:\w+ly\s+)?[a-z]+ing\b[^,;:.!?]*,\s*(?:\w+ly\s+|thus\s+|then\s+)?$")
_SPOKEN_TO_BY = re.compile(r"\b(?:accosted|addressed|interrupted|greeted|hailed|answered|asked|told|questioned)\s+by\s+")
_NEAR_SEGMENTS = 3  # narration segments either side of a turn that can describe it
_MENTION_REACH = 400  # name mentions looked through before or after a turn, at most


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


class Document:
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
        self.mentions: list[tuple[int, str, bool]] = []
        if text is None:
            text = " ".join(s.text for s in self.segments)
        for m in self.names.pattern.finditer(text):
            c = self.names.character(m.group(1))
            i = bisect.bisect_right(starts, m.start()) - 1
            quoted = i >= 0 and spans[i][0] <= m.start() < spans[i][1]
            self.mentions.append((m.start(), c.name, quoted))
        self.mention_positions = [p for p, _, _ in self.mentions]
        self.mention_count: dict[str, int] = {}
        for _, name, quoted in self.mentions:
            if not quoted:
                self.mention_count[name] = self.mention_count.get(name, 0) + 1

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

        above = " ".join(segs[j].text for j in self.paragraph_segments.get(s.paragraph - 1, [])[-_NEAR_SEGMENTS:]
                         if segs[j].kind != DIALOGUE)
        continues = (same(i - 2) and segs[i - 2].kind == DIALOGUE and segs[i - 2].quote == s.quote) or (
            same(i - 1) and segs[i - 1].kind == DIALOGUE)
        return is_unspoken(s.text, narration_at(i - 1), narration_at(i + 1), above, continues)

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

    def features(self, t: int, history, talked=None) -> list[tuple[str, list[float]]]:
        """Candidates of turn t with their feature vectors (FEATURES order: the SIGNALS for a
        turn with narration, then the same for a bare one, one half of them zero). history[k]
        is the speaker decided for turn k, for the last three turns before t (a list, or
        a mapping from turn index); talked, who has spoken before in t's conversation
        (worked out from history when it is a list of every turn's speaker)."""
        turn = self.turns[t]
        past = self._past(t, history, talked)
        ctx = self._context(t)
        zeros = [0.0] * len(SIGNALS)
        out = []
        for name in self._pool(ctx, past):
            f = list(self._static(t, name))
            for i in self._historic(ctx, turn, name, past):
                f[i] = 1.0
            out.append((name, zeros + f if not turn.narration else f + zeros))
        return out

    def scores(self, t: int, history, weights, talked=None) -> list[tuple[str, float]]:
        """The ranker's score of each candidate of turn t: what features() gives, dotted
        with weights, but with the history-free part worked out once per turn."""
        ctx = self._context(t)
        bare = not self.turns[t].narration
        active = weights[len(SIGNALS):] if bare else weights[: len(SIGNALS)]
        if ctx.static_scores is None or ctx.scored_with is not weights:
            ctx.static_scores, ctx.scored_with = {}, weights
        past = self._past(t, history, talked)
        turn = self.turns[t]
        static = ctx.static_scores
        out = []
        for name in self._pool(ctx, past):
            base = static.get(name)
            if base is None:
                base = static[name] = sum(w * x for w, x in zip(active, self._static(t, name)) if x)
            historic = 0.0
            for i in self._historic(ctx, turn, name, past):
                historic += active[i]
            out.append((name, base + historic))
        return out

    def _past(self, t: int, history, talked=None) -> "_Past":
        turn = self.turns[t]
        if talked is None:
            talked = frozenset(self._conversation_so_far(t, history)) if isinstance(history, list) else frozenset()
        prev = [(k, history[k]) for k in range(t - 1, max(-1, t - 4), -1)
                if self.turns[k].scene == turn.scene and history[k] is not None]
        names = [name for _, name in prev]
        prev_1 = names[0] if names else None
        adjacent_1 = bool(prev) and prev[0][0] == t - 1 and self.turns[t - 1].last_paragraph >= turn.paragraph - 1
        return _Past(
            names=names,
            prev_1=prev_1,
            prev_2=next((n for n in names[1:] if n != prev_1), None),
            prev_3=names[2] if len(names) > 2 else None,
            adjacent_1=adjacent_1,
            adjacent_2=adjacent_1 and t >= 2 and self.turns[t - 2].last_paragraph >= self.turns[t - 1].paragraph - 1,
            same_para_1=bool(prev) and prev[0][0] == t - 1 and self.turns[t - 1].last_paragraph == turn.paragraph,
            talked=talked,
        )

    def _conversation_so_far(self, t: int, history: list):
        """The speakers of the turns before t in t's conversation (its turns are
        consecutive)."""
        k = t - 1
        while k >= 0 and self.turns[k].conversation == self.turns[t].conversation:
            yield history[k]
            k -= 1

    def _pool(self, ctx: "TurnContext", past: "_Past") -> list[str]:
        pool: list[str] = []
        for n in [*ctx.pool_head, *past.names, *ctx.pool_tail]:
            if n and n not in pool:
                pool.append(n)
        if self.narrator and self.narrator not in pool:
            pool.insert(min(len(pool), 3), self.narrator)
        return pool[:_MAX_CANDIDATES]

    def _historic(self, ctx: "TurnContext", turn: Turn, name: str, past: "_Past") -> list[int]:
        """The signals that depend on who spoke before that are on (indices into SIGNALS;
        each is 0 or 1)."""
        on = []
        if past.adjacent_1 and name in ctx.in_previous_quote:
            on.append(_AT["addressed_by_prev"])
        if name == past.prev_1:
            on.append(_AT["prev_1"])
            if past.adjacent_1:
                on.append(_AT["prev_1_adjacent"])
            if past.same_para_1:
                on.append(_AT["prev_1_same_para"])
        if name == past.prev_2:
            on.append(_AT["prev_2"])
            if past.adjacent_2:
                on.append(_AT["prev_2_adjacent"])
                if not turn.narration:
                    on.append(_AT["no_narration_prev_2"])
                if ctx.resumes:
                    on.append(_AT["resumes_prev_2"])
        if name == past.prev_3:
            on.append(_AT["prev_3"])
        if past.adjacent_1 and name in ctx.called_by_previous:
            on.append(_AT["vocative_prev"])
        if name in past.talked and name not in past.names:
            on.append(_AT["talked_before"])
        if ctx.after_silence and name == past.prev_1:
            on.append(_AT["goes_on_after_silence"])
        return on

    def _static(self, t: int, name: str) -> list[float]:
        """The signals of candidate name for turn t that do not depend on who spoke before
        (those are 0 here; _historic gives them)."""
        ctx = self._context(t)
        cached = ctx.static.get(name)
        if cached is not None:
            return cached
        turn = self.turns[t]
        c = self.by_name[name]
        rank = ctx.recent.index(name) if name in ctx.recent else 99
        f = [
            1.0 if turn.tag and (turn.tag == ("name", name) or turn.tag[0] == "one of" and name in turn.tag[1]) else 0.0,
            1.0 if ctx.tag_gender_order[:1] == [name] else 0.0,
            1.0 if name in ctx.tag_gender_order[1:2] else 0.0,
            1.0 if turn.tag and turn.tag[0] == "I" and name == self.narrator else 0.0,
            1.0 if turn.tag_other not in (None, "unknown") and c.gender == turn.tag_other else 0.0,
            1.0 if ctx.subject == name and not turn.tag else 0.0,
            1.0 if ctx.subject == name and ctx.subject_by_pronoun and not turn.tag else 0.0,
            1.0 if name in ctx.para_names else 0.0,
            1.0 if ctx.para_names[:1] == [name] else 0.0,
            1.0 if ctx.next_subject == name else 0.0,
            1.0 if name in ctx.in_quote else 0.0,
            0.0,  # addressed_by_prev: see _historic
            0.0,  # prev_1: see _historic
            0.0,  # prev_2: see _historic
            0.0,  # prev_1_adjacent: see _historic
            0.0,  # prev_2_adjacent: see _historic
            0.0,  # prev_1_same_para: see _historic
            0.0,  # prev_3: see _historic
            1.0 if rank == 0 else 0.0,
            1.0 if rank == 1 else 0.0,
            1.0 if rank == 2 else 0.0,
            ctx.log_distance(name),
            math.log1p(self.mention_count.get(name, 0)) / 5,
            math.log1p(self.tag_count.get(name, 0)) / 5,
            1.0 if name == self.narrator else 0.0,
            1.0 if name == self.narrator and ctx.first_person_para else 0.0,
            1.0 if name == self.narrator and not turn.narration else 0.0,
            0.0,  # no_narration_prev_2: see _historic
            1.0 if c.gender == "unknown" else 0.0,
            1.0 if name in ctx.after_names and name not in ctx.recent else 0.0,
            1.0 if name in ctx.conv_named else 0.0,
            1.0 if ctx.conv_resolved == name else 0.0,
            1.0 if ctx.conv_gendered == [name] else 0.0,
            1.0 if ctx.next_1 == name else 0.0,
            1.0 if ctx.next_2 == name else 0.0,
            1.0 if ctx.prev_subject == name and not turn.tag else 0.0,
            0.0,  # resumes_prev_2: see _historic
            1.0 if name in ctx.self_named else 0.0,
            0.0,  # vocative_prev: see _historic
            1.0 if name in ctx.called_by_next else 0.0,
            0.0,  # talked_before: see _historic
            0.0,  # goes_on_after_silence: see _historic
        ]
        ctx.static[name] = f
        return f

    def _context(self, t: int) -> "TurnContext":
        """What turn t's features need that does not depend on the speakers decided before
        it: worked out once per turn, however many histories decide() keeps."""
        if self._last_context is not None and self._last_context.t == t:
            return self._last_context
        turn = self.turns[t]
        floor = self._paragraph_start(turn.paragraph - _WINDOW_BEFORE)
        recent = self.recent_narration_mentions(turn.start, floor)
        after_end = self._paragraph_end(turn.last_paragraph + _WINDOW_AFTER)
        lo = bisect.bisect_left(self.mention_positions, turn.end)
        hi = min(bisect.bisect_left(self.mention_positions, after_end), lo + _MENTION_REACH)
        after_names = [n for p, n, q in self.mentions[lo:hi] if not q]
        # The named tags of the next turns, in a run of adjacent paragraphs: in an exchange
        # the one tagged next is the listener, the one tagged after that likely speaks now.
        next_1 = next_2 = None
        if t + 1 < len(self.turns) and self._adjacent(t, t + 1):
            next_1 = self._named_tag(t + 1)
            if t + 2 < len(self.turns) and self._adjacent(t + 1, t + 2):
                next_2 = self._named_tag(t + 2)
        self_named = self._self_named(turn.quote_text)
        # Naming yourself ("I'm Tess Brennan") is not naming someone else.
        in_quote = set(self.names_in(turn.quote_text)) - self_named
        para_names = self.names_in(turn.narration)
        subject, subject_gender = self._subject(turn.narration, recent)
        conv_named = self.conversation_names[turn.conversation]
        # A tag pronoun ("he said") is not the one the quotation addresses; a beat's
        # subject ("She felt a hand on her arm") may well be.
        tag_pronoun = turn.tag is not None and turn.tag[0] == "pronoun"
        gender = turn.tag[1] if tag_pronoun else subject_gender
        exclude = in_quote if tag_pronoun else ()
        tag_gender_order: list[str] = []
        if tag_pronoun:
            tag_gender_order = [n for n in recent if n not in in_quote and n != self.told_by
                                and self.by_name[n].gender in (turn.tag[1], "unknown")]
        pool_head: list[str] = []
        if turn.tag and turn.tag[0] == "name":
            pool_head.append(turn.tag[1])
        if turn.tag and turn.tag[0] == "one of":
            pool_head.extend(turn.tag[1])
        called_by_previous = self.turns[t - 1].addressed if t else frozenset()
        # "Nobody asked you, Hollywood." answers the one called Hollywood: who the next line
        # calls on likely spoke this one.
        called_by_next = (self.turns[t + 1].addressed if t + 1 < len(self.turns) and self._adjacent(t, t + 1)
                          else frozenset())
        pool_head += [subject, *tag_gender_order[:2], *para_names, *sorted(self_named), *sorted(called_by_previous),
                      *sorted(called_by_next)]
        # Everyone the scene's narration has named so far: in a long exchange the two
        # speakers may not have been named for many paragraphs.
        scene_named = self.recent_narration_mentions(turn.start, self.scene_start.get(turn.scene, 0))
        self._last_context = TurnContext(
            t=t,
            recent=recent,
            after_names=after_names,
            next_1=next_1,
            next_2=next_2,
            in_quote=in_quote,
            in_previous_quote=set(self.names_in(self.turns[t - 1].quote_text)) if t else set(),
            para_names=para_names,
            subject=subject,
            subject_by_pronoun=subject_gender is not None,
            conv_named=conv_named,
            conv_gendered=[n for n in conv_named if gender and self.by_name[n].gender == gender and n not in exclude
                           and n != self.told_by],
            conv_resolved=self._resolve_in_conversation(turn, gender, exclude) if gender else None,
            next_subject=self._next_paragraph_subject(turn, recent),
            tag_gender_order=tag_gender_order,
            prev_subject=self._previous_paragraph_subject(turn, recent),
            resumes=turn.quote_text.lstrip().startswith(("\u2014", "\u2013", "-")),
            self_named=self_named,
            called_by_previous=called_by_previous,
            called_by_next=called_by_next,
            after_silence=self._after_silence(turn),
            first_person_para=self.pov_pattern is not None and self.pov_pattern.search(turn.narration) is not None,
            pool_head=pool_head,
            pool_tail=[*recent, *conv_named, *after_names[:3], *scene_named[:4]],
            start=turn.start,
            document=self,
        )
        return self._last_context

    def _adjacent(self, a: int, b: int) -> bool:
        return (self.turns[b].scene == self.turns[a].scene
                and self.turns[b].paragraph - self.turns[a].last_paragraph <= 1)

    def _named_tag(self, t: int) -> str | None:
        tag = self.turns[t].tag
        return tag[1] if tag and tag[0] == "name" else None

    def _resolve_in_conversation(self, turn: Turn, gender: str, exclude) -> str | None:
        """A pronoun of this gender: the last such character the conversation named before
        the turn, else the first it names after it ("He sat down beside her" opening a scene
        means the man the scene names later)."""
        first = self._paragraph_start(self.conversation_bounds[turn.conversation][0] - 1)
        last = self._paragraph_end(self.conversation_bounds[turn.conversation][1])
        fits = lambda n: n not in exclude and self.by_name[n].gender == gender and n != self.told_by  # noqa: E731
        before = next((n for n in self.recent_narration_mentions(turn.start, first) if fits(n)), None)
        if before:
            return before
        lo = bisect.bisect_left(self.mention_positions, turn.end)
        hi = bisect.bisect_left(self.mention_positions, last)
        return next((n for _, n, q in self.mentions[lo:hi] if not q and fits(n)), None)

    def _subject(self, narration: str, recent: list[str]) -> tuple[str | None, str | None]:
        """The character who is the subject of a sentence of the narration (the beat),
        and the gender of the pronoun it was found through (None for a name)."""
        for m in self.names.subject.finditer(narration):
            pov = m.group("pov")
            if pov:
                if self.narrator and ((pov == "I") == (self.person == FIRST)) and self.person in (FIRST, SECOND):
                    return self.narrator, None
                continue
            if m.group("pronoun"):
                gender = SUBJECT_PRONOUNS[m.group("pronoun").lower()]
                return next((n for n in recent if self.by_name[n].gender == gender and n != self.told_by), None), gender
            c = self.names.character(m.group("who"))
            if c is not None:
                return c.name, None
        return None, None

    def _previous_paragraph_subject(self, turn: Turn, recent: list[str]) -> str | None:
        """Who the narration-only paragraph just above a turn is about ("Then Kaz drops
        onto the bench next to my stall." before an untagged line)."""
        indices = self.paragraph_segments.get(turn.paragraph - 1, ())
        if not indices or any(self.segments[j].kind == DIALOGUE for j in indices):
            return None
        if self.segments[indices[0]].scene != self.segments[turn.segments[0]].scene:
            return None
        return self._subject(" ".join(self.segments[j].text for j in indices), recent)[0]

    def _after_silence(self, turn: Turn) -> bool:
        """Whether the narration-only paragraph above the turn says nobody answered."""
        indices = self.paragraph_segments.get(turn.paragraph - 1, ())
        return bool(indices) and all(self.segments[j].kind != DIALOGUE for j in indices) and any(
            _SILENCE.search(self.segments[j].text) for j in indices)

    def _self_named(self, quote: str) -> frozenset:
        """Who a quotation says it is: "I'm Tess Brennan", "Irene Castellano. I called"."""
        found = set()
        for m in _SELF_NAMING.finditer(quote):
            c = self.names.character(m.group("who") or m.group("who2"))
            if c is not None:
                found.add(c.name)
        return frozenset(found)

    def _next_paragraph_subject(self, turn: Turn, recent: list[str]) -> str | None:
        """The first name that opens the next paragraph's narration, if it has no dialogue
        ("Mara shrugged." after an untagged line often reacts to it: a weak, negative cue)."""
        indices = self.paragraph_segments.get(turn.last_paragraph + 1, ())
        if not indices or any(self.segments[j].kind == DIALOGUE for j in indices):
            return None
        m = self.names.subject.match(self.segments[indices[0]].text)
        if m and m.group("who"):
            c = self.names.character(m.group("who"))
            return c.name if c else None
        return None

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

    def _last_mention_before(self, name: str, position: int) -> int | None:
        i = bisect.bisect_left(self.mention_positions, position) - 1
        for _ in range(400):
            if i < 0:
                return None
            if self.mentions[i][1] == name:
                return self.mentions[i][0]
            i -= 1
        return None


class _Past(NamedTuple):
    """Who spoke in the turns before one, as a history of decide() has it (a tuple: one
    is made for every history at every turn)."""

    names: list[str]  # the last three speakers in the scene, newest first
    prev_1: str | None
    prev_2: str | None  # the last speaker other than prev_1
    prev_3: str | None
    adjacent_1: bool  # the previous turn is in the paragraph just above
    adjacent_2: bool
    same_para_1: bool
    talked: frozenset  # who has spoken before in this conversation


@dataclass
class TurnContext:
    """The history-independent facts of one turn (see Document._context)."""

    t: int
    recent: list[str]
    after_names: list[str]
    next_1: str | None
    next_2: str | None
    in_quote: set[str]
    in_previous_quote: set[str]
    para_names: list[str]
    subject: str | None
    subject_by_pronoun: bool
    conv_named: list[str]
    conv_gendered: list[str]
    conv_resolved: str | None
    next_subject: str | None
    tag_gender_order: list[str]
    prev_subject: str | None
    resumes: bool
    self_named: frozenset
    called_by_previous: frozenset
    called_by_next: frozenset
    after_silence: bool
    first_person_para: bool
    pool_head: list[str | None]
    pool_tail: list[str]
    start: int
    document: "Document"
    distances: dict[str, float] = field(default_factory=dict)
    static: dict[str, list[float]] = field(default_factory=dict)
    static_scores: dict[str, float] | None = None
    scored_with: object = None

    def log_distance(self, name: str) -> float:
        """How far back the name was last mentioned, on a log scale."""
        if name not in self.distances:
            last = self.document._last_mention_before(name, self.start)
            self.distances[name] = math.log1p(self.start - last if last is not None else 10**6) / 10
        return self.distances[name]
