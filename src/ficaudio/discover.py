"""Find the characters of a story when no cast is given (auto mode).

A name is a capitalised word (or run of them, with an optional title: "Mrs. Shepard")
that the text seldom writes in lower case, seen away from sentence starts or beside a
speech verb. Names said only inside quotations count too: a first-person narrator is
named only by the others. Parts merge into the full name they belong to ("Jackson" and
"Avery" into "Jackson Avery") when no other full name claims them; a short form used in
dialogue ("Lex") joins the name it abbreviates. Gender comes from honorifics and from
the pronouns that follow a name. The canonical name is the form the story uses most.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import replace

from .lexicon import VERB
from .names import given_name_genders
from .model import DIALOGUE, Script
from .pov import READER, SECOND, reader_of, story_person
from .voices import Character

_TITLE_WORDS = (
    "Mr Mrs Ms Miss Dr Sir Lady Lord Madame Mme Mademoiselle Mlle Monsieur Captain Colonel General "
    "Professor Aunt Uncle Count Countess Baron Baroness Prince Princess Father Mother Sister Brother "
    "Major Doctor Admiral Reverend Rev Master Mistress King Queen Duke Duchess Dame Judge Detective Det "
    "Sergeant Sgt Lieutenant Lt Inspector Constable Officer Deputy Sheriff Agent Commander Coach Nurse Mayor "
    "Senator"
).split()
# Titles of a family: in a text that writes "Mr. John Knightley", "Mr. Knightley" is the
# head of the family, another man. Ranks and offices ("Coach Rennick") go with one person.
_FAMILY_TITLES = {"Mr.", "Mrs.", "Ms.", "Miss", "Master", "Madame", "Mme.", "Mademoiselle", "Mlle.", "Monsieur"}
_TITLE = r"(?:%s)\.?" % "|".join(_TITLE_WORDS)
# Letters of Latin-script names, accented ones included ("Róisín", "Hélène", "Łukasz").
_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"
_LOWER = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u017f"
_WORD = r"[%s][%s]+(?:-[%s][%s]+)?" % (_UPPER, _LOWER, _UPPER, _LOWER)
_NAME = re.compile(r"(?<![\w'])(?:(%s) )?(%s(?: %s){0,2})(?![\w'])" % (_TITLE, _WORD, _WORD))
# Titles and kinship words that say a gender ("Dame Brannagh", "Gran", a "Mum" who is
# nobody's name but is somebody).
_FEMALE_TITLES = {"mrs", "ms", "miss", "lady", "madame", "mme", "mademoiselle", "mlle", "aunt", "countess",
                  "baroness", "princess", "mother", "sister", "dame", "queen", "duchess", "empress", "auntie",
                  "mum", "mam", "mom", "mummy", "mommy", "gran", "granny", "grandma", "nan", "nana", "nanna"}
_MALE_TITLES = {"mr", "sir", "lord", "monsieur", "uncle", "count", "baron", "prince", "father", "brother",
                "king", "duke", "emperor", "dad", "daddy", "grandad", "granddad", "grandpa"}
# Capitalised words that are never names, however rarely the text writes them in lower case.
_STOP = set(
    """The A An And But Or If When Then There Their They This That These Those What Who Why How Where
    He She His Her Him It Its I We You Your Our My Me Yes No Oh Ah Well So Not Now Just Still Yet
    After Before Again Even Here As At In On Of For From With Without To By Into Over Under Is Was
    Chapter Part Book Volume God Lord Sir Madam Mother Father Mom Dad Mr Mrs Miss Ms Dr Okay OK
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March May June July
    August September October November December Christmas English French German American British
    Spanish Italian Portuguese Dutch Russian Polish Greek Irish Scottish Welsh Chinese Japanese Korean
    Indian Mexican Canadian Australian European African Asian Latin Hiya Howdy
    Heaven Hell Mamma Papa Mama Aunt Uncle Captain Colonel Professor Doctor Street Road House Hall
    Lady Madame Monsieur Heavens Dear Good Thank Thanks Please Hello Goodbye Hey Hi Mister
    Nobody Somebody Someone Everyone Everybody Anyone Anybody Nothing Something Everything None
    Easter Halloween Thanksgiving Majesty Highness Excellency Lordship Ladyship Holiness Eminence
    Meanwhile Instantly Thereupon Therefore Lest Hence Thus Besides Moreover However Suddenly Presently
    Afterwards Nevertheless Perhaps Finally Immediately Accordingly Likewise Otherwise Instead""".split()
)
# Titles used with a first name ("Miss Elizabeth", "Sir Walter"); the others take surnames.
_FIRST_NAME_TITLES = {"Miss", "Lady", "Sir", "Aunt", "Uncle", "Master", "Mademoiselle", "Mlle", "Madame", "Mme",
                      "Sister", "Brother", "Prince", "Princess", "Dame", "Queen", "King"}
# A character tag that calls its bearer an animal: a pet, not a voice.
_ANIMAL_TAG = re.compile(r"\bthe (?:dog|puppy|cat|kitten|horse|pony|owl|bird|parrot|rabbit|hamster|ferret|snake"
                         r"|lizard|goat|cow|pig|fish)$", re.I)
# A woman the text calls "Miss Katharine Hilbery" is not its "Mrs. Hilbery", her mother.
_OTHER_MARITAL_TITLE = {"Mrs.": "Miss", "Miss": "Mrs."}
# "the Lantern and Hook", "the Rose & Crown": the second word names a thing with the first.
_THING_AND = re.compile(r"\b[Tt]he\s+[A-Z][\w'\u2019-]*\s+(?:and|&)\s+$")
# The rest of a quotation after a name, when nothing but ? or ! follows it.
_QUOTE_ENDS = re.compile(r"[?!]*\s*(?:\n|$)")
_PLACE_BEFORE = re.compile(r"\b(?:in|at|to|from|into|near|towards|toward|through|of|for)\s+(?:the\s+)?$")
_VERBS = VERB


def discover(script: Script, limit: int = 40) -> tuple[Character, ...]:
    """The characters of the story; character tags of the work (AO3, FanFicFare) come
    first, with what the text tells about them (gender, other names) added. The reader
    of a reader-insert is a character too, "Y/N"."""
    narration, dialogue = _narration_and_dialogue(script)
    found = _discover(narration, dialogue, limit)
    if script.work is not None and script.work.characters:
        from .ingest import characters_from_tags

        tagged = characters_from_tags(script.work)
        found = _regendered(narration + "\n" + dialogue, merge_tagged(tagged, found), {t.name for t in tagged})
        # "Biscuit the Dog" in the character tags: a pet, whatever it does in the text.
        found = tuple(c for c in found if not _ANIMAL_TAG.search(c.name))
    tags = script.work.all_tags if script.work is not None else ()
    return _with_reader(_gendered_by_name(found), tags, narration, dialogue)


def _regendered(text: str, found, names: set[str]) -> tuple[Character, ...]:
    """A tagged character's gender from every name it goes by, once the tag has joined
    them: "Priya" and "Shah" found apart say less than "Priya Shah" does."""
    tagged = {c.name: set(c.names) for c in found if c.name in names}
    genders = _genders(text, tagged) if tagged else {}
    return tuple(replace(c, gender=genders[c.name]) if genders.get(c.name, "unknown") != "unknown" else c
                 for c in found)


def _narration_and_dialogue(script: Script) -> tuple[str, str]:
    segments = list(script.segments())
    return ("\n".join(s.text for s in segments if s.kind != DIALOGUE),
            "\n".join(s.text for s in segments if s.kind == DIALOGUE))


def _gendered_by_name(found: tuple[Character, ...]) -> tuple[Character, ...]:
    """A character still of unknown gender (a tagged one the text never genders) takes
    the gender its given name clearly has."""
    unknown = {c.name: _given_name(set(c.names)) for c in found if c.gender == "unknown"}
    lexicon = given_name_genders(n for n in unknown.values() if n)
    return tuple(replace(c, gender=lexicon[unknown[c.name].lower()])
                 if c.name in unknown and unknown[c.name] and lexicon.get(unknown[c.name].lower()) in ("male", "female")
                 else c for c in found)


def _with_reader(found: tuple[Character, ...], tags, narration: str, dialogue: str) -> tuple[Character, ...]:
    """The reader of a reader-insert as a character, gendered by the fic's tags ("Female
    Reader", "m!Reader") or by a title before the placeholder ("Miss L/N")."""
    reader = reader_of(found)
    if reader is None:
        if story_person([narration], tags) != SECOND:
            return found
        reader = READER
        found = (Character(READER, ("(Y/N)", "Reader"), "unknown"), *found)
    gender = _reader_gender(tags, narration + "\n" + dialogue)
    return tuple(replace(c, gender=gender) if c.name == reader and c.gender == "unknown" and gender else c
                 for c in found)


