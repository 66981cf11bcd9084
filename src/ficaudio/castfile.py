"""`ficaudio cast`: find the characters of stories and add them to voices.yaml, each
with a voice of their own, leaving everything already in the file as it was written.

New entries are inserted as text at the end of the `characters:` block rather than
dumped through a YAML library: a round trip can still reflow long lines, respace flow
mappings or requote strings, and hand-written casting must survive byte for byte.

Voices come from a palette of engine profiles: espeak-ng's (accent, variant, pitch,
rate) or, on a neural cast, hibari's and Piper's (voice, then pace and a small pitch
offset). They are handed out greedily, most talkative character first, so that
characters who share scenes differ in accent and pitch, not just in variant name.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from . import defaults
from .accent import DEFAULT as DEFAULT_ACCENT, story_accent
from .errors import VoicesError
from .model import DIALOGUE, NARRATOR, UNKNOWN, Script
from .voices import Cast, Character, VoiceProfile, default_cast, parse_cast, round_trip_yaml

NEW_NEURAL_FILE_HEADER = """\
# Casting for ficaudio. Re-cast a character by changing its voice, then render again.
# `ficaudio voices --engine hibari` and `--engine piper` list the voices. speed (hibari)
# or length_scale (Piper, above 1 is slower) sets the pace; semitones (-4 to 4) the pitch.
# `ficaudio cast STORY` adds new characters and keeps everything written here.
"""
NEW_FILE_HEADER = """\
# Casting for ficaudio. Re-cast a character by changing its voice, then render again.
# `ficaudio voices` lists the voice ids; add a variant with +, e.g. en-us+f3.
# rate is words per minute, pitch is 0-100 (50 is the voice's own).
# `ficaudio cast STORY` adds new characters and keeps everything written here.
"""

# espeak-ng's English accents by the story's accent (accent.py), the most neutral first:
# a story read in one accent gets its characters' voices from that accent only.
ACCENTS = {"en-us": ("en-us", "en-us-nyc"),
           "en-gb": ("en-gb-x-rp", "en-gb", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-gb-scotland")}
NARRATOR_ACCENT = {"en-us": "en-us", "en-gb": "en-gb-x-rp"}
# Accents of one family (two British ones) are only half as far apart as two families.
ACCENT_FAMILY = {"en-us": "us", "en-us-nyc": "us", "en-gb": "gb", "en-gb-x-rp": "gb", "en-gb-x-gbclan": "gb",
                 "en-gb-x-gbcwmd": "gb"}
# espeak-ng variants that sound like a person (not a robot, whisper or effect).
VARIANTS = {
    "female": ("f1", "f2", "f3", "f4", "f5", "Annie", "Alicia", "Andrea", "anika", "belinda", "linda", "steph"),
    "male": ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "Andy", "Lee", "Denis", "Hugo", "michel", "travis"),
}
# Like the default cast, a character of unknown gender gets a male-sounding voice.
VARIANTS["unknown"] = VARIANTS["male"]
# Variants espeak-ng marks female; its base voices and every other variant sound male.
FEMALE_VARIANTS = {"f1", "f2", "f3", "f4", "f5", "Alicia", "Andrea", "Annie", "anika", "anikaRobot", "aunty",
                   "belinda", "grandma", "linda", "steph", "steph2", "steph3", "whisperf"}
PITCHES = {"female": (60, 72, 50), "male": (40, 30, 50), "unknown": (50, 60, 40)}
RATE_STEPS = (0, 12, -12)  # words per minute around the narrator's rate

# Neural voices: a character on the same voice as another differs in pace, then pitch.
NEURAL_ENGINES = ("hibari", "piper")
NEURAL_PACES = (1.0, 1.08, 0.93)  # times the voice's own pace
# Offsets that keep a woman's voice above 165 Hz and a man's under 140 Hz (hibari's
# heart speaks at about 195 Hz, Piper's joe at about 96 Hz).
NEURAL_SEMITONES = {"female": (0.0, 1.5, 3.0), "male": (0.0, -1.5, 1.5), "unknown": (0.0, 1.0, -1.0)}
AUTO_ENGINES = (defaults.ENGINE, *NEURAL_ENGINES)  # the engines `cast` can hand out voices of

# How different two profiles sound, in rough "clearly different" units.
PARTNER_ENOUGH = 2.0  # characters in one scene: another accent and another pitch
OTHERS_ENOUGH = 1.0  # everyone else: at least another accent or pitch


@dataclass(frozen=True)
class Row:
    """One line of the table `cast` prints."""

    name: str
    aliases: tuple[str, ...]
    gender: str
    lines: int
    words: int
    profile: VoiceProfile
    added: bool


@dataclass(frozen=True)
class CastResult:
    path: Path
    rows: tuple[Row, ...]
    created: bool
    written: bool
    ignored: tuple[str, ...] = ()  # the file's `ignore:` names, left out of the cast
    accent: str = DEFAULT_ACCENT  # the accent new voices were given
    accent_reason: str = ""  # why: voices.yaml, or what in the story


def cast_stories(inputs, voices_path: str | Path, write: bool = True) -> CastResult:
    """Discover the characters of `inputs`, give the new ones voices, add them to the file."""
    from .attribution import attribute
    from .discover import discover, without_ignored
    from .ingest import ingest
    from .split import split

    path = Path(voices_path)
    existed = path.exists()
    raw, bom = _read(path)
    cast = parse_cast(raw, str(path)) if raw.strip() else default_cast(str(path))
    notes = dict(cast.reading)["notes"]
    scripts = [split(ingest(p), include_notes=notes) for p in inputs]
    accent, accent_reason = (cast.accent, "voices.yaml") if cast.accent else story_accent(scripts[0].work)
    if not raw.strip():
        cast = with_narrator_accent(cast, accent)
        raw = (NEW_NEURAL_FILE_HEADER + new_file_sections(cast, accent) if cast.narrator.engine != defaults.ENGINE
               else NEW_FILE_HEADER + new_file_sections(cast, accent, neural=False))
    characters = list(cast.characters)
    for script in scripts:
        for found in without_ignored(discover(script), cast.ignore):
            merge_characters(characters, found, first_new=len(cast.characters))
    everyone = cast.with_characters(characters)
    attributed = [attribute(s, everyone) for s in scripts]
    lines, words = _counts(attributed)
    new = characters[len(cast.characters):]
    new.sort(key=lambda c: (-lines[c.name], -words[c.name], c.name))
    profiles = assign_voices(new, everyone, _together(attributed), accent)
    text = add_characters(raw, [(c, profiles[c.name]) for c in new], cast)
    if new:
        _check_added(text, path, [c.name for c in new])
    written = write and (text != raw or not existed)
    if written:
        _write(path, ("\ufeff" if bom else "") + text)
    final = everyone.with_characters([c if c not in new else replace(c, profile=profiles[c.name])
                                      for c in characters])
    rows = tuple(
        Row(c.name, c.aliases, c.gender, lines[c.name], words[c.name], final.profile_for(c.name), c in new)
        for c in sorted(characters, key=lambda c: (-lines[c.name], -words[c.name], c.name))
    )
    return CastResult(path, rows, created=written and not existed, written=written, ignored=cast.ignore,
                      accent=accent, accent_reason=accent_reason)


def cast_for(script: Script, cast: Cast) -> Cast:
    """The cast that voices an attributed script: the file's characters, and every other
    speaker of the story with the voice `ficaudio cast` would give it (its gender's
    default where the defaults are not espeak-ng voices), so that a story rendered
    without casting still has a voice per character."""
    from .discover import discover, without_ignored

    # Reading the whole story for its accent is only worth it when a voice is to be chosen.
    accent = cache(lambda: cast.accent or story_accent(script.work)[0])
    if cast.source is None and is_default_narrator(cast):
        # No voices.yaml: the narrator reads in the story's accent too.
        cast = with_narrator_accent(cast, accent())
    lines = Counter(s.speaker for s in script.segments()
                    if s.kind == DIALOGUE and s.speaker not in (NARRATOR, UNKNOWN) and cast.character(s.speaker) is None)
    if not lines:
        return cast
    found = {c.name: c for c in script.characters}
    if any(name not in found for name in lines):  # e.g. an edited script's label
        found = {c.name: c for c in without_ignored(discover(script), cast.ignore)} | found
    new = sorted((found.get(name) or Character(name) for name in lines), key=lambda c: (-lines[c.name], c.name))
    everyone = cast.with_characters([*cast.characters, *new])
    if all(everyone.profile_for_gender(g).engine in AUTO_ENGINES for g in ("female", "male", "unknown")):
        profiles = assign_voices(new, everyone, _together([script]), accent())
        new = [replace(c, profile=profiles[c.name]) for c in new]
    return cast.with_characters([*cast.characters, *new])


def _read(path: Path) -> tuple[str, bool]:
    if not path.exists():
        return "", False
    try:
        data = path.read_bytes()
        bom = data.startswith(b"\xef\xbb\xbf")
        # Decoded without newline translation: CRLF files stay CRLF.
        return data[3 if bom else 0:].decode("utf-8"), bom
    except (OSError, UnicodeDecodeError) as exc:
        raise VoicesError(f"{path}: cannot read the voices file ({exc})") from exc


def merge_characters(characters: list[Character], found: Character, first_new: int) -> None:
    """Add a discovered character unless a known one shares a name or alias with it.
    Characters from the file stay as written; ones discovered in an earlier story
    gather the aliases (and a gender) found in later ones."""
    if found.name in (NARRATOR, UNKNOWN):
        return
    names = {n.casefold() for n in found.names}
    for i, known in enumerate(characters):
        if names & {n.casefold() for n in known.names}:
            if i >= first_new:
                aliases = [a for a in (*known.aliases, *found.names) if a.casefold() != known.name.casefold()]
                gender = known.gender if known.gender != "unknown" else found.gender
                characters[i] = replace(known, aliases=tuple(dict.fromkeys(aliases)), gender=gender)
            return
    characters.append(found)


def _counts(scripts: list[Script]) -> tuple[Counter, Counter]:
    lines: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for script in scripts:
        for s in script.segments():
            if s.kind == DIALOGUE:
                lines[s.speaker] += 1
                words[s.speaker] += len(s.text.split())
    return lines, words


def _together(scripts: list[Script]) -> Counter:
    """How strongly each pair of characters is heard together: scenes both speak in,
    plus turns where one answers the other."""
    pairs: Counter[frozenset] = Counter()
    for script in scripts:
        scenes: dict[int, set[str]] = {}
        previous = None
        for s in script.segments():
            if s.kind != DIALOGUE or s.speaker in (NARRATOR, UNKNOWN):
                continue
            scenes.setdefault(s.scene, set()).add(s.speaker)
            if previous is not None and previous != s.speaker:
                pairs[frozenset((previous, s.speaker))] += 1
            previous = s.speaker
        for speakers in scenes.values():
            for a in speakers:
                for b in speakers:
                    if a < b:
                        pairs[frozenset((a, b))] += 1
    return pairs


def palette(cast: Cast, gender: str, accent: str = DEFAULT_ACCENT) -> list[VoiceProfile]:
    """The profiles a new character of this gender may get, most natural first."""
    from .engines import get_engine

    base = cast.profile_for_gender(gender)
    if base.engine in NEURAL_ENGINES:
        found = neural_palette(gender, base, accent)
        if found:
            return found
    if base.engine != defaults.ENGINE:
        # Only espeak-ng's voices, variants, pitch and rate are known here; a cast on
        # another engine gets espeak-ng voices, named as such, so the file stays valid.
        base = VoiceProfile(engine=defaults.ENGINE, rate=cast.narrator.rate if cast.narrator.engine ==
                            defaults.ENGINE else defaults.RATE)
    engine = get_engine(base.engine)
    rates = [max(80, base.rate + step) for step in RATE_STEPS]
    pitches = PITCHES.get(gender, PITCHES["unknown"])
    ranked = []
    available = {v.id for v in engine.voices()}
    accents = [a for a in ACCENTS.get(accent, ACCENTS[DEFAULT_ACCENT]) if a in available] or sorted(available)
    known = set(engine.variant_names())
    variants = [v for v in VARIANTS.get(gender, VARIANTS["unknown"]) if v in known]
    for ai, accent in enumerate(accents):
        for vi, variant in enumerate(variants):
            for pi, pitch in enumerate(pitches):
                for ri, rate in enumerate(rates):
                    rank = ai + pi + 1.5 * ri + 0.5 * vi
                    ranked.append((rank, replace(base, voice=f"{accent}+{variant}", pitch=pitch, rate=rate)))
    ranked.sort(key=lambda r: r[0])
    return [p for _, p in ranked]


def neural_voices(gender: str, accent: str = DEFAULT_ACCENT) -> list[VoiceProfile]:
    """The neural voices of this gender on this machine, the best first: the story's
    accent, then hibari's before Piper voices whose gender is known."""
    from .engines import hibari
    from .engines.piper import installed_models

    found = [(hibari.registry()[name]["language"].lower(), VoiceProfile(engine="hibari", voice=name))
             for name in hibari.installed_voices(gender)]
    # installed_models reads package metadata only: it needs no piper-tts to answer.
    found += [(m.name.split("-")[0].replace("_", "-").lower(), VoiceProfile(engine="piper", voice="",
                                                                            options=(("model", m.name),)))
              for m in installed_models() if defaults.PIPER_GENDERS.get(m.name) == gender]
    # A stable sort: the story's accent first, each side in the order above.
    return [p for _, p in sorted(found, key=lambda f: f[0] != accent)]


