"""Stage 3: decide who speaks each quotation.

The dialogue of a paragraph forms one *turn* (a paragraph rarely holds two speakers;
the parts of an interrupted or multi-paragraph quotation share a speaker). Every turn
gets a set of candidate characters (those mentioned nearby, the recent speakers, a
first-person narrator) and each candidate a vector of evidence:

- an explicit tag beside the quote, either order ("said Mara", "Mara said", "he muttered");
  a pronoun resolves to the most recently named character of its gender, "I" to the narrator;
- an action beat: the subject of the narration in the turn's paragraph;
- turn-taking: the speaker of the previous turn rarely speaks again, the one before it
  often does, in a run of adjacent paragraphs;
- vocatives: a name inside the quotation is the listener, and a name inside the previous
  turn's quotation is who is expected to answer;
- salience: how recently and how often the character was mentioned.

A linear ranker (weights trained on the PDNC dev novels, shipped in data/) scores the
candidates; turns are decided left to right so that turn-taking uses earlier decisions.
The confidence is the softmax probability of the chosen candidate: low when the
evidence was only turn-taking or salience.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

from .model import DIALOGUE, UNKNOWN, Script, Segment
from .voices import Cast, Character

# Verbs of speaking (and of the gestures that tag a line: "she smiled").
SPEECH_VERBS = tuple(
    "added adds admitted agreed announced answer answered answers ask asked asks assured barked "
    "began begged begins blurted breathed broke called calls cautioned chuckled chuckles "
    "commanded concluded confessed continue continued continues corrected countered cried cries "
    "cry declared demanded drawled echoed ejaculated enquired exclaim exclaimed exclaims "
    "explained faltered gasped giggled grinned grins groaned growled grumbled hissed huffed "
    "inquired insisted insists interposed interrupted joked laughed laughs mumbled murmured "
    "murmurs mused muttered mutters nodded objected observe observed offered ordered panted "
    "persisted pleaded pointed proceeded promised protested purred pursued quipped quoth "
    "reasoned rejoin rejoined remark remarked reminded remonstrated repeated repeats replied "
    "replies reply responded resumed retorted return returned roared said sang say says scoffed "
    "scoffs screamed shout shouted shouts shrieked sighed sighs smiled smiles smirked snapped "
    "snaps sneered snorted sobbed speaks spoke squeaked stammered stated states struck stuttered "
    "suggested teased tells thinks thought thundered told urged ventured warned went whimpered "
    "whisper whispered whispers wondered yelled yells "
    # Less common tags, frequent in fan fiction and not rare in novels.
    "apologised apologized bellowed boomed chimed confirmed corroborated croaked exploded "
    "grunted intervened jeered moaned mocked piped pouted pressed prompted queried rasped "
    "reassured recalled recited retaliated sniffed sniffled snarled spat squealed taunted "
    "trilled wailed whined yawned asserted bawled blustered conceded comforted interjected "
    "put subjoined informed reflected burst "
    "proclaimed asseverated affirmed averred avowed vociferated expostulated declaimed hollered "
    "screeched babbled spluttered sputtered intoned chirped cooed crowed implored entreated "
    "besought noted commented volunteered supplied hazarded conjectured argued complained "
    "lisped "
    # Present tense, common in fan fiction: "Lexie admits", "he teases".
    "admits agrees announces apologizes breathes chimes confesses confirms corrects counters "
    "declares demands drawls echoes explains gasps groans growls grumbles hisses hums interrupts "
    "jokes mumbles objects offers pleads promises protests purrs quips rasps reminds responds "
    "retorts sings snarls sniffs snorts sobs squeaks stammers stutters suggests taunts teases "
    "wails warns whines wonders "
    # The -ing forms lead into speech too: "remarking:", "was saying--", "calling out,".
    "adding answering asking beginning calling continuing crying declaring demanding "
    "exclaiming explaining inquiring interrupting laughing murmuring muttering observing "
    "protesting remarking repeating replying returning saying shouting speaking whispering"
    .split()
)
_VERB = r"(?:%s)" % "|".join(sorted(SPEECH_VERBS, key=len, reverse=True))
# Verbs of talking, not of gesture: "Mrs Musgrove interposed." leads into speech where
# "Bob nodded." need not.
_TALK = (r"(?:began|continued|resumed|interposed|replied|answered|added|observed|remarked|asked|inquired|"
         r"enquired|exclaimed|cried|spoke|proceeded|rejoined|returned|retorted|persisted|pursued|repeated|"
         r"ventured|explained|said|went\s+on)")
# What a character's speech is called: "was Emma's reply", "Mary's reproach of".
_SPEECH_NOUNS = (r"reply|answer|remark|words|exclamation|question|response|cry|injunction|observation|"
                 r"reasoning|declaration|reproach|complaint|language|amendment|feelings|entreaty|greeting|"
                 r"request|assurance|explanation|comment|retort|rejoinder|protest|objection|apology|"
                 r"inquiry|enquiry|salutation|exclamations|supplement|suggestion|reproof|command")
_ARTICLES = {"the", "a", "an"}
# Titles of rank or office that stand for the one who holds them ("the Captain").
_RANKS = {t: t for t in (
    "doctor captain colonel admiral major general professor count countess baron baroness "
    "prince princess duke duchess inspector sergeant lieutenant judge marquis marchioness"
).split()} | {"dr": "doctor", "capt": "captain", "col": "colonel", "prof": "professor"}
# The gender of a role in a tag that names no cast member ("said his wife").
_NOUN_GENDER = {w: "female" for w in (
    "wife lady mother sister daughter girl woman aunt mistress queen niece widow maid grandmother "
    "landlady duchess princess governess nurse mamma mama").split()}
_NOUN_GENDER.update({w: "male" for w in (
    "husband father brother son boy man uncle gentleman master king nephew squire landlord "
    "grandfather duke prince fellow papa").split()})
_TITLES = set(
    "mr mrs ms miss dr sir lady lord madame mme mademoiselle mlle monsieur captain colonel general "
    "professor aunt uncle count countess baron baroness prince princess king queen father mother "
    "brother sister master mistress major doctor rev reverend young old little big poor dear my".split()
)
_SUBJECT_PRONOUNS = {"he": "male", "she": "female"}

# Paragraphs of context on each side whose mentions make a character a candidate.
_WINDOW_BEFORE = 12
_WINDOW_AFTER = 2
_MAX_CANDIDATES = 10
# Histories decide() keeps: 1 is greedy; 8 gains 0.9 points on PDNC, 16 only 0.03 more.
_BEAM = 8

FEATURES = (
    "tag_name", "tag_pronoun_1", "tag_pronoun_2", "tag_I", "tag_other_gender",
    "beat_subject", "beat_pronoun_1", "para_mention", "para_mention_first", "next_para_subject",
    "in_quote", "addressed_by_prev",
    "prev_1", "prev_2", "prev_1_adjacent", "prev_2_adjacent", "prev_1_same_para", "prev_3",
    "recent_1", "recent_2", "recent_3", "log_distance", "log_mentions", "log_tags",
    "narrator", "narrator_first_person_para", "narrator_no_narration", "no_narration_prev_2",
    "gender_unknown", "in_window_after_only", "conv_named", "conv_pronoun", "conv_pronoun_only",
    "next_tag_1", "next_tag_2",
)


_INTRODUCING = (",", ":", "\u2014", "--")  # marks that end narration leading into speech
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


class _Names:
    """Cast names (case-sensitive, longest first) and speech tags built on them."""

    def __init__(self, characters: tuple[Character, ...]):
        self.by_alias: dict[str, Character] = {}
        for c in characters:
            for alias in c.names:
                key = _key(alias)
                if key:
                    self.by_alias.setdefault(key, c)
        # A cast entry "Bill Gorton" is also "Bill" and "Gorton", unless another
        # character could be meant.
        parts: dict[str, set[str]] = {}
        for c in characters:
            for alias in c.names:
                for part in _name_parts(alias):
                    parts.setdefault(part, set()).add(c.name)
        by_name = {c.name: c for c in characters}

        def called_mister(name: str, part: str) -> bool:
            return f"Mr. {part}" in by_name[name].names or f"Mr {part}" in by_name[name].names

        # A first name several characters share ("Charles" Musgrove, Hayter) names no
        # one for sure; in a tag ("cried Charles") the context picks among them.
        self.shared: dict[str, tuple[str, ...]] = {}
        for part, owners in parts.items():
            if len(owners) > 1:
                # A bare surname shared by a family is the one called "Mr. Denham".
                misters = {n for n in owners if called_mister(n, part)}
                if len(misters) != 1 and part not in self.by_alias:
                    self.shared[part] = tuple(sorted(misters or owners))
                owners = misters
            if len(owners) != 1:
                continue
            owner = by_name[next(iter(owners))]
            bare = self.by_alias.get(part)
            if bare is None:
                self.by_alias[part] = owner
            elif (bare is not owner and set(bare.names) == {part} and bare.gender != "female"
                  and called_mister(owner.name, part)):
                # A cast that lists "Bounderby" on its own, with no gender or aliases,
                # beside "Josiah Bounderby" called "Mr. Bounderby", lists one man twice
                # (corpus annotations do): "said Bounderby" is Mr. Bounderby.
                self.by_alias[part] = owner
        # "said the Admiral" is Admiral Croft, the one the cast calls Admiral; with two
        # captains, "the captain" is one of them.
        ranked: dict[str, set[str]] = {}
        for c in characters:
            for alias in c.names:
                rank = alias.split()[0].rstrip(".").lower()
                if len(alias.split()) > 1 and rank in _RANKS:
                    ranked.setdefault(f"the {_RANKS[rank]}", set()).add(c.name)
        for role, owners in ranked.items():
            if role in self.by_alias:
                continue
            if len(owners) == 1:
                self.by_alias[role] = by_name[next(iter(owners))]
            else:
                self.shared[role] = tuple(sorted(owners))
        aliases = sorted(self.by_alias, key=len, reverse=True)
        alternatives = "|".join(map(_alias_pattern, aliases)) or r"(?!x)x"
        self.pattern = re.compile(r"(?<![\w.])(%s)(?![\w])" % alternatives)
        named = sorted([*self.by_alias, *self.shared], key=len, reverse=True)
        # "said the gallant Mr. Elton", "said the unnatural young Thomas Gradgrind"
        who_pattern = r"(?:[Tt]he\s+(?:[a-z][\w-]*\s+){0,2}?(?=[A-Z]))??(?P<who>%s|[Hh]e|[Ss]he|I)"
        # In a tag a role takes any article ("cried a looker-on" is The Looker-on); in
        # other narration, "for a gentleman who had seen the world" is anyone.
        who = who_pattern % ("|".join(_alias_pattern(a, in_tag=True) for a in named) or r"(?!x)x")
        who_strict = who_pattern % ("|".join(map(_alias_pattern, named)) or r"(?!x)x")
        # "Mr. Marvel began to make frantic dives" and "She said it to the Knave" are
        # not tags; "said to him" is.
        verb = (r"%s(?:\s+(?:out|up|back|again|aloud|on|in))?"
                r"(?!\s+to\s+(?!him|her|them|me|us|the|his|its|my|our|your|their|a\b|an\b|one|each|every|all|some|no|[A-Z])[a-z])"
                r"(?!\s+(?:it|so|nothing|something|this)\b)" % _VERB)
        aux = r"(?:(?:had|would|then|again|now|only|also|presently|at\s+once|at\s+last)\s+)*"
        inverted = r"%s(?:\s+\w+ly)?\s+%s" % (verb, who)
        # "Mara said", "Mara had then said", "Polina forced herself to say"
        direct = r"%s(?:,?\s+\w+ly,?)?\s+(?:%s|(?:[a-z]+\s+){1,2}?to\s+)%s" % (who, aux, verb)
        # "... ," was Emma's reply / came Harry's answer / Emma's remark was: "..."
        owned = r"%s(?:'s|\u2019s)\s+(?:\w+\s+){0,2}?(?:%s)" % (who, _SPEECH_NOUNS)
        # "... ," was his short, full answer.
        possessive_after = r"(?:was|were|came)\s+(?:%s|(?P<his>[Hh]is|[Hh]er)\s+(?:[\w-]+,?\s+){0,3}?(?:%s)\b)" % (
            owned, _SPEECH_NOUNS)
        # Right after a closing mark: "said Mara", "Mara said", "said he", "she went on".
        self.tag_after = re.compile(
            r"^[\s,;:.!?\u2014\-]*(?:%s|%s|%s)\b"
            % (inverted, direct.replace("?P<who>", "?P<who2>"), possessive_after.replace("?P<who>", "?P<who3>"))
        )
        # Before an opening mark: "... and Mara said quietly:", "said Mara,".
        # "Mary's declaration was," / "Mary's reproach of" / "the burst of Emma's feelings:"
        self.tag_direct = re.compile(r"(?:%s\b|%s(?:\s+(?:was|were|of)\b|\s*(?:[:,]|--|\u2014)\s*$))"
                                     % (direct, owned.replace("?P<who>", "?P<who2>")))
        self.tag_inverted = re.compile(r"^(?:and\s+|then\s+|but\s+)?%s\b" % inverted)
        # "Then the Queen, quite out of breath, turned and said to Alice," names the Queen.
        self.first_who = re.compile(
            r"(?<!\bto\s)(?<!\bat\s)(?<!\bof\s)(?<!\bwith\s)(?<!\btowards\s)(?<!\bfrom\s)(?<!\bfor\s)(?<!\bupon\s)\b%s\b"
            % who_strict
        )
        self.tag_closing = re.compile(
            r"^(?:\S+\s+){0,3}?%s\s+(?:\w+ly\s+)?%s(?:\s+(?:again|aloud|\w+ly))?[.!]\s*$" % (who, _TALK)
        )
        self.any_who = re.compile(r"\b%s\b" % who_strict)
        self.speech_verb = re.compile(r"\b%s\b" % _VERB)
        self.other_after = re.compile(
            r"^[\s,;:.!?\u2014\-]*(?:(?:%s)\s+(?:the|his|her|my|a|an|its|their|our)\s+(?:\w+\s+)?(?P<noun>\w+)"
            r"|(?:the|his|her|my|a)\s+(?:\w+\s+)?(?P<noun2>\w+)\s+(?:%s))\b"
            % (_VERB, _VERB)
        )
        # A beat's subject: "A policeman came in" need not be The Policeman.
        beat_who = r"(?:[Tt]he\s+)?(?P<who>%s)" % alternatives
        self.subject = re.compile(r"(?:^|[.!?;]\s+|\u2014\s*)(?:%s|(?P<pronoun>He|She|he|she))\b" % beat_who)

    def character(self, alias: str) -> Character | None:
        key = _key(alias)
        found = self.by_alias.get(key)
        if found is None and key.split(" ", 1)[0] in _ARTICLES:
            # A tag's "said a Voice" is The Voice, unless the cast has A Voice too.
            rest = key.split(" ", 1)[1]
            found = next((self.by_alias[k] for k in (f"the {rest}", f"a {rest}", f"an {rest}") if k in self.by_alias), None)
        return found


def _key(alias: str) -> str:
    words = alias.split()
    if words and words[0].lower() in _ARTICLES:
        return " ".join(words).lower()
    return " ".join(words)


def _name_parts(alias: str) -> list[str]:
    """First and last word of a personal name ("Bill Gorton"), titles and particles left out."""
    words = alias.split()
    if len(words) < 2 or words[0].lower() in _ARTICLES:
        return []
    while words and (words[0].rstrip(".").lower() in _TITLES or "." in words[0]):
        words = words[1:]
    candidates = [words[0], words[-1]] if words else []
    return [w for w in candidates if w[:1].isupper() and len(w) > 2 and w.isalpha() and w.lower() not in _TITLES]


def _alias_pattern(alias: str, in_tag: bool = False) -> str:
    """Names match case-sensitively (Will is not will); a descriptive alias ("The
    Dormouse", "A Waiter") matches in any case, as narration writes "said the dormouse".
    In a tag it takes any article ("said a Voice" is The Voice); in narration "a
    policeman" may be anyone."""
    words = alias.split()
    if words[0].lower() in _ARTICLES:
        article = r"(?:the|an?)" if in_tag else re.escape(words[0])
        return r"(?i:%s\s+%s)" % (article, r"\s+".join(map(re.escape, words[1:])))
    return r"\s+".join(map(re.escape, words))


class Document:
    """A script prepared for attribution: turns, mentions and the first-person narrator."""

    def __init__(self, script: Script, characters: tuple[Character, ...]):
        self.script = script
        self.characters = characters
        self.by_name = {c.name: c for c in characters}
        self.names = _Names(characters)
        self.segments: list[Segment] = list(script.segments())
        text = script.work.text if script.work is not None else None
        self._index_mentions(text)
        self._build_turns()
        # How often each character is named in a tag: who talks in this story.
        self.tag_count: dict[str, int] = {}
        for turn in self.turns:
            if turn.tag and turn.tag[0] == "name":
                self.tag_count[turn.tag[1]] = self.tag_count.get(turn.tag[1], 0) + 1
        self.narrator = self._find_narrator()
        self._last_context: _TurnContext | None = None

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
                if c is not None and (before or after[:1] == ","):
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
        self.last_paragraph = max(self.paragraph_segments, default=0)
        self.turns: list[Turn] = []
        self.turn_of_segment: dict[int, int] = {}
        quote_turn: dict[int, int] = {}
        for i, s in enumerate(segs):
            if s.kind != DIALOGUE:
                continue
            tag = self._tag(i)
            t = quote_turn.get(s.quote) if s.quote is not None else None
            if t is not None and _names_other(tag, self.turns[t].tag):
                # '"Anything else?" Matthew took his courage in both hands and replied:
                # "Well now..."' reads like one interrupted quotation, but is two speakers.
                t = None
            if t is None and self.turns:
                last = self.turns[-1]
                if last.last_paragraph == s.paragraph and not _names_other(tag, last.tag):
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
            turn.addressed = frozenset(n for i in turn.segments for n in self.vocatives(segs[i].text))
            # The narration of its paragraphs, near its quotes: a text with no paragraph
            # breaks is one paragraph, and every turn would otherwise copy all of it.
            near = range(max(0, turn.segments[0] - _NEAR_SEGMENTS),
                         min(len(segs), turn.segments[-1] + _NEAR_SEGMENTS + 1))
            turn.narration = " ".join(
                segs[j].text
                for j in near
                if segs[j].kind != DIALOGUE and turn.paragraph <= segs[j].paragraph <= turn.last_paragraph
            )

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
                return self._who(_tagged(m))
            m = self.names.other_after.match(after.text)
            if m:
                return ("other", _NOUN_GENDER.get((m.group("noun") or m.group("noun2")).lower(), "unknown"))
        before = segs[i - 1] if i > 0 and segs[i - 1].paragraph == s.paragraph else None
        if before is None and i > 0 and segs[i - 1].paragraph == s.paragraph - 1:
            # A paragraph of narration that ends introducing the speech ("Mr Shepherd
            # presumed to say--", "Lady Catherine observed:") tags the quote below it.
            if segs[i - 1].text.rstrip().endswith(_INTRODUCING):
                before = segs[i - 1]
            elif all(segs[j].kind != DIALOGUE for j in self.paragraph_segments.get(s.paragraph - 1, ())):
                # "... without her. Mrs Musgrove interposed." ends by naming who speaks next.
                m = self.names.tag_closing.search(_last_sentence(segs[i - 1].text))
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
                    return self._who(lead or _tagged(m))
            who = self._tag_before(_last_sentence(before.text))
            if who:
                return self._who(who)
        return None

    def _tag_before(self, sentence: str) -> str | None:
        matches = list(self.names.tag_direct.finditer(sentence))
        if matches and len(sentence[matches[-1].end():].split()) <= 8:
            return matches[-1].group("who") or matches[-1].group("who2")
        introducing = sentence.rstrip().endswith(_INTRODUCING)
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
            m = _VOICE.search(sentence)
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
        if len(rest.split()) > 6 or not (rest.strip() == "" or narration.rstrip().endswith(_INTRODUCING)):
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
            if sentence.startswith(("'s", "\u2019s"), m.end()):
                # "which began with Mary's saying" is Mary's speech; "Mary's child" is not Mary.
                if self.names.speech_verb.match(sentence, m.end() + 3):
                    named.append(m.group("who"))
                continue
            if any(_SUBJECT_BEFORE.search(sentence, 0, p) or not sentence[:p].strip() for p in (m.start(), m.start("who"))):
                named.append(m.group("who"))
            elif re.match(r",\s+who\b", sentence[m.end():end]):
                # "a long argument with the Lory, who at last turned sulky, and would only say,"
                named.append(m.group("who"))
        if not named:
            return None
        last = named[-1]
        gender = _SUBJECT_PRONOUNS.get(last.lower())
        if gender:
            for who in reversed(named[:-1]):
                c = self.names.character(who)
                if c is not None and c.gender == gender:
                    return who
        return last

    def _who(self, who: str | None):
        if who is None:
            return None
        if who == "I":
            return ("I", "")
        if who.lower() in _SUBJECT_PRONOUNS:
            return ("pronoun", _SUBJECT_PRONOUNS[who.lower()])
        c = self.names.character(who)
        if c is not None:
            return ("name", c.name)
        shared = self.names.shared.get(_key(who))
        return ("one of", shared) if shared else None

    # -- narrator -------------------------------------------------------------------

    def _find_narrator(self) -> str | None:
        """The first-person narrator: a text whose narration says "I" a lot, and the
        character others address by name but the narration rarely names."""
        narration = [s.text for s in self.segments if s.kind != DIALOGUE]
        words = sum(len(t.split()) for t in narration) or 1
        firsts = sum(len(re.findall(r"\b(?:I|me|my)\b", t)) for t in narration)
        if firsts / words < 0.012:
            return None
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

    def features(self, t: int, history) -> list[tuple[str, list[float]]]:
        """Candidates of turn t with their feature vectors (FEATURES order). history[k]
        is the speaker decided for turn k, for the last three turns before t (a list, or
        a mapping from turn index)."""
        turn = self.turns[t]
        ctx = self._context(t)
        prev = [(k, history[k]) for k in range(t - 1, max(-1, t - 4), -1)
                if self.turns[k].scene == turn.scene and history[k] is not None]
        prev_names = [name for _, name in prev]
        prev_1 = prev_names[0] if prev_names else None
        prev_2 = next((n for n in prev_names[1:] if n != prev_1), None)
        prev_3 = prev_names[2] if len(prev_names) > 2 else None
        adjacent_1 = bool(prev) and prev[0][0] == t - 1 and self.turns[t - 1].last_paragraph >= turn.paragraph - 1
        adjacent_2 = adjacent_1 and t >= 2 and self.turns[t - 2].last_paragraph >= self.turns[t - 1].paragraph - 1
        same_para_1 = bool(prev) and prev[0][0] == t - 1 and self.turns[t - 1].last_paragraph == turn.paragraph
        addressed_prev = ctx.in_previous_quote if adjacent_1 else set()

        pool: list[str] = []
        for n in [*ctx.pool_head, *prev_names, *ctx.pool_tail]:
            if n and n not in pool:
                pool.append(n)
        if self.narrator and self.narrator not in pool:
            pool.insert(min(len(pool), 3), self.narrator)
        pool = pool[:_MAX_CANDIDATES]

        out = []
        for name in pool:
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
                1.0 if name in addressed_prev else 0.0,
                1.0 if name == prev_1 else 0.0,
                1.0 if name == prev_2 else 0.0,
                1.0 if name == prev_1 and adjacent_1 else 0.0,
                1.0 if name == prev_2 and adjacent_2 else 0.0,
                1.0 if name == prev_1 and same_para_1 else 0.0,
                1.0 if name == prev_3 else 0.0,
                1.0 if rank == 0 else 0.0,
                1.0 if rank == 1 else 0.0,
                1.0 if rank == 2 else 0.0,
                ctx.log_distance(name),
                math.log1p(self.mention_count.get(name, 0)) / 5,
                math.log1p(self.tag_count.get(name, 0)) / 5,
                1.0 if name == self.narrator else 0.0,
                1.0 if name == self.narrator and ctx.first_person_para else 0.0,
                1.0 if name == self.narrator and not turn.narration else 0.0,
                1.0 if name == prev_2 and adjacent_2 and not turn.narration else 0.0,
                1.0 if c.gender == "unknown" else 0.0,
                1.0 if name in ctx.after_names and name not in ctx.recent else 0.0,
                1.0 if name in ctx.conv_named else 0.0,
                1.0 if ctx.conv_resolved == name else 0.0,
                1.0 if ctx.conv_gendered == [name] else 0.0,
                1.0 if ctx.next_1 == name else 0.0,
                1.0 if ctx.next_2 == name else 0.0,
            ]
            out.append((name, f))
        return out

    def _context(self, t: int) -> "_TurnContext":
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
        in_quote = set(self.names_in(turn.quote_text))
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
            tag_gender_order = [n for n in recent if n not in in_quote
                                and self.by_name[n].gender in (turn.tag[1], "unknown")]
        pool_head: list[str] = []
        if turn.tag and turn.tag[0] == "name":
            pool_head.append(turn.tag[1])
        if turn.tag and turn.tag[0] == "one of":
            pool_head.extend(turn.tag[1])
        pool_head += [subject, *tag_gender_order[:2], *para_names]
        self._last_context = _TurnContext(
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
            conv_gendered=[n for n in conv_named if gender and self.by_name[n].gender == gender and n not in exclude],
            conv_resolved=self._resolve_in_conversation(turn, gender, exclude) if gender else None,
            next_subject=self._next_paragraph_subject(turn, recent),
            tag_gender_order=tag_gender_order,
            first_person_para=re.search(r"\bI\b", turn.narration) is not None,
            pool_head=pool_head,
            pool_tail=[*recent, *conv_named, *after_names[:3]],
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
        fits = lambda n: n not in exclude and self.by_name[n].gender == gender  # noqa: E731
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
            if m.group("pronoun"):
                gender = _SUBJECT_PRONOUNS[m.group("pronoun").lower()]
                return next((n for n in recent if self.by_name[n].gender == gender), None), gender
            c = self.names.character(m.group("who"))
            if c is not None:
                return c.name, None
        return None, None

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



def _tagged(m: re.Match) -> str | None:
    """Who a tag_after match names: "said Mara", "Mara said", "was Mara's reply", "was
    his answer" (he)."""
    his = m.group("his")
    if his:
        return "he" if his.lower() == "his" else "she"
    return m.group("who") or m.group("who2") or m.group("who3")


@dataclass
class _TurnContext:
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
    first_person_para: bool
    pool_head: list[str | None]
    pool_tail: list[str]
    start: int
    document: "Document"
    distances: dict[str, float] = field(default_factory=dict)

    def log_distance(self, name: str) -> float:
        """How far back the name was last mentioned, on a log scale."""
        if name not in self.distances:
            last = self.document._last_mention_before(name, self.start)
            self.distances[name] = math.log1p(self.start - last if last is not None else 10**6) / 10
        return self.distances[name]


def _names_other(tag, other) -> bool:
    """Two tags that cannot be one speaker's: two different ones, one of them a name."""
    return bool(tag and other and tag != other and "name" in (tag[0], other[0]))


# What comes before a name in subject position: a clause boundary, a conjunction or an adverb.
_SUBJECT_BEFORE = re.compile(
    r"(?:[,;:(\u2014\u2013-]|\b(?:and|but|for|that|when|while|till|until|then|as|so|whereupon|before|after|if|though|"
    r"although|because|since|once|now|not|soon|presently|last|again|also|here|there|\w+ly))\s*$"
)


_SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bM)[.!?][\"')\]]*\s+")


