"""Stage 3: decide who speaks each quotation.

The parts, in the order they run:

- `speech`: quoted text nobody says aloud (a sign, a typed message) stays the narrator's;
- `..pov`: the story's person and narrator ("I said" in a first-person story, "you say"
  in a reader-insert), from the narration and the fic's tags;
- `tags`: cast names in the text and the speech tags built on them ("said Mara", "Mara
  says", "he muttered", "was Emma's reply");
- `document`: turns (the dialogue of a paragraph; the parts of an interrupted or
  multi-paragraph quotation share one), mentions, each turn's tag, conversations and the
  narrator;
- `features`: each turn's candidates with their signals (tags, beats, vocatives,
  turn-taking, salience), part of the history-free ones worked out once per turn;
- `ranker`: the weights (trained on the PDNC dev novels and the fan-fiction dev set,
  shipped in data/), the hard rules a tag imposes, and a beam of the likeliest histories.

The confidence is the softmax probability of the chosen candidate: low when the evidence
was only turn-taking or salience.
"""

from __future__ import annotations

from dataclasses import replace

from ..discover import discover, without_ignored
from ..model import NARRATOR, UNKNOWN, Script
from ..voices import Cast
from .document import Document, Turn  # noqa: F401
from .features import FEATURES  # noqa: F401
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