def neural_palette(gender: str, base: VoiceProfile, accent: str = DEFAULT_ACCENT) -> list[VoiceProfile]:
    """Neural profiles for a new character: every voice of the gender, each at a few paces
    and pitch offsets; a character of unknown gender stays on its default's voice."""
    voices = neural_voices(gender, accent) if gender in ("female", "male") else [base]
    ranked = []
    for vi, voice in enumerate(voices):
        offset = float(voice.option("semitones", 0.0))
        for ri, pace in enumerate(NEURAL_PACES):
            for si, semitones in enumerate(NEURAL_SEMITONES.get(gender, NEURAL_SEMITONES["unknown"])):
                rank = 2 * vi + 1.2 * ri + si
                ranked.append((rank, _neural_profile(voice, pace, offset + semitones)))
    ranked.sort(key=lambda r: r[0])
    return [p for _, p in ranked]


def _neural_profile(voice: VoiceProfile, pace: float, semitones: float) -> VoiceProfile:
    options = {k: v for k, v in voice.options if k not in ("speed", "length_scale", "semitones")}
    if pace != 1.0:
        # hibari's speed is a pace; Piper's length_scale a duration, its inverse.
        options["speed" if voice.engine == "hibari" else "length_scale"] = (
            pace if voice.engine == "hibari" else round(1 / pace, 2))
    if semitones:
        options["semitones"] = semitones
    return replace(voice, options=tuple(sorted(options.items())))


