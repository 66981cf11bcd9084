"""Speech or not: quoted text that nobody says aloud.

Fan fiction quotes a great deal that no one speaks: a text message typed and sent, a shop
sign, a label, a banner, a card, a song's title, a scare quote. Those stay with the
narrator. The cues are the narration around the quotation: the thing it is written on
or the act of writing it ("the sign said", "he types", "a sticker on the lid ... :"),
and, for a quotation standing alone, how a typed message looks (all lower case, text
speak) beside a phone in the narration. Reading aloud ("she read it out") is speech.
"""

from __future__ import annotations

import re

# What text is written on or in.
_MEDIUM = (r"sign|signs|signage|board|chalkboard|whiteboard|blackboard|banner|card|business\s+card|note|notes|label|"
           r"labels|sticker|screen|text|texts|message|messages|notification|notifications|caption|headline|poster|"
           r"placard|plaque|t-shirt|shirt|mug|stencil|stencilled|stenciled|handwriting|capitals|letters|marker|"
           r"ink|ballpoint|biro|felt-tip|piping|icing|ribbon|menu|tag|email|e-mail|subject\s+line|post|tweet|"
           r"preview|previews|chat|dm|group\s+chat|window|door|lid|box|jar|jars|envelope|postcard|register|"
           r"ledger|receipt|printout|flyer|leaflet|noticeboard|notice|sash|sashes|badge|tattoo|graffiti|scrawl|"
           r"inscription|engraving|billboard|marquee|display|phone|cover|spine|page|paper")
# Writing, typing, sending, or text being displayed.
_WRITE = (r"typed|types|typing|type|texted|texts|texting|text|wrote|writes|writing|written|scrawled|scrawls|"
          r"scribbled|scribbles|printed|prints|stenciled|stencilled|painted|chalked|sent|sends|send|hit\s+send|"
          r"hits\s+send|pinged|buzzed|buzzes|lit\s+up|lights\s+up|flashed|flashes|popped\s+up|pops\s+up|"
          r"reads|read|reading|said|says|declared|declares|announced|announces|proclaimed|proclaims|insisted|"
          r"insists|spelled|spelt|spells|deleted|deletes|delete|replied|replies|responded|responds")
_ALOUD = re.compile(r"\b(?:aloud|out\s+loud|read(?:s|ing)?\s+(?:it|them|this|that)\s+(?:to|out|off)|"
                    r"read(?:s|ing)?\s+out|voice|says?\s+(?:it|them)\s+out|reads?\s+off)\b", re.I)
# Things that carry nothing but writing: a quote they lead into is written, whatever it says.
_STRONG_MEDIUM = re.compile(r"\b(?:sign|signs|chalkboard|whiteboard|blackboard|banner|label|labels|sticker|card|"
                            r"caption|poster|placard|plaque|ribbon|t-shirt|shirt|stencil|letters|capitals|"
                            r"handwriting|marker|ink|ballpoint|piping|icing|notification|inscription)\b", re.I)
# The clause ends on writing it: "He types", "she texted back", "I wrote".
_WRITTEN_INTO = re.compile(r"\b(?:typed|types|texted|texts|wrote|writes|scrawled|scrawls|scribbled|scribbles|"
                           r"messaged|messages|tweeted|posted|posts)(?:\s+(?:back|out|quickly|again|fast|slowly|one-handed))?"
                           r"\s*[:,]?\s*$", re.I)
_MEDIUM_WORD = re.compile(r"\b(?:%s)\b" % _MEDIUM, re.I)
_WRITE_WORD = re.compile(r"\b(?:%s)\b" % _WRITE, re.I)
# "It said", "the sign insists", "which read", "that says": a thing, not a person, speaks.
_THING_SAYS = re.compile(r"(?:\b(?:it|which|that)\s+(?:\w+ly\s+)?(?:%s)\b|\b(?:the|a|an|his|her|my|your|their|its)\s+"
                         r"(?:[\w-]+\s+){0,2}?(?:%s)\s+(?:\w+ly\s+)?(?:%s)\b)" % (_WRITE, _MEDIUM, _WRITE), re.I)
_TYPING = re.compile(r"\b(?:typed|types|typing|texted|texts|texting|thumbs|hit\s+send|hits\s+send|sends?\s+(?:it|back)|sent\s+(?:it|back)|"
                     r"deletes?|deleted|backspace|screen|phone|buzz(?:ed|es)?|notification|unlocks?|lock\s+screen|"
                     r"group\s+chat|the\s+chat|reply|replies|message|messages|text|texts)\b", re.I)
_AFTER_TYPED = re.compile(r"^\W*(?:delete|deleted|send|sent|enter|backspace)\b", re.I)
# "'THE van,' I send back.", "'On my way,' she texts."
_SENT_AFTER = re.compile(r"^\W*(?:\w+\s+){1,2}?(?:sends?|sent|types?|typed|texts?|texted)(?:\s+(?:back|it|again))*\W*$",
                         re.I)
# The paragraph below a quotation standing alone says it was read, not heard: "You read it
# three times.", "She stares at it."
_READ_BELOW = re.compile(r"^\W*(?:\w+\s+){1,3}?(?:\w+ly\s+)?(?:(?:re-?)?reads?|stared\s+at|stares\s+at)"
                         r"\s+(?:it|them|the\s+(?:message|text|note|words|card|letter))\b", re.I)