# "... at his first words," before a quotation: whose words it is.
_VOICE = re.compile(r"\b(his|her|His|Her)\s+(?:\w+\s+)?(?:words|voice|reply|answer|question|tone|response)\b")


def _last_sentence(text: str) -> str:
    ends = list(_SENTENCE_END.finditer(text))
    return text[ends[-1].end():] if ends else text


@lru_cache(maxsize=1)
def load_weights() -> tuple[float, ...]:
    data = json.loads(resources.files("ficaudio").joinpath("data/attribution_weights.json").read_text())
    if tuple(data["features"]) != FEATURES:
        raise RuntimeError("attribution_weights.json was trained on other features; retrain it")
    return tuple(data["weights"])


def _allowed(doc: Document, turn: Turn, cands) -> list[int]:
    """The candidates a turn's tag and quotes leave possible (indices into cands)."""
    tag = turn.tag
    if tag and tag[0] == "name":
        # A tag that names the speaker outweighs every softer signal.
        return [i for i, (c, _) in enumerate(cands) if c == tag[1]]
    if tag and tag[0] == "one of":
        return [i for i, (c, _) in enumerate(cands) if c in tag[1]]
    # "he stammered", "said her mother": not a line for the other gender; "Come here,
    # Cy." is not Cy's. Whatever else points there.
    gender = tag[1] if tag and tag[0] == "pronoun" else None if tag else turn.tag_other
    addressed = turn.addressed if not (tag and tag[0] == "I") else frozenset()
    rules = [lambda c: c not in addressed]
    if gender in ("male", "female"):
        rules.append(lambda c: doc.by_name[c].gender in (gender, "unknown"))
    while rules:
        allowed = [i for i, (c, _) in enumerate(cands) if all(rule(c) for rule in rules)]
        if allowed:
            return allowed
        rules.pop(0)
    return []