def voice_gender(p: VoiceProfile) -> str | None:
    """The gender a voice sounds, where it is known."""
    if p.engine == defaults.ENGINE:
        variant = p.voice.rpartition("+")[2] if "+" in p.voice else ""
        return "female" if variant in FEMALE_VARIANTS else "male"
    if p.engine == "hibari":
        from .engines import hibari

        return hibari.registry().get(p.voice, {}).get("gender") if hibari.installed() else None
    if p.engine == "piper":
        return defaults.PIPER_GENDERS.get(str(p.option("model")))
    return None


def _pace(p: VoiceProfile) -> float:
    if p.engine == "hibari":
        return float(p.option("speed", 1.0))
    return 1 / float(p.option("length_scale", 1.0) or 1.0)


def _neural_distance(a: VoiceProfile, b: VoiceProfile) -> float:
    """Another voice 1.5, another gender 1, 2 semitones 1 (at most), a tenth of pace 0.5
    (at most 0.75)."""
    if (a.engine == defaults.ENGINE) != (b.engine == defaults.ENGINE):
        return 3.0
    voice_a = (a.engine, a.voice, a.option("model"))
    voice_b = (b.engine, b.voice, b.option("model"))
    return (
        1.5 * (voice_a != voice_b)
        + (voice_gender(a) != voice_gender(b))
        + min(abs(float(a.option("semitones", 0.0)) - float(b.option("semitones", 0.0))) / 2, 1.0)
        + min(abs(_pace(a) - _pace(b)) * 5, 0.75)
    )


