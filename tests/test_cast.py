"""ficaudio cast: characters are added, and nothing already in voices.yaml changes."""

import pytest
from click.testing import CliRunner

from ficaudio.castfile import add_characters, assign_voices, cast_stories, distance
from ficaudio.cli import main
from ficaudio.errors import VoicesError
from ficaudio.voices import Cast, Character, load_cast, parse_cast
from tests.conftest import needs_espeak
from tests.test_piper import needs_piper

HAND_WRITTEN = """\
# My cast for Little Grey's Anatomy.   Spacing, quotes and order are mine.
narrator: {engine: fake, voice: narrator}   # flow style stays flow style
defaults:
  female: {engine: fake, voice: female}
  male: {engine: fake, voice: male}
  unknown: {engine: fake, voice: mid}

characters:
    Mark:            # Mark keeps his voice
        aliases: [ "Mark Sloan",   Sloan ]
        gender: m
        engine: fake
        voice: low
        pitch: 35
    Owen: {gender: male, engine: fake, voice: mid}   # not in this story any more

    # end of the characters

pronunciations:
  Lexie: Lexxie

reading:
  outro: false
"""

SEED_CHARACTERS = (
    Character("Lexie", ("Lex", "Lexie Grey"), "female"),
    Character("Jackson", ("Avery", "Jackson Avery"), "male"),
    Character("April", ("Kepner",), "female"),
    Character("Mark", ("Sloan",), "male"),
)


@pytest.fixture
def seed_discovery(monkeypatch):
    """What a good discover() finds in the seed, so these tests do not depend on its quality."""
    monkeypatch.setattr("ficaudio.discover.discover", lambda script, limit=40: SEED_CHARACTERS)


