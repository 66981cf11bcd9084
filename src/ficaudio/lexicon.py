"""Words of speech shared by attribution and discovery: verbs of speaking, what speech
is called, titles and ranks, and the gender of role nouns."""

from __future__ import annotations

import re

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
    "lisped addressed accosted hailed "
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


def _present(past: str) -> set[str]:
    """The present-tense forms a past one may have: fan fiction is often written in the
    present ("Theo informs the rolls", "June corrects"). Spelling is guessed every way it
    can go ("asks", "smiles", "snaps", "replies"); the forms that are no words never occur."""
    if not past.endswith("ed") or len(past) < 5:
        return set()
    stem = past[:-2]
    forms = {stem + "s", past[:-1] + "s"}
    if stem.endswith("i"):
        forms.add(stem[:-1] + "ies")
    if len(stem) > 2 and stem[-1] == stem[-2]:
        forms.add(stem[:-1] + "s")
    if stem.endswith(("sh", "ch", "ss", "x")):
        forms.add(stem + "es")
    return forms


SPEECH_VERBS = tuple(dict.fromkeys(
    [*SPEECH_VERBS, *sorted({f for v in SPEECH_VERBS for f in _present(v)} - set(SPEECH_VERBS))]))


def trie_pattern(words) -> str:
    """A regex alternation of words as a trie ("ask(?:s|ed)?"...): the regex engine tries
    each branch in turn, and hundreds of flat alternatives tried at every word of a novel
    cost more than the rest of attribution. Longer words win over their prefixes."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node) -> str:
        ends = "" in node
        branches = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:%s)" % "|".join(branches)
        return f"(?:{body})?" if ends else body

    return "(?:%s)" % walk(trie)


VERB = trie_pattern(SPEECH_VERBS)
# Verbs of talking, not of gesture: "Mrs Musgrove interposed." leads into speech where
# "Bob nodded." need not.
TALK = (r"(?:began|continued|resumed|interposed|replied|answered|added|observed|remarked|asked|inquired|"
         r"enquired|exclaimed|cried|spoke|proceeded|rejoined|returned|retorted|persisted|pursued|repeated|"
         r"ventured|explained|said|went\s+on)")
# What a character's speech is called: "was Emma's reply", "Mary's reproach of".
SPEECH_NOUNS = (r"reply|answer|remark|words|exclamation|question|response|cry|injunction|observation|"
                 r"reasoning|declaration|reproach|complaint|language|amendment|feelings|entreaty|greeting|"
                 r"request|assurance|explanation|comment|retort|rejoinder|protest|objection|apology|"
                 r"inquiry|enquiry|salutation|exclamations|supplement|suggestion|reproof|command")
ARTICLES = {"the", "a", "an"}
# Titles of rank or office that stand for the one who holds them ("the Captain").
RANKS = {t: t for t in (
    "doctor captain colonel admiral major general professor count countess baron baroness "
    "prince princess duke duchess inspector sergeant lieutenant judge marquis marchioness"
).split()} | {"dr": "doctor", "capt": "captain", "col": "colonel", "prof": "professor"}
# The gender of a role in a tag that names no cast member ("said his wife").
NOUN_GENDER = {w: "female" for w in (
    "wife lady mother sister daughter girl woman aunt mistress queen niece widow maid grandmother "
    "landlady duchess princess governess nurse mamma mama").split()}
NOUN_GENDER.update({w: "male" for w in (
    "husband father brother son boy man uncle gentleman master king nephew squire landlord "
    "grandfather duke prince fellow papa").split()})
TITLES = set(
    "mr mrs ms miss dr sir lady lord madame mme mademoiselle mlle monsieur captain colonel general "
    "professor aunt uncle count countess baron baroness prince princess king queen father mother "
    "brother sister master mistress major doctor rev reverend young old little big poor dear my".split()
)
SUBJECT_PRONOUNS = {"he": "male", "she": "female"}