def distance(a: VoiceProfile, b: VoiceProfile) -> float:
    """How apart two profiles sound: a woman's voice against a man's counts 1, another
    accent 1 (0.5 within a family), 20 steps of pitch 1, another variant 0.4, 40 words
    a minute 0.5. Neural profiles: see _neural_distance."""
    if a.engine != defaults.ENGINE or b.engine != defaults.ENGINE:
        return _neural_distance(a, b)
    accent_a, _, variant_a = a.voice.partition("+")
    accent_b, _, variant_b = b.voice.partition("+")
    family_a, family_b = ACCENT_FAMILY.get(accent_a, accent_a), ACCENT_FAMILY.get(accent_b, accent_b)
    return (
        (a.engine != b.engine)
        + ((variant_a in FEMALE_VARIANTS) != (variant_b in FEMALE_VARIANTS))
        + 0.5 * (accent_a != accent_b) + 0.5 * (family_a != family_b)
        + min(abs(a.pitch - b.pitch) / 20, 1.5)
        + 0.4 * (variant_a != variant_b)
        + min(abs(a.rate - b.rate) / 80, 0.5)
    )


def assign_voices(new: list[Character], cast: Cast, together: Counter,
                  accent: str = DEFAULT_ACCENT) -> dict[str, VoiceProfile]:
    """A profile for each new character (in order: the most talkative choose first).

    Each takes the most natural palette entry that is clearly apart from the characters
    it shares scenes with and, after that, from everyone else and the narrator. No
    profile is used twice, nor the narrator's, while the palette lasts.
    """
    chosen = {c.name: cast.profile_for(c.name) for c in cast.characters if c not in new}
    used = {_ident(cast.narrator), _ident(cast.unknown), *(_ident(p) for p in chosen.values())}
    assigned: dict[str, VoiceProfile] = {}
    for character in new:
        options = palette(cast, character.gender, accent)
        fresh = [p for p in options if _ident(p) not in used] or options
        partners = [p for name, p in chosen.items() if together[frozenset((name, character.name))]]
        others = [cast.narrator, *chosen.values()]

        def score(indexed):
            index, p = indexed
            near_partner = min((distance(p, q) for q in partners), default=PARTNER_ENOUGH)
            near_other = min(distance(p, q) for q in others)
            return (-min(near_partner, PARTNER_ENOUGH), -min(near_other, OTHERS_ENOUGH), index)

        _, best = min(enumerate(fresh), key=score)
        assigned[character.name] = chosen[character.name] = best
        used.add(_ident(best))
    return assigned


