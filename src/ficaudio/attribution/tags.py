"""Cast names in the text, and the speech tags built on them: "said Mara", "Mara
said", "he muttered", "was Emma's reply", narration that leads into a quote."""

from __future__ import annotations

import re

from ..lexicon import ARTICLES, RANKS, SPEECH_NOUNS, TALK, TITLES, VERB
from ..voices import Character

INTRODUCING = (",", ":", "\u2014", "--")  # marks that end narration leading into speech


class Names:
    """Cast names (case-sensitive, longest first) and speech tags built on them."""

    def __init__(self, characters: tuple[Character, ...]):
        self.by_alias: dict[str, Character] = {}
        for c in characters:
            for alias in c.names:
                key = name_key(alias)
                if key:
                    self.by_alias.setdefault(key, c)
        # A cast entry "Bill Gorton" is also "Bill" and "Gorton", unless another
        # character could be meant.
        parts: dict[str, set[str]] = {}
        for c in characters:
            for alias in c.names:
                for part in name_parts(alias):
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
                if len(alias.split()) > 1 and rank in RANKS:
                    ranked.setdefault(f"the {RANKS[rank]}", set()).add(c.name)
        for role, owners in ranked.items():
            if role in self.by_alias:
                continue
            if len(owners) == 1:
                self.by_alias[role] = by_name[next(iter(owners))]
            else:
                self.shared[role] = tuple(sorted(owners))
        aliases = sorted(self.by_alias, key=len, reverse=True)
        alternatives = "|".join(map(alias_pattern, aliases)) or r"(?!x)x"
        self.pattern = re.compile(r"(?<![\w.])(%s)(?![\w])" % alternatives)
        named = sorted([*self.by_alias, *self.shared], key=len, reverse=True)
        # "said the gallant Mr. Elton", "said the unnatural young Thomas Gradgrind"
        who_pattern = r"(?:[Tt]he\s+(?:[a-z][\w-]*\s+){0,2}?(?=[A-Z]))??(?P<who>%s|[Hh]e|[Ss]he|I|[Yy]ou)"
        # In a tag a role takes any article ("cried a looker-on" is The Looker-on); in
        # other narration, "for a gentleman who had seen the world" is anyone.
        who = who_pattern % ("|".join(alias_pattern(a, in_tag=True) for a in named) or r"(?!x)x")
        who_strict = who_pattern % ("|".join(map(alias_pattern, named)) or r"(?!x)x")
        # "Mr. Marvel began to make frantic dives" and "She said it to the Knave" are
        # not tags; "said to him" is.
        verb = (r"%s(?:\s+(?:out|up|back|again|aloud|on|in))?"
                r"(?!\s+to\s+(?!him|her|them|me|us|the|his|its|my|our|your|their|a\b|an\b|one|each|every|all|some|no|[A-Z])[a-z])"
                r"(?!\s+(?:it|so|nothing|something|this)\b)" % VERB)
        aux = r"(?:(?:had|would|then|again|now|only|also|presently|at\s+once|at\s+last)\s+)*"
        inverted = r"%s(?:\s+\w+ly)?\s+%s" % (verb, who)
        # "Mara said", "Mara had then said", "Polina forced herself to say"
        direct = r"%s(?:,?\s+\w+ly,?)?\s+(?:%s|(?:[a-z]+\s+){1,2}?to\s+)%s" % (who, aux, verb)
        # "... ," was Emma's reply / came Harry's answer / Emma's remark was: "..."
        owned = r"%s(?:'s|\u2019s)\s+(?:\w+\s+){0,2}?(?:%s)" % (who, SPEECH_NOUNS)
        # "... ," was his short, full answer.
        possessive_after = r"(?:was|were|came)\s+(?:%s|(?P<his>[Hh]is|[Hh]er)\s+(?:[\w-]+,?\s+){0,3}?(?:%s)\b)" % (
            owned, SPEECH_NOUNS)
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
            r"^(?:\S+\s+){0,3}?%s\s+(?:\w+ly\s+)?%s(?:\s+(?:again|aloud|\w+ly))?[.!]\s*$" % (who, TALK)
        )
        self.any_who = re.compile(r"\b%s\b" % who_strict)
        self.speech_verb = re.compile(r"\b%s\b" % VERB)
        self.other_after = re.compile(
            r"^[\s,;:.!?\u2014\-]*(?:(?:%s)\s+(?:the|his|her|my|a|an|its|their|our)\s+(?P<noun>\w+)(?:\s+(?P<next>\w+))?"
            r"|(?:the|his|her|my|a)\s+(?:\w+\s+)?(?P<noun2>\w+)\s+(?:%s))\b"
            % (VERB, VERB)
        )
        # A beat's subject: "A policeman came in" need not be The Policeman.
        beat_who = r"(?:[Tt]he\s+)?(?P<who>%s)" % alternatives
        self.subject = re.compile(r"(?:^|[.!?;]\s+|\u2014\s*)(?:%s|(?P<pronoun>He|She|he|she)|(?P<pov>I|You|you))\b"
                                  % beat_who)

    def character(self, alias: str) -> Character | None:
        key = name_key(alias)
        found = self.by_alias.get(key)
        if found is None and key.split(" ", 1)[0] in ARTICLES:
            # A tag's "said a Voice" is The Voice, unless the cast has A Voice too.
            rest = key.split(" ", 1)[1]
            found = next((self.by_alias[k] for k in (f"the {rest}", f"a {rest}", f"an {rest}") if k in self.by_alias), None)
        return found