_READER_TAG = re.compile(r"^(?:(?P<kind>fem(?:ale)?|f|girl|woman|male|m|boy|man)\s*!?\s*reader"
                         r"|reader\s+is\s+(?:a\s+)?(?P<kind2>female|girl|woman|male|boy|man))$", re.I)
_NEUTRAL_READER_TAG = re.compile(r"^(?:gender[\s-]*neutral|gn|non[\s-]*binary|enby|genderless)\s*!?\s*reader$"
                                 r"|^reader\s+is\s+(?:gender[\s-]*neutral|non[\s-]*binary)$", re.I)
_READER_TITLE = re.compile(r"\b(Miss|Mrs|Ms|Mr|Madam|Lady|Sir|Lord)\.?\s+\(?[YL]/N\b")


def _reader_gender(tags, text: str) -> str | None:
    """The reader's gender where the fic says it: a tag, else the titles the text gives
    the reader; None where it does not (a "Gender-Neutral Reader" stays unknown)."""
    kinds = set()
    for tag in tags:
        if _NEUTRAL_READER_TAG.match(tag.strip()):
            return None
        m = _READER_TAG.match(tag.strip())
        if m:
            kinds.add("female" if (m.group("kind") or m.group("kind2")).lower()[0] in "fgw" else "male")
    if not kinds:
        kinds = {_title_gender(m.group(1)) for m in _READER_TITLE.finditer(text)} - {None}
    return kinds.pop() if len(kinds) == 1 else None


