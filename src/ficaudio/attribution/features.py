"""Each turn's candidates and their signals: who could be speaking (the pool) and what
points at each of them, from the text around the turn (worked out once per turn) and from
who spoke before (once per history the ranker keeps).

TurnFeatures is the part of attribution.Document that does this; document.py reads the
story (turns, mentions, tags, conversations), this module asks it questions.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from ..lexicon import SUBJECT_PRONOUNS
from ..model import DIALOGUE
from ..pov import FIRST, SECOND

if TYPE_CHECKING:
    from .document import Document, Turn

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
    "talked_before", "goes_on_after_silence", "left_scene",
)
# A quotation alone in its paragraph, with no narration at all, is read by turn-taking
# and vocatives, not by who was named last; the ranker weighs each signal separately for
# such bare turns and for turns with narration.
FEATURES = SIGNALS + tuple(f"bare:{name}" for name in SIGNALS)
_AT = {name: i for i, name in enumerate(SIGNALS)}
_MENTION_REACH = 400  # name mentions looked through before or after a turn, at most

# A paragraph that says the listener kept quiet: the one who spoke before goes on.
_SILENCE = re.compile(r"\b(?:(?:did|does|do)(?:n't|n\u2019t| not) (?:say anything|answer|reply|respond)|said nothing|says nothing"
                      r"|no answer|no reply|made no (?:answer|reply))\b|^(?:Nothing|Silence)\.", re.I)


class TurnFeatures:
    """Candidates and signals of each turn, for the ranker (mixed into Document)."""

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
            1.0 if self.left_before(name, turn.start, self.scene_start.get(turn.scene, 0)) else 0.0,
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
        after_silence = self._after_silence(turn)
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
            # "Wren said nothing." is about the one who does not answer.
            prev_subject=None if after_silence else self._previous_paragraph_subject(turn, recent),
            resumes=turn.quote_text.lstrip().startswith(("\u2014", "\u2013", "-")),
            self_named=self_named,
            called_by_previous=called_by_previous,
            called_by_next=called_by_next,
            after_silence=after_silence,
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
    """The history-independent facts of one turn (see TurnFeatures._context)."""

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