def decide(doc: Document, weights, beam: int = _BEAM) -> list[tuple[str | None, float]]:
    """Speaker and confidence of every turn. Turn-taking makes each decision depend on
    the last ones, so the likeliest few histories are kept, not just one: a slip early in
    an exchange need not carry through it."""
    # A state: (log-likelihood, the last three speakers newest first, back-pointer).
    states = [(0.0, (), None)]
    for t, turn in enumerate(doc.turns):
        grown: dict[tuple, tuple] = {}
        for likelihood, recent, node in states:
            cands = doc.features(t, {t - 1 - j: name for j, name in enumerate(recent)})
            if not cands:
                options = [(None, 0.0, likelihood)]
            else:
                scores = [sum(w * x for w, x in zip(weights, f)) for _, f in cands]
                top = max(scores)
                total = sum(math.exp(s - top) for s in scores)
                allowed = _allowed(doc, turn, cands) or [scores.index(top)]
                within = math.log(sum(math.exp(scores[i] - top) for i in allowed))
                options = [(cands[i][0], math.exp(scores[i] - top) / total, likelihood + scores[i] - top - within)
                           for i in allowed]
            for name, confidence, score in options:
                key = ((name,) + recent)[:3]
                if key not in grown or grown[key][0] < score:
                    grown[key] = (score, key, (name, confidence, node))
        states = sorted(grown.values(), key=lambda state: -state[0])[:beam]
    out = []
    node = states[0][2] if states else None
    while node is not None:
        out.append(node[:2])
        node = node[2]
    return out[::-1]


def attribute(script: Script, cast: Cast) -> Script:
    """Fill in the speaker of every dialogue segment, with a confidence in [0, 1]."""
    characters = cast.characters
    if not characters:
        from .discover import discover

        characters = discover(script)
    if not characters:
        return script
    doc = Document(script, characters)
    decisions = decide(doc, load_weights())
    segments = list(doc.segments)
    for turn, (name, confidence) in zip(doc.turns, decisions):
        for i in turn.segments:
            segments[i] = replace(segments[i], speaker=name or UNKNOWN, confidence=round(confidence, 3))
    return replace(script.replace_segments(segments), characters=tuple(characters))
