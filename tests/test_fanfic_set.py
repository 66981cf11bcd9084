"""The fan-fiction dev set: every story builds, and its gold sits exactly on the text."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks" / "fanfic"))
import generate  # noqa: E402

from ficaudio.ingest import parse_text  # noqa: E402
from ficaudio.split import split  # noqa: E402

STORIES = sorted((ROOT / "benchmarks" / "fanfic" / "stories").glob("*.yaml"))
FRESH = sorted((ROOT / "benchmarks" / "fanfic" / "fresh").glob("*.yaml"))


def test_the_set_is_big_enough_and_split_in_halves():
    stories = [generate.load_story(p) for p in STORIES]
    assert len(stories) >= 12
    assert sum(len(s.gold) for s in stories) >= 800
    assert {s.half for s in stories} == {"A", "B"}


@pytest.mark.parametrize("path", STORIES + FRESH, ids=lambda p: p.stem)
def test_every_gold_quotation_is_a_quotation_the_splitter_finds(path):
    story = generate.load_story(path)
    marks = "\"'\u201c\u201d\u2018\u2019"
    dialogue = [(s.start, s.end) for s in split(parse_text(story.text)).segments() if s.kind == "dialogue"]
    found = 0
    for q in story.gold:
        (start, end), = q["spans"]
        assert story.text[start - 1] in marks  # the span starts right after an opening mark
        assert story.text[start:end].strip() == story.text[start:end]
        found += any(s < end and start < e for s, e in dialogue)
    spoken = [q for q in story.gold if q["type"] == "Speech"]
    # Every spoken quotation is a dialogue segment (a short written one may be narration).
    assert found >= len(spoken)


def test_a_quotation_piece_names_a_cast_member():
    with pytest.raises(generate.StoryError, match="not in the cast"):
        generate.build({"id": "x", "half": "A", "title": "T", "quotes": "double", "person": "third",
                        "cast": [{"name": "Ann"}], "chapters": [{"paragraphs": [[{"Bob": "Hi."}]]}]})