def _ident(p: VoiceProfile):
    return (p.engine, p.voice, p.pitch, p.rate, p.volume, p.options)


# --- writing entries into the file as text ---------------------------------------

def add_characters(raw: str, entries: list[tuple[Character, VoiceProfile]], cast: Cast) -> str:
    """`raw` with entries for the new characters added at the end of `characters:`;
    every other byte stays as it was."""
    if not entries:
        return raw
    nl = "\r\n" if "\r\n" in raw else "\n"
    data = round_trip_yaml().load(raw) if raw.strip() else None
    if not isinstance(data, dict):  # no file, or only comments
        head = raw if raw.strip() else NEW_FILE_HEADER.replace("\n", nl)
        return _ended(head, nl) + nl + "characters:" + nl + _entries(entries, cast, "  ", "  ", nl)
    if "characters" not in data:
        return _ended(raw, nl) + nl + "characters:" + nl + _entries(entries, cast, "  ", "  ", nl)
    section = data["characters"]
    lines = raw.splitlines(keepends=True)
    key_line = data.lc.key("characters")[0]
    if section is None or (isinstance(section, dict) and not section and not section.fa.flow_style()):
        at = key_line + 1
        indent, step = "  ", "  "
    elif isinstance(section, dict) and not section.fa.flow_style():
        indent, step = _indents(section)
        later = [data.lc.key(k)[0] for k in data if data.lc.key(k)[0] > key_line]
        at = min(later, default=len(lines))
        # Comments and blank lines just before the next key belong to it.
        while at > key_line + 1 and (not lines[at - 1].strip() or lines[at - 1].startswith("#")):
            at -= 1
    else:
        return _round_trip(data, entries, cast)
    if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += nl
    return "".join(lines[:at]) + _entries(entries, cast, indent, step, nl) + "".join(lines[at:])


