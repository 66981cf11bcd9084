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

from dataclasses import replace

from ..discover import discover, without_ignored
from ..lexicon import SPEECH_VERBS  # noqa: F401
from ..model import NARRATOR, UNKNOWN, Script
from ..voices import Cast
from .document import FEATURES, Document, Turn  # noqa: F401
from .ranker import decide, load_weights

# How sure the cues for "nobody says this aloud" are (a sign, a typed text message).
UNSPOKEN_CONFIDENCE = 0.8

def attribute(script: Script, cast: Cast) -> Script:
    """Fill in the speaker of every dialogue segment, with a confidence in [0, 1]."""
    characters = cast.characters or without_ignored(discover(script), cast.ignore)
    if not characters:
        return script
    doc = Document(script, characters)
    segments = list(doc.segments)
    for i, (name, confidence) in speakers(doc, load_weights()).items():
        segments[i] = replace(segments[i], speaker=name, confidence=round(confidence, 3))
    return replace(script.replace_segments(segments), characters=tuple(characters))


def speakers(doc: Document, weights) -> dict[int, tuple[str, float]]:
    """Speaker and confidence of each dialogue segment (by index into doc.segments)."""
    out = {i: (NARRATOR, UNSPOKEN_CONFIDENCE) for i in doc.unspoken}
    for turn, (name, confidence) in zip(doc.turns, decide(doc, weights)):
        for i in turn.segments:
            out[i] = (name or UNKNOWN, confidence)
    return out