def without_ignored(characters, ignore) -> tuple[Character, ...]:
    """Characters less the names a voices.yaml `ignore:` list says are not characters: an
    entry whose name is ignored goes; an ignored alias leaves the entry it was merged into."""
    if not ignore:
        return tuple(characters)
    ignored = {n.lower() for n in ignore}
    return tuple(replace(c, aliases=tuple(a for a in c.aliases if a.lower() not in ignored))
                 for c in characters if c.name.lower() not in ignored)


def merge_tagged(tagged, found) -> tuple[Character, ...]:
    """Tagged characters, each merged with the discovered one it shares a name with (the
    tag's name is the canonical one: the author chose it; the forms the text uses become
    aliases); then the rest."""
    merged, used = [], set()

    def short_for(tag, c) -> bool:
        """"Kaz" for Marcus Kazmierczak, "Sully" for Declan Sullivan: a name of c that is
        a short form of a part of this tag's name and of no other tag's."""
        for form in c.names:
            if " " in form:
                # "Coach Rennick", "Mrs. Pruitt": a titled surname that one tag's name ends with.
                last = form.split()[-1]
                if form.endswith(" " + tag.name) or (
                        form.split()[0].rstrip(".") in _TITLE_WORDS and tag.name != form
                        and [t for t in tagged if t.name.split()[-1] == last] == [tag]):
                    return True
            elif [t for t in tagged if any(shortens(form, w) for n in t.names for w in n.split())] == [tag]:
                return True
        return False

    def keys(c) -> set[str]:
        # "The Queen" the text knows is the tag's Queen Isaveth, who goes by "Queen".
        return {n.lower().removeprefix("the ") for n in c.names}

    for tag in tagged:
        names = keys(tag)
        matches = [c for c in found if c.name not in used and (names & keys(c) or short_for(tag, c))]
        if not matches:
            merged.append(tag)
            continue
        used.update(c.name for c in matches)
        aliases = tuple(dict.fromkeys(a for c in matches for a in (*c.names, *tag.aliases) if a != tag.name))
        gender = next((c.gender for c in matches if c.gender != "unknown"), "unknown")
        merged.append(Character(tag.name, aliases, gender))
    return tuple(merged) + tuple(c for c in found if c.name not in used)