def _only_added(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`, asserting they form one block and every
    other byte is unchanged."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    i = next((n for n, (a, b) in enumerate(zip(old, new)) if a != b), len(old))
    k = len(new) - len(old)
    assert k > 0
    assert "".join(new[:i] + new[i + k :]) == before
    return new[i : i + k]


def test_cast_keeps_the_file_and_adds_the_new_characters(seed, tmp_path, seed_discovery):
    path = tmp_path / "it.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    result = CliRunner().invoke(main, ["cast", str(seed), "--voices", str(path)])
    assert result.exit_code == 0, result.output
    added = _only_added(HAND_WRITTEN, path.read_text(encoding="utf-8"))
    assert added[0].startswith("    ") and added[0].endswith(":\n") and added[1].startswith("        aliases: ")
    assert "# end of the characters" not in "".join(added)

    cast = load_cast(path)
    by_name = {c.name: c for c in cast.characters}
    assert list(by_name)[:2] == ["Mark", "Owen"] and set(by_name) == {"Mark", "Owen", "Lexie", "Jackson", "April"}
    assert by_name["Mark"].profile.voice == "low" and by_name["Mark"].profile.pitch == 35
    assert (by_name["Lexie"].gender, by_name["Jackson"].gender, by_name["April"].gender) == ("female", "male", "female")
    assert by_name["Lexie"].aliases == ("Lex", "Lexie Grey")
    profiles = [cast.profile_for(n) for n in ("Mark", "Lexie", "Jackson", "April")]
    assert len(set(profiles)) == 4
    assert cast.narrator not in profiles
    assert cast.pronunciations == (("Lexie", "Lexxie"),) and dict(cast.reading)["outro"] is False

    header, *rows = result.output.splitlines()
    assert header.split() == ["character", "aliases", "gender", "lines", "words", "voice"]
    table = {r.split()[0]: r for r in rows[:5]}
    assert set(table) == set(by_name)
    assert table["Mark"].endswith("in file") and table["Lexie"].endswith("added")
    assert "Mark Sloan, Sloan" in table["Mark"] and " female " in table["Lexie"]


def test_cast_again_changes_nothing(seed, tmp_path, seed_discovery):
    path = tmp_path / "voices.yaml"
    cast_stories([seed], path)
    first = path.read_bytes()
    result = cast_stories([seed], path)
    assert path.read_bytes() == first
    assert not any(r.added for r in result.rows) and not result.written


def test_cast_creates_a_missing_file(seed, tmp_path, seed_discovery):
    path = tmp_path / "new" / "voices.yaml"
    result = cast_stories([seed], path)
    assert result.created
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Casting for ficaudio")
    assert {c.name for c in load_cast(path).characters} == {"Lexie", "Mark", "Jackson", "April"}


def test_cast_with_the_real_discover_only_adds(seed, tmp_path):
    """discover() is improved elsewhere: whatever it finds is added, and nothing is lost."""
    path = tmp_path / "voices.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    result = cast_stories([seed], path)
    text = path.read_text(encoding="utf-8")
    if any(r.added for r in result.rows):
        _only_added(HAND_WRITTEN, text)
    names = {r.name for r in result.rows}
    assert {"Mark", "Owen", "Lexie"} <= names


def test_bom_is_kept(seed, tmp_path, seed_discovery):
    path = tmp_path / "voices.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + HAND_WRITTEN.encode())
    cast_stories([seed], path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# My cast") and len(load_cast(path).characters) == 5


def test_crlf_is_kept(tmp_path):
    raw = "# mine\r\ncharacters:\r\n  Mark: {engine: fake, voice: low}\r\nreading: {outro: false}\r\n"
    cast = parse_cast(raw)
    text = add_characters(raw, [(Character("April", (), "female"), cast.profile_for_gender("female"))], cast)
    assert "\n" not in text.replace("\r\n", "")
    assert _only_added(raw, text) == ["  April:\r\n", "    gender: female\r\n", "    voice: en-us+f2\r\n",
                                      "    pitch: 50\r\n", "    rate: 170\r\n"]


def test_file_without_characters_section(tmp_path):
    raw = "narrator: {voice: en-us}\n# trailing comment, no newline at the end"
    cast = parse_cast(raw)
    text = add_characters(raw, [(Character("No", ("Mr. No, Sr.",), "male"), cast.profile_for("No"))], cast)
    assert text.startswith(raw)
    assert [(c.name, c.aliases) for c in parse_cast(text).characters] == [("No", ("Mr. No, Sr.",))]


def test_flow_style_characters_are_still_added(tmp_path):
    raw = "# mine\ncharacters: {Mark: {voice: en-us+m3}}\n"
    cast = parse_cast(raw)
    text = add_characters(raw, [(Character("April", (), "female"), cast.profile_for("April"))], cast)
    assert text.startswith("# mine\n")
    assert [c.name for c in parse_cast(text).characters] == ["Mark", "April"]


@needs_espeak
def test_scene_partners_differ_in_accent_or_pitch():
    """Two women who talk to each other get another accent or pitch, not just another variant."""
    cast = Cast()
    women = [Character("Lexie", (), "female"), Character("April", (), "female"), Character("Meredith", (), "female")]
    together = {frozenset(("Lexie", "April")): 3, frozenset(("April", "Meredith")): 1, frozenset(("Lexie", "Meredith")): 2}
    from collections import Counter

    chosen = assign_voices(women, cast.with_characters(women), Counter(together))
    for a, b in [("Lexie", "April"), ("April", "Meredith"), ("Lexie", "Meredith")]:
        pa, pb = chosen[a], chosen[b]
        assert pa.voice.split("+")[0] != pb.voice.split("+")[0] or abs(pa.pitch - pb.pitch) >= 10, (pa, pb)
        # Within the story's accent (en-us and en-us-nyc here) they cannot be a family apart.
        assert distance(pa, pb) >= 1.5
    assert cast.narrator not in chosen.values()
    assert len(set(chosen.values())) == 3


@needs_espeak
def test_cast_seed_with_espeak_voices(seed, tmp_path, seed_discovery):
    """The acceptance case: a hand-written file with a comment and Mark's own voice."""
    path = tmp_path / "it.yaml"
    original = "# Mark is mine\ncharacters:\n  Mark:\n    gender: male\n    voice: en-gb-x-rp+m3  # his\n    pitch: 35\n"
    path.write_text(original, encoding="utf-8")
    result = CliRunner().invoke(main, ["cast", str(seed), "--voices", str(path)])
    assert result.exit_code == 0, result.output
    _only_added(original, path.read_text(encoding="utf-8"))
    cast = load_cast(path)
    from ficaudio.voices import check_cast

    check_cast(cast)
    profiles = {n: cast.profile_for(n) for n in ("Mark", "Lexie", "Jackson", "April")}
    assert profiles["Mark"].voice == "en-gb-x-rp+m3"
    assert len(set(profiles.values())) == 4
    assert all("+f" in profiles[n].voice for n in ("Lexie", "April"))
    assert "+m" in profiles["Jackson"].voice


@needs_espeak
@needs_piper
def test_cast_on_a_neural_cast_writes_neural_entries_that_load(seed, tmp_path, seed_discovery):
    path = tmp_path / "voices.yaml"
    path.write_text(
        "narrator: {engine: piper, model: en_US-joe-medium}\n"
        "defaults:\n"
        "  female: {engine: piper, model: en_US-joe-medium, semitones: 2}\n"
        "  male: {engine: piper, model: en_US-joe-medium, semitones: -2}\n"
    )
    cast_stories([seed], path)
    cast = parse_cast(path.read_text(), str(path))
    from ficaudio.voices import check_cast

    check_cast(cast)
    added = {c.name: c.profile for c in cast.characters if c.profile is not None}
    # Men get Piper's man at their own pace and pitch; women a woman's neural voice when
    # hibari is installed, else espeak-ng's, never the man's voice pitched up.
    assert {added["Mark"].engine, added["Jackson"].engine} == {"piper"}
    assert added["Mark"] != added["Jackson"]
    try:
        import hibari  # noqa: F401

        woman = "hibari"
    except ImportError:
        woman = "pyttsx3"
    assert {added["Lexie"].engine, added["April"].engine} == {woman}


def _attributed_seed(seed, cast):
    from ficaudio.attribution import attribute
    from ficaudio.ingest import ingest
    from ficaudio.split import split

    return attribute(split(ingest(seed)), cast)


@needs_espeak
def test_a_render_without_casting_gives_each_speaker_a_voice_of_its_own(seed):
    from ficaudio.castfile import cast_for

    cast = cast_for(_attributed_seed(seed, Cast()), Cast())
    genders = {c.name: c.gender for c in cast.characters}
    assert genders == {"Mark": "male", "Lexie": "female", "Jackson": "male", "April": "female"}
    profiles = [cast.profile_for(name) for name in genders]
    assert len(set(profiles)) == 4 and cast.narrator not in profiles


def test_uncast_speakers_take_their_genders_default_on_other_engines(seed):
    from ficaudio.castfile import cast_for

    cast = parse_cast("defaults:\n  female: {engine: fake, voice: f}\n  male: {engine: fake, voice: m}\n"
                      "  unknown: {engine: fake, voice: u}\n")
    full = cast_for(_attributed_seed(seed, cast), cast)
    assert {c.name for c in full.characters} == {"Mark", "Lexie", "Jackson", "April"}
    assert (full.profile_for("Mark").voice, full.profile_for("Lexie").voice) == ("m", "f")


def test_names_in_ignore_are_never_cast(tmp_path):
    from click.testing import CliRunner

    from ficaudio.cli import main

    story = tmp_path / "story.txt"
    # Biscuit is a mule: it acts and is called to, so discovery takes it for a character.
    story.write_text('A Story\n\nBiscuit snorted. "Easy, Biscuit," said Tom.\n\n"Morning, Tom," Sam said.\n\n'
                     'Biscuit stamped. "Biscuit agrees," Tom said. Sam laughed.\n\n"Does he, Tom?" Sam asked.\n',
                     encoding="utf-8")
    voices = tmp_path / "voices.yaml"
    found = CliRunner().invoke(main, ["cast", str(story), "--voices", str(voices), "--dry-run"])
    assert "Biscuit" in found.output  # the mistake ignore: is for
    voices.write_text("# my cast\nignore: [Biscuit]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["cast", str(story), "--voices", str(voices)])
    assert result.exit_code == 0, result.output
    assert "not characters (ignore:" in result.output and "Biscuit" in result.output.splitlines()[-2]
    text = voices.read_text(encoding="utf-8")
    assert text.startswith("# my cast\nignore: [Biscuit]\n")
    assert "Tom" in text and "Sam" in text and "Biscuit:" not in text
    # script and render read the same list: no line is Rye's.
    script = CliRunner().invoke(main, ["script", str(story), "--voices", str(voices), "--format", "json"])
    assert "Biscuit" not in {s["speaker"] for ch in __import__("json").loads(script.output)["chapters"] for s in ch["segments"]}


def test_ignore_must_be_a_list_of_names(tmp_path):
    from ficaudio.errors import VoicesError
    from ficaudio.voices import parse_cast

    with pytest.raises(VoicesError, match=r"voices.yaml:2: 'ignore' must be a list"):
        parse_cast("characters:\nignore: {a: 1}\n")


def test_render_warns_of_cast_members_never_named_and_genders_the_voice_contradicts(seed, tmp_path):
    voices = tmp_path / "voices.yaml"
    voices.write_text("characters:\n  Lexie: {gender: female, voice: en-us+m3}\n  Zelda: {gender: female}\n",
                      encoding="utf-8")
    from ficaudio.castfile import cast_warnings
    from ficaudio.ingest import ingest
    from ficaudio.split import split
    from ficaudio.voices import load_cast

    warnings = cast_warnings(split(ingest(seed)), load_cast(voices))
    assert any("Zelda is never named in this story" in w for w in warnings)
    assert any("Lexie is female but voice en-us+m3 is a male variant" in w for w in warnings)
    assert len(warnings) == 2


BRITISH_STORY = """Tea at Half Four

"Mum, the lift is broken again," said Harriet. "I realised it whilst queueing for the bus."

"Rubbish," said Tom. "Put the kettle on, it has been a fortnight."

Harriet went back to the flat, and Tom followed her up the stairs.

"Biscuits?" Tom asked.
"""


@needs_espeak
def test_a_british_story_is_cast_in_british_accents_only(tmp_path, monkeypatch):
    from ficaudio.castfile import ACCENTS

    monkeypatch.setattr("ficaudio.voices.neural_installed", lambda: False)
    story = tmp_path / "tea.txt"
    story.write_text(BRITISH_STORY)
    result = CliRunner().invoke(main, ["cast", str(story), "--voices", str(tmp_path / "voices.yaml")])
    assert result.exit_code == 0, result.output
    assert "accent en-gb (British spelling" in result.output
    cast = load_cast(tmp_path / "voices.yaml", required=True)
    assert cast.accent == "en-gb" and cast.narrator.voice == "en-gb-x-rp"
    assert {c.profile.voice.split("+")[0] for c in cast.characters} <= set(ACCENTS["en-gb"])


@needs_espeak
def test_an_american_story_gets_american_accents_and_accent_in_the_file_wins(seed, tmp_path, seed_discovery):
    from ficaudio.castfile import ACCENTS

    path = tmp_path / "voices.yaml"
    path.write_text("characters:\n  Mark: {gender: male, voice: en-gb-x-rp+m3}\n")
    cast_stories([seed], path)
    cast = load_cast(path, required=True)
    accents = {c.name: c.profile.voice.split("+")[0] for c in cast.characters}
    assert accents.pop("Mark") == "en-gb-x-rp"  # written by hand: kept
    assert set(accents.values()) <= set(ACCENTS["en-us"])

    path.write_text("accent: en-gb\ncharacters:\n  Mark: {gender: male, voice: en-gb-x-rp+m3}\n")
    cast_stories([seed], path)
    cast = load_cast(path, required=True)
    assert {c.profile.voice.split("+")[0] for c in cast.characters} <= set(ACCENTS["en-gb"])


def test_an_accent_that_is_not_one_names_the_line():
    with pytest.raises(VoicesError, match=r"voices.yaml:2: accent must be one of en-us, en-gb"):
        parse_cast("reading: {intro: false}\naccent: scouse\n")