_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")
_TEXT_SPEAK = re.compile(r"\b(?:u|ur|pls|plz|omw|lol|lmao|btw|tho|idk|rn|ngl|tbh|wyd|hbu|omg|k|ok|ty|thx|bc|2nite|gr8)\b")
_PERSON_TAG = re.compile(r"\b(?:he|she|they|I|you|(?!It\b|This\b|That\b|Which\b|The\b)[A-Z][a-z]+)\s+(?:\w+ly\s+)?(?:said|says|asked|asks|called|calls|"
                         r"shouted|shouts|yelled|yells|whispered|whispers|murmured|murmurs|replied|replies|answered|"
                         r"answers|muttered|mutters|told|tells)\b")

# The clause ends on a person's speech verb, so what follows is said aloud.
_SPOKEN_END = re.compile(r"\b(?:said|says|say|murmured|murmurs|whispered|whispers|muttered|mutters|replied|"
                         r"replies|reply|answered|answers|answer|asked|asks|cried|cries|exclaimed|exclaims|called|"
                         r"shouted|shouts|added|adds|began|continued|observed|remarked|went\s+on|spoke|speaks)"
                         r"(?:\s+(?:to\s+\w+|\w+ly|thus|again|aloud))*\s*[:,\u2014-]*\s*$", re.I)

_SPOKEN_START = re.compile(r"^[\s,;:\u2014-]*(?:\w+ly\s+)?(?:said|says|cried|cries|replied|replies|asked|asks|exclaimed|"
                           r"whispered|whispers|murmured|murmurs|continued|added|adds|observed|returned|answered|"
                           r"shouted|shouts|called|calls)\b", re.I)


def looks_typed(quote: str) -> bool:
    """All lower case, text speak, or shouting in capitals with no one shouting."""
    if quote[:1].islower() or _TEXT_SPEAK.search(quote):
        return True
    upper = len(_UPPER.findall(quote))
    lower = len(_LOWER.findall(quote))
    return upper > 3 and upper > 9 * lower


def is_unspoken(quote: str, before: str, after: str, previous_paragraph: str, continues: bool = False,
                next_paragraph: str = "") -> bool:
    """Whether a quotation is text nobody says aloud. before/after: the narration of its
    own paragraph just before and just after it; previous_paragraph: the narration of the
    paragraph above (read for a quotation with nothing before it); continues: the
    quotation goes on from an earlier part ("I think," she said, "we go."); next_paragraph:
    the narration of the paragraph below, for a quotation standing alone in its own."""
    near_before = _clause_before(before)
    near_after = _clause_after(after)
    typed = looks_typed(quote) and not continues
    if _ALOUD.search(near_before) or _ALOUD.search(near_after):
        return False
    if _PERSON_TAG.search(near_after[:40]) or _PERSON_TAG.search(near_before):
        return False
    if _THING_SAYS.search(near_before) or _THING_SAYS.search(near_after[:60]):
        return True
    if _AFTER_TYPED.match(after) or _SENT_AFTER.match(near_after):
        return True
    if _WRITTEN_INTO.search(near_before):
        return True  # "He types", "she texted back"
    if _SPOKEN_END.search(near_before) or _SPOKEN_START.match(near_before) or _PERSON_TAG.match(near_before.lstrip()):
        # "... opened her door and said:", "Not till then did Miss Bartlett reply:", and
        # the part after a tag: "said Mr. Sleary, putting his head in at the door,"
        return False
    leads_in = near_before.rstrip().endswith((":", ","))
    if leads_in or not near_before.strip():
        if _MEDIUM_WORD.search(near_before) and _WRITE_WORD.search(near_before):
            return True
        if _TYPING.search(near_before) and (typed or near_before.rstrip().endswith(":")):
            return True
        if _STRONG_MEDIUM.search(near_before) and (near_before.rstrip().endswith(":") or typed):
            return True  # "the label faced front:", "in June's own red marker,"
        if _MEDIUM_WORD.search(near_before) and typed:
            return True
    context = before if before.strip() else _last_sentences(previous_paragraph)
    if typed and (_TYPING.search(context) or _STRONG_MEDIUM.search(context)):
        # "Marnie's phone buzzed ... she looked anyway. 'left side's fine'"; "The caption
        # was in all caps. 'THE KING HAS ARRIVED!!!'"
        return True
    if not before.strip() and not after.strip() and not continues and _READ_BELOW.match(next_paragraph):
        return True
    return False


_CLAUSE_BREAK = re.compile(r"[.!?;]\s+")


def _clause_before(text: str) -> str:
    """The sentence that runs into the quotation."""
    parts = _CLAUSE_BREAK.split(text.rstrip())
    return parts[-1] if parts else ""


def _clause_after(text: str) -> str:
    m = _CLAUSE_BREAK.search(text)
    return text[: m.start()] if m else text


def _last_sentences(text: str, n: int = 2) -> str:
    return " ".join(_CLAUSE_BREAK.split(text.strip())[-n:])
