"""Editing one character in voices.yaml keeps every other byte as written."""

import pytest

from ficaudio import castedit
from ficaudio.errors import VoicesError
from ficaudio.voices import Character, VoiceProfile, load_cast

FILE = """# my casting, by hand
narrator: {engine: fake, voice: narrator}
defaults:
  female: {engine: fake, voice: female}
  male: {engine: fake, voice: male}

characters:
  # the lead
  Lexie:
    aliases: [Lex]   # what Mark calls her
    gender: female
    engine: fake
    voice: high
  Mark: {gender: male, voice: low, engine: fake}

pronunciations:
  Sloan: Slone
"""


@pytest.fixture
def voices(tmp_path):
    path = tmp_path / "voices.yaml"
    path.write_text(FILE, encoding="utf-8")
    return path


def _edit(voices, function, *args, extra=()):
    cast = load_cast(voices)
    return function(voices, cast, [*cast.characters, *extra], *args)


def test_a_new_voice_rewrites_only_that_character_and_keeps_its_comments(voices):
    cast = _edit(voices, castedit.set_voice, "Lexie", VoiceProfile(engine="fake", voice="mid", rate=200), "female")
    text = voices.read_text()
    assert "    voice: mid\n" in text and "    rate: 200\n" in text
    assert "aliases: [Lex]   # what Mark calls her" in text
    assert text.replace("    voice: mid\n    rate: 200\n", "    voice: high\n") .startswith(FILE.split("  Mark:")[0])
    assert text.endswith("  Mark: {gender: male, voice: low, engine: fake}\n\npronunciations:\n  Sloan: Slone\n")
    assert cast.profile_for("Lexie").voice == "mid"


def test_a_flow_entry_becomes_a_block_and_others_stay(voices):
    _edit(voices, castedit.set_voice, "Mark", VoiceProfile(engine="fake", voice="male", pitch=40), None)
    text = voices.read_text()
    assert "  Mark:\n    gender: male\n    engine: fake\n    voice: male\n" in text
    assert text.startswith(FILE.split("  Mark:")[0])
    assert load_cast(voices).profile_for("Mark").pitch == 40


def test_alias_merge_and_ignore(voices):
    found = Character("Sloan", ("Mark Sloan",), "male")
    _edit(voices, castedit.add_alias, "Lexie", "Little Grey")
    _edit(voices, castedit.merge, "Sloan", "Mark", extra=[found])
    cast = _edit(voices, castedit.ignore, "Seattle", extra=[Character("Seattle")])
    assert cast.character("Lexie").aliases == ("Lex", "Little Grey")
    assert set(cast.character("Mark").aliases) == {"Sloan", "Mark Sloan"}
    assert cast.ignore == ("Seattle",)
    assert "# my casting, by hand" in voices.read_text() and "  # the lead" in voices.read_text()
    cast = _edit(voices, castedit.ignore, "Lexie")
    assert cast.character("Lexie") is None and cast.ignore == ("Seattle", "Lexie")


def test_a_character_only_discovered_gets_an_entry(voices):
    cast = _edit(voices, castedit.set_voice, "April", VoiceProfile(engine="fake", voice="female", rate=150), "female",
                 extra=[Character("April", ("Kepner",), "female")])
    assert cast.character("April").aliases == ("Kepner",)
    assert cast.profile_for("April").rate == 150


def test_a_change_that_would_break_the_file_writes_nothing(voices):
    with pytest.raises(VoicesError, match="nothing was written"):
        _edit(voices, castedit.set_voice, "Lexie", VoiceProfile(engine="fake", voice="mid", rate=9000), None)
    assert voices.read_text() == FILE