def _discover(narration: str, dialogue: str, limit: int) -> tuple[Character, ...]:
    text = narration + "\n" + dialogue
    lower = Counter(w for w in re.findall(r"\b[a-z][%s]+\b" % _LOWER, text))
    capital = Counter(re.findall(r"\b[%s][%s]+\b" % (_UPPER, _LOWER), text))

    # "Mrs. Hall", "Miss June": a word that is mostly written after a title is a surname
    # or given name in this story, however often it means a room or a month elsewhere.
    after_title = Counter(m.group(1) for m in re.finditer(r"\b%s (%s)\b" % (_TITLE, _WORD), text))
    surnames = {w for w, n in after_title.items() if n >= 2 and n >= 0.5 * capital[w] and w not in _TITLE_WORDS}
    stop = _STOP - surnames
    said, heard, initial, placed = Counter(), Counter(), Counter(), Counter()
    for source, counter in ((narration, said), (dialogue, heard)):
        for m in _NAME.finditer(source):
            name = _trim(m.group(2), lower, capital, stop)
            if not name or _THING_AND.search(source, max(0, m.start() - 40), m.start()):
                continue
            form = f"{_norm_title(m.group(1))} {name}" if m.group(1) else name
            counter[form] += 1
            if name == m.group(2) and not m.group(1) and _sentence_start(source, m.start()):
                initial[form] += 1
            if _PLACE_BEFORE.search(source[max(0, m.start() - 16) : m.start()]):
                placed[form] += 1
    tags, titled_tags = Counter(), Counter()
    tag = re.compile(r"(?:\b(?:%s)\s+(?:(%s)\s+)?(%s)|(?:(%s)\s+)?(%s)\s+(?:\w+ly\s+)?(?:%s))\b"
                     % (_VERBS, _TITLE, _WORD, _TITLE, _WORD, _VERBS))
    for m in tag.finditer(narration):
        name, title = m.group(2) or m.group(4), m.group(1) or m.group(3)
        if name and name not in stop:
            tags[name] += 1
            if title:
                titled_tags[f"{_norm_title(title)} {name}"] += 1

    def opener(form: str) -> bool:
        """"Instantly De Griers", "Meanwhile Astley": a word that opens sentences, and a
        name. Only ever seen at a sentence start, its first word written in lower case
        elsewhere and never capitalised but to open a sentence ("Seraphine Ashdown" is not)."""
        first = form.split()[0]
        return (len(form.split()) > 1 and initial[form] == said[form] + heard[form]
                and said[first] + heard[first] == initial[first] and lower[first.lower()] > 0)

    def is_name(form: str) -> bool:
        words = form.split()
        bare = [w for w in words if w.rstrip(".") not in _TITLE_WORDS]
        if not bare or any(w in stop for w in bare):
            return False
        count = said[form] + heard[form]
        away = count - initial[form]
        # "Well", "Grace", "Will" used as common words here; but a name written in lower
        # case in chat ("sol saying morning") is still written capitalised mid-sentence more.
        # A word capitalised only where sentences start, and in lower case elsewhere, is
        # a word ("Rye." ordered at a bar, "with rye").
        if any(lower[w.lower()] > 0.2 * count + 1 and lower[w.lower()] >= away or away == 0 and lower[w.lower()]
               for w in bare):
            return False
        if placed[form] > 0.4 * count and not tags[bare[-1]]:
            return False  # "in Paris", "to Seattle"
        return tags[bare[-1]] >= 1 or away >= 2 or (away >= 1 and count >= 3) or heard[form] >= 3

    seen = sorted(set(said) | set(heard))  # sorted: the same story gives the same cast every run
    forms = [f for f in seen if is_name(f)]
    # "Jackson Avery", seen once at a sentence start, is a name when "Jackson" is one.
    accepted = {w for f in forms for w in f.split()}
    forms += [f for f in seen if f not in forms and len(f.split()) > 1 and not opener(f)
              and not any(w in stop for w in f.split()[1:])
              and any(w in accepted for w in f.split() if w.rstrip(".") not in _TITLE_WORDS)]
    # Then the parts of those full names, and short forms of a name said in dialogue ("Lex").
    accepted = {w for f in forms for w in f.split()}
    forms += [f for f in seen if f not in forms and len(f.split()) == 1
              and (f in accepted or (heard[f] and len(f) >= 3 and any(a.startswith(f) for a in accepted)))]
    count = Counter({f: said[f] + heard[f] for f in forms})
    groups = _group(forms, count)
    # Characters known by a role: "said the Dormouse", "the General replied", "said the
    # Invisible Man".
    role_words = r"%s(?: %s)?" % (_WORD, _WORD)
    role = re.compile(r"\b(?:(?:%s)\s+the\s+(%s)|[Tt]he\s+(%s)\s+(?:\w+ly\s+)?(?:%s))\b"
                      % (_VERBS, role_words, role_words, _VERBS))
    roles = Counter(m.group(1) or m.group(2) for m in role.finditer(narration))
    role_ends = Counter()
    for words, n in roles.items():
        role_ends[words.split()[-1]] += n
    for words, n in roles.items():
        word = words.split()[-1]
        if n >= 2 and not stop & set(words.split()) and not any(w in g.split() for g in groups for w in words.split()):
            form = f"The {words}"
            count[form] = len(re.findall(r"\b[Tt]he %s\b" % words, text))
            tags[word] += n
            groups[form] = {form}
    # Only people: a name that never speaks, acts, owns or is spoken to is a place, a
    # dish or a title ("Ostrel", "the Lantern and Hook", a song).
    acting = _person_evidence(narration, dialogue, {f for g in groups.values() for f in g})
    # "said Brennan" is evidence for the group "Brennan" is in, not for a "Saint Brennan"
    # the text writes once ("a shrine to a Saint Brennan didn't recognize").
    group_of = {f: key for key, members in groups.items() for f in members}

    def tagged(key: str, form: str) -> bool:
        last = form.split()[-1]
        return bool(titled_tags[form]) or bool(tags[last]) and group_of.get(last, key) == key

    for key in [k for k in groups if not any(acting[f] or tagged(k, f) for f in groups[k])]:
        del groups[key]
    scored = sorted(groups, key=lambda g: (-sum(count[f] + 5 * tags[f.split()[-1]] for f in groups[g]), g))
    genders = _genders(text, {key: groups[key] for key in scored[:limit]})
    # How often each capitalised word is written, and how often right after "the".
    capitals = Counter(re.findall(r"\b[%s][\w-]*" % _UPPER, text))
    after_the = Counter(re.findall(r"\b[Tt]he\s+([%s][\w-]*)" % _UPPER, text))
    # Forms are compared with a full stop after "Mr", "Mrs", "Dr"; names are given as the
    # story spells them ("Mrs Smith" in Persuasion).
    undotted = {t for t in _ABBREVIATED if len(re.findall(r"\b%s [A-Z]" % t, text)) > text.count(f"{t}.")}

    def as_written(form: str) -> str:
        head, _, rest = form.partition(" ")
        return f"{head[:-1]} {rest}" if rest and head[:-1] in undotted else form

    characters = []
    for key in scored[:limit]:
        members = groups[key]
        canonical = max(members, key=lambda f: (count[f], len(f.split()), f))
        first = canonical.split()[0]
        if first.rstrip(".") not in ("The", *_TITLE_WORDS) and after_the[first] >= 0.5 * capitals[first] > 0:
            # "the Hatter", "the Mock Turtle": a role, named as the story names it. One
            # that never speaks is a place or a thing ("the Wendle roundabout").
            if not any(tags[f.split()[-1]] or role_ends[f.split()[-1]] for f in members):
                continue
            members = members | {canonical}
            canonical = f"The {canonical}"
        written = as_written(canonical)
        characters.append(
            Character(written, tuple(sorted({as_written(f) for f in members} - {written})), genders[key])
        )
    return tuple(characters)


