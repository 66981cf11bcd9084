"""Quotation detection: what is dialogue, what stays narration, and how parts group."""

from pathlib import Path

from ficaudio.ingest import ingest, parse_text
from ficaudio.model import DIALOGUE
from ficaudio.split import split

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_653e07ef9e538d7a.txt"


def parts(body: str):
    """(kind, quote id, text) of every segment of a one-chapter story."""
    script = split(parse_text("A Story\n\n" + body))
    return [(s.kind, s.quote, s.text) for s in script.segments()]


def dialogue(body: str):
    return [(q, t) for k, q, t in parts(body) if k == DIALOGUE]


def test_interrupted_quotation_is_two_parts_of_one_quotation():
    found = dialogue('"I think," she said, "we should go."\n\nHe nodded.')
    assert [t for _, t in found] == ["I think,", "we should go."]
    assert found[0][0] == found[1][0]


def test_quotes_of_different_speakers_get_different_ids():
    found = dialogue('"Stay," said Ann.\n\n"No," said Bob.')
    assert found[0][0] != found[1][0]


def test_multi_paragraph_quotation_stays_one_quotation():
    found = dialogue('"This is the first paragraph of a long speech.\n\n"And this is the second," said Mara.')
    assert [t for _, t in found] == ["This is the first paragraph of a long speech.", "And this is the second,"]
    assert found[0][0] == found[1][0]


def test_unclosed_quote_ends_at_its_paragraph():
    found = parts('"This quote never closes.\n\nNarration follows here.')
    assert found == [(DIALOGUE, found[0][1], "This quote never closes."), ("narration", None, "Narration follows here.")]


def test_apostrophes_are_not_quote_marks():
    found = parts("We don't know Avery's plan, and 'em boys from the '90s laughed.\n\n\"Right,\" she said.")
    assert found[0] == ("narration", None, "We don't know Avery's plan, and 'em boys from the '90s laughed.")
    assert [t for _, t in dialogue("We don't know Avery's plan.\n\n\"Right,\" she said.")] == ["Right,"]


def test_british_single_quote_dialogue():
    found = dialogue("'I think,' said Mara, 'that we shan't go.'\n\n'Why not?' asked Tom.\n\n"
                     "'Because it's late,' she said.")
    assert [t for _, t in found] == ["I think,", "that we shan't go.", "Why not?", "Because it's late,"]


def test_curly_quotes():
    found = dialogue("\u201cWhere were you?\u201d asked Ann. \u201cI waited.\u201d")
    assert [t for _, t in found] == ["Where were you?", "I waited."]


def test_scare_quotes_signs_and_titles_stay_narration():
    found = parts('The sign said "Closed" and he called it "home" too.\n\n"Fine," she said.')
    assert found[0] == ("narration", None, 'The sign said "Closed" and he called it "home" too.')
    assert [t for _, t in dialogue('She read "The Raven" aloud.\n\n"Fine," she said.')] == ["Fine,"]


def test_offsets_cover_the_words_without_the_marks():
    script = split(parse_text('A Story\n\n"Hello there," said Ann.'))
    segment = next(s for s in script.segments() if s.kind == DIALOGUE)
    assert script.work.text[segment.start:segment.end] == "Hello there,"


def test_quotation_ids_are_unique_across_chapters():
    script = split(parse_text('A Story\n\nChapter 1\n\n"One," said Ann.\n\nChapter 2\n\n"Two," said Bob.'))
    ids = [s.quote for s in script.segments() if s.kind == DIALOGUE]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_seed_yields_its_31_dialogue_segments():
    script = split(ingest(SEED))
    assert sum(s.kind == DIALOGUE for s in script.segments()) == 31
