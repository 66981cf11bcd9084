"""voices.yaml: reading:, pronunciations:, and errors that point at the file and line."""

import pytest
from pydub import AudioSegment

from ficaudio import assemble
from ficaudio.engines import Engine, VoiceInfo, get_engine, register
from ficaudio.errors import VoicesError
from ficaudio.ingest import ingest
from ficaudio.split import split
from ficaudio.voices import VoiceProfile, check_cast, parse_cast
from tests.conftest import needs_espeak

SPOKEN: list[str] = []


@register("recording")
class RecordingEngine(Engine):
    """Records what it is asked to say; reads [[phonemes]] like espeak-ng does."""

    phoneme_input = True

    def voices(self):
        return [VoiceInfo("rec", "Recorder")]

    def synthesize(self, text, profile):
        SPOKEN.append(text)
        return AudioSegment.silent(duration=200, frame_rate=22050)


CAST = """\
narrator: {engine: recording, voice: rec}
defaults:
  female: {engine: recording, voice: rec}
  male: {engine: fake, voice: male}
characters:
  Lexie: {aliases: [Lex], gender: female, engine: recording, voice: rec, pitch: 62}
  Mark: {gender: male, engine: fake, voice: low}
pronunciations:
  Lexie: Lexxie
  Avery: "[['eIv@ri]]"
"""


def test_reading_defaults_and_overrides():
    assert dict(parse_cast("narrator: {voice: en-us}").reading) == {
        "intro": True, "summary": True, "notes": False, "chapter_titles": True, "outro": True}
    reading = dict(parse_cast("reading:\n  notes: true\n  outro: false\n").reading)
    assert reading["notes"] is True and reading["outro"] is False and reading["intro"] is True


@pytest.mark.parametrize(
    "text, message",
    [
        ("reading:\n  intro: true\n  outtro: false\n", r"voices.yaml:3: unknown key 'outtro' in reading"),
        ("reading:\n  notes: yes please\n", r"voices.yaml:2: reading.notes must be true or false"),
        ("reading: [intro]\n", r"voices.yaml:1: 'reading' must be a mapping"),
        ("pronunciations:\n  Avery: [a, b]\n", r"voices.yaml:2: pronunciations.Avery must be text to say"),
        ("pronunciations:\n  Avery: \"[['eIv@ri\"\n", r"voices.yaml:2: pronunciations.Avery: phonemes must be"),
        ("characters:\n  Mark:\n    voice: high\n    engine: fake\n    pich: 3\n", r"voices.yaml:5: unknown key 'pich'"),
        ("characters:\n  Mark: {gender: male}\n  Lexie: {}\n  Mark: {gender: female}\n",
         r"voices.yaml:4: 'Mark' is listed twice, differently \(first at line 2\)"),
    ],
)
def test_errors_name_the_line(text, message):
    with pytest.raises(VoicesError, match=message):
        parse_cast(text)


def test_unknown_voice_suggests_near_matches(tmp_path):
    path = tmp_path / "voices.yaml"
    path.write_text("# cast\ncharacters:\n  Mark:\n    engine: fake\n    voice: hihg\n", encoding="utf-8")
    from ficaudio.voices import load_cast

    with pytest.raises(VoicesError) as err:
        check_cast(load_cast(path))
    assert str(err.value).startswith(f"{path}:5: characters.Mark: unknown voice id 'hihg'")
    assert "did you mean high?" in str(err.value) and "ficaudio voices" in str(err.value)


@needs_espeak
def test_unknown_espeak_voice_and_variant_suggest_near_matches(tmp_path):
    path = tmp_path / "voices.yaml"
    path.write_text("narrator:\n  voice: en-gb-scotlnd\nunknown:\n  voice: en-us+f9\n", encoding="utf-8")
    from ficaudio.voices import load_cast

    with pytest.raises(VoicesError, match=r"voices.yaml:2: narrator: unknown voice id 'en-gb-scotlnd'.*"
                                          r"did you mean en-gb-scotland"):
        check_cast(load_cast(path))
    path.write_text("unknown:\n  voice: en-us+f9\n", encoding="utf-8")
    with pytest.raises(VoicesError, match=r"voices.yaml:2: unknown: in voice 'en-us\+f9': unknown variant 'f9'"):
        check_cast(load_cast(path))