def name_key(alias: str) -> str:
    words = alias.split()
    if words and words[0].lower() in ARTICLES:
        return " ".join(words).lower()
    return " ".join(words)


def name_parts(alias: str) -> list[str]:
    """First and last word of a personal name ("Bill Gorton"), titles and particles left out."""
    words = alias.split()
    if len(words) < 2 or words[0].lower() in ARTICLES:
        return []
    while words and (words[0].rstrip(".").lower() in TITLES or "." in words[0]):
        words = words[1:]
    candidates = [words[0], words[-1]] if words else []
    return [w for w in candidates if w[:1].isupper() and len(w) > 2 and w.isalpha() and w.lower() not in TITLES]


def alias_pattern(alias: str, in_tag: bool = False) -> str:
    """Names match case-sensitively (Will is not will); a descriptive alias ("The
    Dormouse", "A Waiter") matches in any case, as narration writes "said the dormouse".
    In a tag it takes any article ("said a Voice" is The Voice); in narration "a
    policeman" may be anyone."""
    words = alias.split()
    if words[0].lower() in ARTICLES:
        article = r"(?:the|an?)" if in_tag else re.escape(words[0])
        return r"(?i:%s\s+%s)" % (article, r"\s+".join(map(re.escape, words[1:])))
    return r"\s+".join(map(re.escape, words))


def tagged(m: re.Match) -> str | None:
    """Who a tag_after match names: "said Mara", "Mara said", "was Mara's reply", "was
    his answer" (he)."""
    his = m.group("his")
    if his:
        return "he" if his.lower() == "his" else "she"
    return m.group("who") or m.group("who2") or m.group("who3")


def names_other(tag, other) -> bool:
    """Two tags that cannot be one speaker's: two different ones, one of them a name."""
    return bool(tag and other and tag != other and "name" in (tag[0], other[0]))


# What comes before a name in subject position: a clause boundary, a conjunction or an adverb.
SUBJECT_BEFORE = re.compile(
    r"(?:[,;:(\u2014\u2013-]|\b(?:and|but|for|that|when|while|till|until|then|as|so|whereupon|before|after|if|though|"
    r"although|because|since|once|now|not|soon|presently|last|again|also|here|there|afterwards|afterward|"
    r"meanwhile|\w+ly))\s*$"
)


SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bM)[.!?][\"')\]]*\s+")


# "... at his first words," before a quotation: whose words it is.
VOICE = re.compile(r"\b(his|her|His|Her)\s+(?:\w+\s+)?(?:words|voice|reply|answer|question|tone|response)\b")


def last_sentence(text: str) -> str:
    ends = list(SENTENCE_END.finditer(text))
    return text[ends[-1].end():] if ends else text