def _ended(text: str, nl: str) -> str:
    return text if not text or text.endswith(("\n", "\r")) else text + nl


def _indents(section) -> tuple[str, str]:
    """The indentation of character names, and of their keys, as the file has them."""
    first = next(iter(section))
    col = section.lc.key(first)[1]
    step = 2
    for name in section:
        value = section[name]
        if isinstance(value, dict) and value and not value.fa.flow_style():
            step = value.lc.key(next(iter(value)))[1] - col
            break
    return " " * col, " " * max(1, step)


def _entries(entries, cast: Cast, indent: str, step: str, nl: str) -> str:
    out = []
    for character, profile in entries:
        base = cast.profile_for_gender(character.gender)
        out.append(f"{indent}{_scalar(character.name)}:")
        if character.aliases:
            out.append(f"{indent}{step}aliases: [{', '.join(_scalar(a) for a in character.aliases)}]")
        out.append(f"{indent}{step}gender: {character.gender}")
        for key, value in _profile_keys(profile, base).items():
            out.append(f"{indent}{step}{key}: {_scalar(value) if isinstance(value, str) else f'{value:g}'}")
    return nl.join(out) + nl


def _profile_keys(profile: VoiceProfile, base: VoiceProfile) -> dict:
    """What an entry writes for its profile: espeak-ng's voice, pitch and rate, or a neural
    engine's voice and options."""
    keys = {}
    if profile.engine != base.engine:
        keys["engine"] = profile.engine
    if profile.engine == defaults.ENGINE:
        keys.update(voice=profile.voice, pitch=profile.pitch, rate=profile.rate)
        return keys
    if profile.voice:
        keys["voice"] = profile.voice
    keys.update(dict(profile.options))
    return keys


def is_default_narrator(cast: Cast) -> bool:
    """Is the narrator espeak-ng's default voice, which takes the story's accent?"""
    return cast.narrator.engine == defaults.ENGINE and cast.narrator.voice == defaults.NARRATOR_VOICE


def with_narrator_accent(cast: Cast, accent: str) -> Cast:
    """The default espeak-ng narrator in the story's accent (a neural narrator keeps its voice)."""
    if is_default_narrator(cast):
        return replace(cast, narrator=replace(cast.narrator, voice=NARRATOR_ACCENT.get(accent, cast.narrator.voice)))
    return cast


def new_file_sections(cast: Cast, accent: str, neural: bool = True) -> str:
    """What a new file says before its characters: the accent, and for a neural cast
    narrator:, unknown: and defaults: written out, so that the file reads the same
    wherever it is rendered, extras installed or not."""
    def flow(p: VoiceProfile) -> str:
        keys = _profile_keys(p, VoiceProfile(engine=""))
        return "{" + ", ".join(f"{k}: {v if isinstance(v, str) else f'{v:g}'}" for k, v in keys.items()) + "}"

    lines = [f"accent: {accent}          # en-us or en-gb: the accent `cast` gives new voices"]
    if neural:
        lines += [f"narrator: {flow(cast.narrator)}", f"unknown: {flow(cast.unknown)}", "defaults:"]
        lines += [f"  {g}: {flow(p)}" for g, p in cast.by_gender]
    elif cast.narrator.voice != defaults.NARRATOR_VOICE:
        lines += [f"narrator: {{voice: {cast.narrator.voice}}}"]
    return "\n".join(lines) + "\n"