# What a person does right after being named as a subject: a past or present verb.
_ACTS = (r"(?:\w+ly\s+)?(?:[a-z]+ed|[a-z]+s|was|had|did|is|has|could|would|can|will|went|came|took|got|made|saw|"
         r"knew|felt|thought|stood|sat|ran|put|let|kept|left|told|gave|held|found|shook|drew|wore|spoke|said|"
         r"began|broke|caught|threw|rose|fell|bit|hid|led|lay|grew|meant|paid|sent|set|sold|swore|taught|"
         r"understood|won|wrote|'s\s+[a-z]+|\u2019s\s+[a-z]+)\b")


def _person_evidence(narration: str, dialogue: str, forms: set[str]) -> Counter:
    """How often each form acts like a person: the subject of a verb in the narration
    ("Tamsin looked up", "Kaz drops onto the bench"), an owner ("Dana's mug"), or
    someone a quotation calls to ("Morning, Sam.", "Kaz, shut up")."""
    found: Counter = Counter()
    if not forms:
        return found
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    subject = re.compile(r"(?<![\w'\u2019])(%s)\s+%s" % (alternatives, _ACTS))
    for m in subject.finditer(narration):
        found[m.group(1)] += 1
    called = re.compile(r"(?:^|[,.!?]\s+|\n)(%s)(?=\s*[,!?])|,\s+(%s)(?=[.!?]|$)" % (alternatives, alternatives), re.M)
    for m in called.finditer(dialogue):
        # A quotation that is only the name ("Saltmarsh?") as often echoes a word as it
        # calls a person.
        alone = (m.group(1) and (m.start(1) == 0 or dialogue[m.start(1) - 1] == "\n")
                 and _QUOTE_ENDS.match(dialogue, m.end(1)))
        if not alone:
            found[m.group(1) or m.group(2)] += 1
    return found


