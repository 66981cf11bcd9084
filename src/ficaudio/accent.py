"""The accent a story is read in: American or British English.

voices.yaml's `accent:` decides when it is there. Otherwise the story says it: AO3's
language tag cannot (it is "English" either way), but the spelling and the words do
("colour", "realise", "Mum", "flat", "queue" against "color", "realize", "Mom",
"apartment", "line up"), and so do fandoms set in Britain. American is the default:
most English-language fan fiction is written in it. `cast` hands out voices of that
accent only, so a squad of New York cops no longer gets RP, Scottish and Caribbean
voices; a character keeps any accent written for it in voices.yaml.
"""

from __future__ import annotations

import re

from .model import Work

ACCENTS = ("en-us", "en-gb")
DEFAULT = "en-us"

# Spellings and words that only one side writes; each a whole word, case-insensitive.
# Left out: words that are also names or common on both sides (Grey, mate, brilliant).
_BRITISH = (
    r"colou?r(?<=colour)\w*", r"favour\w*", r"honour\w*", r"neighbour\w*", r"behaviour\w*", r"humour\w*",
    r"realis(?:e|ed|es|ing)", r"recognis(?:e|ed|es|ing)", r"apologis(?:e|ed|es|ing)", r"organis(?:e|ed|es|ing)",
    r"centre\w*", r"theatre\w*", r"metres?", r"whilst", r"amongst", r"mum(?:my)?",
    r"flat(?:mate)?s?", r"queue[ds]?", r"lorry", r"pavement", r"trousers", r"jumper", r"biscuits?",
    r"rubbish", r"loo", r"telly", r"quid", r"fortnight", r"practise[ds]?", r"travell(?:ed|ing|er)", r"cancell(?:ed|ing)", r"pyjamas", r"tyres?", r"programme",
)
_AMERICAN = (
    r"colors?", r"colored", r"favou?rite(?<=favorite)s?", r"favors?", r"honors?", r"neighbors?", r"behavior",
    r"humor", r"realiz(?:e|ed|es|ing)", r"recogniz(?:e|ed|es|ing)", r"apologiz(?:e|ed|es|ing)",
    r"organiz(?:e|ed|es|ing)", r"center\w*", r"theater\w*", r"meters?", r"mom(?:my)?",
    r"apartments?", r"elevator", r"sidewalk", r"sweater", r"cookies?", r"garbage",
    r"gotten", r"vacation", r"fall semester", r"candy", r"truck", r"soccer", r"traveled", r"traveling",
    r"canceled", r"pajamas", r"tires?", r"bucks",
)
# Fandoms set in Britain, as AO3 names them (a fandom tag containing one of these).
_BRITISH_FANDOMS = ("harry potter", "sherlock", "doctor who", "good omens", "downton", "merlin", "torchwood",
                    "broadchurch", "peaky blinders", "the crown", "bridgerton", "heartstopper", "ted lasso",
                    "discworld", "jane austen", "pride and prejudice", "james bond", "kingsman", "luther",
                    "fleabag", "skins", "misfits", "the inbetweeners", "call the midwife", "lewis",
                    "midsomer", "inspector morse", "wallace", "paddington", "one direction")


def _count(patterns, text: str) -> int:
    pattern = re.compile(r"\b(?:%s)\b" % "|".join(patterns), re.I)
    return len(pattern.findall(text))


def story_accent(work: Work | None) -> tuple[str, str]:
    """(accent, the evidence, in words) for a story."""
    if work is None:
        return DEFAULT, "the default"
    fandoms = [f for f in work.fandoms if any(b in f.lower() for b in _BRITISH_FANDOMS)]
    if fandoms:
        return "en-gb", f"the fandom {fandoms[0]}"
    british, american = _count(_BRITISH, work.text), _count(_AMERICAN, work.text)
    # Quoted dialect and borrowed words turn up on both sides: ask for a clear lead.
    if british >= 3 and british >= 2 * american:
        return "en-gb", f"British spelling and words ({british} against {american} American)"
    return DEFAULT, (f"American spelling and words ({american} against {british} British)" if american
                     else "the default")