_PLAIN = re.compile(r"[A-Za-z][\w.'+\- ]*[\w.']|[A-Za-z]")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _scalar(text: str) -> str:
    """A name as a YAML scalar, plain when that is safe (also inside [ ])."""
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _round_trip(data, entries, cast: Cast) -> str:
    """For a `characters:` written in flow style ({...}), where text cannot be inserted
    line by line: ruamel's round trip, which keeps comments and order."""
    import io

    section = data["characters"]
    for character, profile in entries:
        base = cast.profile_for_gender(character.gender)
        entry = {"aliases": list(character.aliases), "gender": character.gender}
        entry.update(_profile_keys(profile, base))
        section[character.name] = entry
    out = io.StringIO()
    yaml = round_trip_yaml()
    yaml.width = 4096
    yaml.dump(data, out)
    return out.getvalue()


def _check_added(text: str, path: Path, names: list[str]) -> None:
    """The file must still read as a cast, with every new character in it."""
    try:
        names_now = {c.name for c in parse_cast(text, str(path)).characters}
    except VoicesError as exc:
        raise VoicesError(f"{path}: adding characters would break the file ({exc}); nothing was written. "
                          "Add them by hand, or move `characters:` to the end of the file") from None
    missing = [n for n in names if n not in names_now]
    if missing:
        raise VoicesError(f"{path}: could not add {', '.join(missing)} safely; nothing was written. "
                          "Add them by hand, or move `characters:` to the end of the file")


def _write(path: Path, text: str) -> None:
    from .cache import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise VoicesError(f"{path}: cannot write the voices file ({exc.strerror})") from exc


def describe(profile: VoiceProfile) -> str:
    if profile.engine == defaults.ENGINE:
        return f"{profile.voice} pitch {profile.pitch:g} rate {profile.rate:g}"
    # Other engines are described by their own settings (Piper: model, semitones ...).
    return " ".join([profile.engine, *([profile.voice] if profile.voice else []),
                     *(f"{k} {v}" for k, v in profile.options)])


def table(rows) -> str:
    """The characters as an aligned text table."""
    header = ("character", "aliases", "gender", "lines", "words", "voice", "")
    body = [
        (r.name, ", ".join(r.aliases) or "-", r.gender, str(r.lines), str(r.words), describe(r.profile),
         "added" if r.added else "in file")
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    numeric = {3, 4}

    def line(row):
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    return "\n".join(line(r) for r in [header, *body])


def cast_warnings(script: Script, cast: Cast) -> list[str]:
    """What in a voices.yaml looks like a mistake for this story: characters the story
    never names (a misspelt name, another fic's cast), and a gender the voice contradicts
    (a woman on an espeak-ng male variant)."""
    text = script.work.text if script.work is not None else " ".join(s.text for s in script.segments())
    where = cast.source or "voices.yaml"
    warnings = []
    for c in cast.characters:
        if not any(re.search(r"(?<!\w)%s(?!\w)" % re.escape(n), text) for n in c.names if n.strip()):
            warnings.append(f"{where}: {c.name} is never named in this story; check the spelling, or add the "
                            "name the story uses to its aliases")
        variant = (c.profile.voice.rpartition("+")[2] if c.profile and c.profile.engine == defaults.ENGINE
                   and "+" in c.profile.voice else "")
        says = "female" if re.fullmatch(r"f\d", variant) else "male" if re.fullmatch(r"m\d", variant) else None
        if says and c.gender in ("female", "male") and says != c.gender:
            warnings.append(f"{where}: {c.name} is {c.gender} but voice {c.profile.voice} is a {says} variant; "
                            f"change gender: or voice:")
        elif c.profile and c.profile.engine in NEURAL_ENGINES and c.gender in ("female", "male"):
            sounds = voice_gender(c.profile)
            if sounds and sounds != c.gender:
                warnings.append(f"{where}: {c.name} is {c.gender} but the voice {describe(c.profile)} is a "
                                f"{sounds} voice; change gender: or the voice")
    return warnings