def test_pronunciations_reach_the_engine_and_not_the_transcript(seed):
    cast = parse_cast(CAST)
    script = split(ingest(seed))
    parts = assemble.plan(script, cast)
    items = [i for p in parts for i in p.items]
    said = [i for i in items if "Jackson Avery was" in i.text][0]
    assert "Lexxie wasn't a fool" in said.line.text and "Lexie wasn't a fool" in said.text
    assert said.line.text.startswith("Jackson [['eIv@ri]] was")
    # The fake engine cannot read phonemes: it says the name as written, never brackets.
    fake = parse_cast(CAST.replace("narrator: {engine: recording, voice: rec}", "narrator: {engine: fake, voice: narrator}"))
    item = [i for p in assemble.plan(script, fake) for i in p.items if "Jackson Avery was" in i.text][0]
    assert item.line.text.startswith("Jackson Avery was") and "Lexxie" in item.line.text

    from ficaudio.synthesize import synthesize_line

    SPOKEN.clear()
    synthesize_line(said.line)
    assert SPOKEN == [said.line.text]


def test_pronunciations_reach_the_engine_in_audition(seed):
    from ficaudio.audition import audition

    SPOKEN.clear()
    sample = audition("lex", parse_cast(CAST), seed)
    assert sample.name == "Lexie" and SPOKEN
    assert all("Lexie" not in s for s in SPOKEN)
    assert all(s.replace("Lexxie", "Lexie") in sample.lines for s in SPOKEN)


@needs_espeak
def test_espeak_reads_phonemes_in_double_brackets():
    """With phoneme input on, [['eIv@ri]] sounds like 'Avery', not like letters spelled out."""
    engine = get_engine("pyttsx3")
    profile = VoiceProfile()
    word = len(engine.synthesize("Avery", profile))
    phonemes = len(engine.synthesize("[['eIv@ri]]", profile))
    assert abs(phonemes - word) < 0.25 * word


def test_a_character_listed_twice_alike_is_one_character():
    cast = parse_cast("characters:\n  Mark: {gender: male, aliases: [Sloan]}\n  Mark: {gender: male, aliases: [Sloan]}\n")
    assert [(c.name, c.gender, c.aliases) for c in cast.characters] == [("Mark", "male", ("Sloan",))]


@pytest.mark.parametrize("written", ["", " X", " U", " unknown", " n/a", " Other"])
def test_a_gender_left_empty_or_unknown_is_unknown(written):
    cast = parse_cast("characters:\n  Mark:\n    gender:%s\n" % written)
    assert cast.characters[0].gender == "unknown"


# --- hostile casting files: each a one-line error, at once ------------------------------

_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


@pytest.mark.parametrize("raw, message", [
    (_LAUGHS, "anchors and aliases"),
    ("a: &a [*a]\n", "anchors and aliases"),
    ("characters:\n  X: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("narrator: {rate: " + "9" * 5000 + "}\n", "a value of 5,000 characters"),
    ("narrator: {voice: " + "x" * 2_000_000 + "}\n", "far too big for a casting file"),
    ("characters:\n  X: {engine: piper, model: [a, b]}\n", "must be a single value"),
    ("pronunciations:\n  Lex: " + "l" * 5000 + "\n", "a value of 5,000 characters"),
])
def test_hostile_voices_files_are_refused_in_one_line(raw, message):
    with pytest.raises(VoicesError, match=message) as caught:
        parse_cast(raw)
    assert len(str(caught.value)) < 300 and "\n" not in str(caught.value)


def test_a_cover_that_is_not_a_file_is_refused(tmp_path):
    from ficaudio.cover import load_cover

    with pytest.raises(VoicesError, match="is not a file"):
        load_cover("/dev/zero")
    big = tmp_path / "big.png"
    with open(big, "wb") as f:
        f.write(b"\x89PNG")
        f.truncate(30_000_000)
    with pytest.raises(VoicesError, match="make it smaller"):
        load_cover(big)