def _trim(name: str, lower: Counter, capital: Counter, stop=_STOP) -> str:
    """Common words off the front of a capitalised run ("Then Mark", "Whereupon Anne"),
    and the run cut at a title ("Miss Woodhouse Miss Bates"). A word is common when the
    text writes it in lower case often beside its capitalised uses: a fic in lower-case
    chat ("except rory when he's excited") still has its Rory."""
    words = name.split()
    def common(word: str) -> bool:
        return lower[word.lower()] >= max(2, 0.2 * capital[word] + 1, 0.5 * capital[word])

    while words and (words[0] in stop or common(words[0])):
        words = words[1:]
    for i, w in enumerate(words[1:], 1):
        if w in _TITLE_WORDS:
            words = words[:i]
            break
    return " ".join(words)


_ABBREVIATED = ("Mr", "Mrs", "Ms", "Dr", "Mme", "Mlle")


def _norm_title(title: str) -> str:
    word = title.rstrip(".")
    return word + "." if word in _ABBREVIATED else word


def _sentence_start(text: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and text[j] in " \t\"'\u201c\u2018(":
        j -= 1
    return j < 0 or text[j] in ".!?\n:;\u2014"


def _group(forms: list[str], count: Counter) -> dict[str, set[str]]:
    """Forms that name one person, keyed by their fullest form.

    "Jackson Avery" holds "Jackson", "Avery", "Dr. Avery" and "Dr. Jackson Avery"; a
    titled first name ("Miss Elizabeth") joins its first name; a titled surname ("Mr.
    Bingley") joins the one full name with that surname unless their genders disagree
    (Caroline Bingley is not Mr. Bingley); a short form said in dialogue ("Lex") joins
    the one name it begins."""
    def bare(form):
        return [w for w in form.split() if w.rstrip(".") not in _TITLE_WORDS]

    groups: dict[str, set[str]] = defaultdict(set)
    firsts: dict[str, set[str]] = defaultdict(set)
    lasts: dict[str, set[str]] = defaultdict(set)
    for f in forms:
        words = bare(f)
        if len(words) > 1:
            key = " ".join(words)
            groups[key].add(f)
            firsts[words[0]].add(key)
            lasts[words[-1]].add(key)
    titled_surnames, surnames = [], []
    for f in sorted(set(forms), key=lambda f: (-count[f], f)):
        words = bare(f)
        if len(words) != 1:
            continue
        word, titled = words[0], len(f.split()) > 1
        home = _dominant(firsts[word], count)
        if home and (not titled or f.split()[0].rstrip(".") in _FIRST_NAME_TITLES):
            groups[home].add(f)
        elif firsts[word]:
            groups[f].add(f)
        elif titled:
            titled_surnames.append(f)
        else:
            surnames.append(f)
    given = given_name_genders(g.split()[0] for g in groups) if titled_surnames else {}
    for f in titled_surnames:
        # "Coach Rennick" and "Miss Ashdown" are the one Rennick and the one Ashdown the
        # story gives a full name, if their title fits that name's gender; but not where
        # the family's title goes with that full name too ("Mr. John Knightley").
        title, word = f.split()[0], f.split()[-1]
        home = _dominant(lasts[word], count)
        if home and _title_fits(title, given.get(home.split()[0].lower(), "")) and not (
                title in _FAMILY_TITLES and any(len(m.split()) > 2 and m.split()[0] == title for m in groups[home])
                or any(m.split()[0] == _OTHER_MARITAL_TITLE.get(title) for m in groups[home])):
            groups[home].add(f)
        else:
            groups[f].add(f)
    for word in surnames:
        # A bare surname is the man of the family when there is a "Mr."; else the one bearer.
        titled = [g for g in groups if any(m.split()[1:] == [word] for m in groups[g] if len(m.split()) == 2
                                           and m.split()[0].rstrip(".") in _TITLE_WORDS)]
        mister = [g for g in titled if any(m == f"Mr. {word}" for m in groups[g])]
        bearers = set(titled) | lasts[word]
        home = mister[0] if mister else _dominant(bearers, count) or word
        groups[home].add(word)
    for short in [k for k in groups if len(k.split()) == 1]:
        # "Lex" for Lexie, "Kaz" for Kazmierczak, "Sully" for Sullivan, "Jo" for Jonah: a
        # short form of the first or the last name of one person only.
        longer = [g for g in groups if g != short and bare(g)
                  and (shortens(short, bare(g)[0]) or len(short) > 2 and shortens(short, bare(g)[-1]))]
        if len(longer) == 1 and (count[short] <= 3 or len(short) < len(bare(longer[0])[0])):
            groups[longer[0]] |= groups.pop(short)
    for full in [k for k in groups if len(k.split()) == 1]:
        # "Theodore" for Theo Marsh: the whole of a name someone is called by short.
        shorter = [g for g in groups if g != full and len(bare(g)) > 1 and len(bare(g)[0]) >= 3
                   and full.startswith(bare(g)[0]) and len(full) > len(bare(g)[0]) + 1]
        if len(shorter) == 1:
            groups[shorter[0]] |= groups.pop(full)
    for pet in [k for k in groups if len(bare(k)) == 2]:
        # "Dolly Pruitt" for Dolores Pruitt: one surname, a pet form of the given name.
        given, surname = bare(pet)
        formal = [g for g in groups if g != pet and len(bare(g)) == 2 and bare(g)[1] == surname
                  and shortens(given, bare(g)[0])]
        if len(formal) == 1:
            groups[formal[0]] |= groups.pop(pet)
    return groups


def _dominant(full_names: set[str], count: Counter) -> str | None:
    """The full name a first name or surname stands for: the only one it is part of, or
    one the story writes five times as often as all the others together ("Oliver Twist",
    not the alias "Oliver White" said once; "William Rodney", not the "Katharine Rodney"
    she imagines once)."""
    if len(full_names) == 1:
        return next(iter(full_names))
    ranked = sorted(full_names, key=lambda g: (-count[g], g))
    if ranked and count[ranked[0]] >= 5 * sum(count[g] for g in ranked[1:]) > 0:
        return ranked[0]
    return None


_DIMINUTIVE = re.compile(r"(?:ie|ey|y)$")


def shortens(short: str, word: str) -> bool:
    """Whether short is a clipped form of the name word: "Kaz" of Kazmierczak, "Jo" of
    Jonah, or the same with a pet ending, "Bernie" of Bernadette, "Sully" of Sullivan,
    "Dolly" of Dolores."""
    if short == word or len(short) < 2:
        return False
    if word.startswith(short):
        return True
    stem = _DIMINUTIVE.sub("", short)
    if stem != short and len(stem) >= 4 and stem[-1] == stem[-2]:
        stem = stem[:-1]  # "Dolly" of Dolores: the pet ending doubles the consonant
    return stem != short and len(stem) >= 3 and word.startswith(stem) and len(word) > len(stem) + 1


def _title_fits(title: str, given_gender: str) -> bool:
    """A titled surname can be a full name whose given name has this gender (as
    given_name_genders says it): the title's gender, if it has one, is not the other."""
    kind = _title_gender(title)
    return kind is None or given_gender.removeprefix("mostly_") in ("", kind, "either")


def _title_gender(title: str) -> str | None:
    t = title.rstrip(".").lower()
    return "female" if t in _FEMALE_TITLES else "male" if t in _MALE_TITLES else None


# Words after "her" that show it is an object, not a possessive.
_NOT_NOUN = ("(?:and|or|but|to|as|at|in|on|with|that|the|a|an|for|from|by|so|then|again|back|up|down|out|off"
             "|away|too|if|when|while|into|onto|over|before|after|once|is|was|had|would|could|should|not)")


# Votes a given name is worth, against one per pronoun that follows the name: enough to
# decide a character the text does not gender, not to outvote the text.
NAME_PRIOR = {"male": 2, "female": 2, "mostly_male": 1, "mostly_female": 1}


def _given_name(forms: set[str]) -> str | None:
    """The given name of a group: the first word of its longest form, past a title that
    goes with given names ("Miss Elizabeth"); a title with a surname alone ("Detective
    Okafor") gives none. Of single names, the fullest: "Hannah", not her "Han"."""
    for form in sorted(forms, key=lambda f: (-len(f.split()), -len(f), f)):
        words = form.split()
        if words[0].rstrip(".") in _TITLE_WORDS:
            if len(words) > 2 or (len(words) == 2 and words[0].rstrip(".") in _FIRST_NAME_TITLES):
                return words[1]
            continue
        return words[0]
    return None


def _genders(text: str, groups: dict[str, set[str]]) -> dict[str, str]:
    """Gender of each group: its titles, and the pronouns that follow its names (in the
    same sentence, or opening the next one). One pass over the text for all groups."""
    votes: dict[str, Counter] = defaultdict(Counter)
    owner = {}
    for key, forms in groups.items():
        for form in sorted(forms):
            owner.setdefault(form, key)
            kind = _title_gender(form.split()[0])
            if kind:
                votes[key][kind] += 5
    if owner:
        names = re.compile(r"\b(%s)\b" % "|".join(re.escape(f) for f in sorted(owner, key=len, reverse=True)))
        # Subject and possessive pronouns: "Ann waved at him" says nothing of Ann. "her"
        # is read as possessive where a noun follows it ("into her mouth", not "at her").
        follow = re.compile(r"[^.!?\"\u201c\u201d]{0,60}?\b(he|his|himself|she|hers|herself|her(?= (?!%s\b)[a-z]))\b"
                            r"|[^.!?\n]{0,80}[.!?][ \t]+(He|She)\b" % _NOT_NOUN)
        for m in names.finditer(text):
            f = follow.match(text, m.end())
            if f:
                pronoun = (f.group(1) or f.group(2)).lower()
                kind = "male" if pronoun in ("he", "his", "himself") else "female"
                votes[owner[m.group(1)]]["her" if pronoun == "her" else kind] += 1
    # A given name the text never genders still says something: "Irene", "Declan".
    firsts = {key: _given_name(forms) for key, forms in groups.items()}
    lexicon = given_name_genders(n for n in firsts.values() if n)
    out = {}
    for key in groups:
        male, female = votes[key]["male"], votes[key]["female"]
        if not male and not female:
            # A possessive "her" near the name is weaker evidence (the her may be another
            # woman's): enough only for a character no other pronoun or title speaks for.
            female = votes[key]["her"]
        kind = lexicon.get((firsts[key] or "").lower(), "")
        if kind in NAME_PRIOR:
            if kind.endswith("female"):
                female += NAME_PRIOR[kind]
            else:
                male += NAME_PRIOR[kind]
        out[key] = "male" if male > 1.5 * female else "female" if female > 1.5 * male else "unknown"
    return out
