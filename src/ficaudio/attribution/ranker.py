"""The ranker's weights, the hard rules a tag imposes, and decoding with a beam of the
likeliest histories."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

from .document import Document, Turn
from .features import FEATURES

# Histories decide() keeps: 1 is greedy; 8 gains 0.9 points on PDNC, 16 only 0.03 more.
BEAM = 8


@lru_cache(maxsize=1)
def load_weights() -> tuple[float, ...]:
    data = json.loads(resources.files("ficaudio").joinpath("data/attribution_weights.json").read_text())
    if tuple(data["features"]) != FEATURES:
        raise RuntimeError("attribution_weights.json was trained on other features; retrain it")
    return tuple(data["weights"])


def allowed_candidates(doc: Document, turn: Turn, cands) -> list[int]:
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
    told_by = getattr(doc, "told_by", None)
    if tag and tag[0] == "I" and told_by:
        rules.append(lambda c: c == told_by)  # "I said" in a first-person story, "you say" in a reader-insert
    if gender in ("male", "female"):
        rules.append(lambda c: doc.by_name[c].gender in (gender, "unknown"))
        if tag and tag[0] == "pronoun" and told_by:
            rules.append(lambda c: c != told_by)  # the narrator is "I", not "she"
    while rules:
        allowed = [i for i, (c, _) in enumerate(cands) if all(rule(c) for rule in rules)]
        if allowed:
            return allowed
        rules.pop(0)
    return []


def decide(doc: Document, weights, beam: int = BEAM) -> list[tuple[str | None, float]]:
    """Speaker and confidence of every turn. Turn-taking makes each decision depend on
    the last ones, so the likeliest few histories are kept, not just one: a slip early in
    an exchange need not carry through it."""
    # A state: (log-likelihood, the last three speakers newest first, back-pointer, who
    # has spoken in this conversation).
    states = [(0.0, (), None, frozenset())]
    for t, turn in enumerate(doc.turns):
        grown: dict[tuple, tuple] = {}
        new_conversation = t == 0 or doc.turns[t - 1].conversation != turn.conversation
        for likelihood, recent, node, talked in states:
            if new_conversation:
                talked = frozenset()
            cands = doc.scores(t, {t - 1 - j: name for j, name in enumerate(recent)}, weights, talked)
            if not cands:
                options = [(None, 0.0, likelihood)]
            else:
                scores = [score for _, score in cands]
                top = max(scores)
                total = sum(math.exp(s - top) for s in scores)
                allowed = allowed_candidates(doc, turn, cands) or [scores.index(top)]
                within = math.log(sum(math.exp(scores[i] - top) for i in allowed))
                options = [(cands[i][0], math.exp(scores[i] - top) / total, likelihood + scores[i] - top - within)
                           for i in allowed]
            for name, confidence, score in options:
                key = ((name,) + recent)[:3]
                if key not in grown or grown[key][0] < score:
                    grown[key] = (score, key, (name, confidence, node), talked | {name} if name else talked)
        states = sorted(grown.values(), key=lambda state: -state[0])[:beam]
    out = []
    node = states[0][2] if states else None
    while node is not None:
        out.append(node[:2])
        node = node[2]
    return out[::-1]
