"""Casting: read voices.yaml into a Cast of voice profiles, validated on load.

voices.yaml (every section optional):

    narrator: {engine: pyttsx3, voice: en-us, rate: 170, pitch: 50, volume: 1.0}
    unknown: {voice: en-us+m1}          # lines no one could be attributed to
    defaults:                            # characters that are not cast
      female: {voice: en-us+f2}
      male: {voice: en-us+m3}
    characters:
      Lexie:
        aliases: [Lex, Lexie Grey, Little Grey]
        gender: female
        voice: en-us+f3
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from . import defaults
from .errors import FicaudioError, VoicesError
from .model import NARRATOR, UNKNOWN

PROFILE_KEYS = {"engine", "voice", "rate", "pitch", "volume"}
CHARACTER_KEYS = PROFILE_KEYS | {"aliases", "gender"}
TOP_KEYS = {"narrator", "unknown", "defaults", "characters", "pronunciations", "reading", "cover", "ignore",
            "reader", "accent"}
GENDERS = ("female", "male", "unknown")
_GENDER_WORDS = {"f": "female", "female": "female", "woman": "female", "m": "male", "male": "male",
                 "man": "male", "u": "unknown", "unknown": "unknown", "x": "unknown", "nonbinary": "unknown",
                 "non-binary": "unknown", "neutral": "unknown", "other": "unknown", "n/a": "unknown",
                 "none": "unknown", "": "unknown"}
_RANGES = {"rate": (40, 600), "pitch": (0, 100), "volume": (0.0, 2.0)}
# A casting file is a few KB of short values; limits keep a hostile one from hanging a render.
MAX_FILE_CHARS = 1_000_000
MAX_VALUE_CHARS = 1000
MAX_DEPTH = 20


@dataclass(frozen=True)
class VoiceProfile:
    engine: str = defaults.ENGINE
    voice: str = defaults.NARRATOR_VOICE
    rate: float = defaults.RATE
    pitch: float = defaults.PITCH
    volume: float = defaults.VOLUME
    # Engine-specific settings (Piper's model, speaker, length_scale ...), sorted.
    options: tuple[tuple[str, object], ...] = ()

    def option(self, key: str, default=None):
        return dict(self.options).get(key, default)


@dataclass(frozen=True)
class Character:
    name: str
    aliases: tuple[str, ...] = ()
    gender: str = "unknown"
    profile: VoiceProfile | None = None  # None: the default for the gender

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Cast:
    narrator: VoiceProfile = VoiceProfile()
    unknown: VoiceProfile = VoiceProfile(voice=defaults.UNKNOWN_VOICE)
    by_gender: tuple[tuple[str, VoiceProfile], ...] = tuple(
        (g, VoiceProfile(voice=v)) for g, v in defaults.VOICE_BY_GENDER.items()
    )
    characters: tuple[Character, ...] = ()
    pronunciations: tuple[tuple[str, str], ...] = ()
    # Every key of defaults.READING, with the file's values over the defaults.
    reading: tuple[tuple[str, object], ...] = tuple(defaults.READING.items())
    cover: str | None = None
    source: str | None = None  # the file it was read from
    # Names the story has that are not characters (a place, a pet rock): never cast.
    ignore: tuple[str, ...] = ()
    # Who the files credit as the reader; by default ficaudio and its voice engines.
    reader: str | None = None
    # en-us or en-gb: the accent `cast` gives new voices; None: the story's own (accent.py).
    accent: str | None = None

    def engines(self) -> tuple[str, ...]:
        """The engines this cast speaks with, narrator first."""
        profiles = [self.narrator, *(self.profile_for(c.name) for c in self.characters), self.unknown]
        return tuple(dict.fromkeys(p.engine for p in profiles))

    def character(self, name: str) -> Character | None:
        for c in self.characters:
            if c.name == name:
                return c
        return None

    def profile_for(self, speaker: str) -> VoiceProfile:
        if speaker == NARRATOR:
            return self.narrator
        if speaker == UNKNOWN:
            return self.unknown
        c = self.character(speaker)
        if c is not None and c.profile is not None:
            return c.profile
        return self.profile_for_gender(c.gender if c is not None else "unknown")

    def profile_for_gender(self, gender: str) -> VoiceProfile:
        """The default profile for characters of this gender without one of their own."""
        by_gender = dict(self.by_gender)
        return by_gender.get(gender) or by_gender["unknown"]

    def with_characters(self, characters) -> "Cast":
        return replace(self, characters=tuple(characters))

    def profiles(self) -> dict[str, VoiceProfile]:
        """Every profile the cast can use, by a label for error messages."""
        found = {"narrator": self.narrator, "unknown": self.unknown}
        found.update({f"defaults.{g}": p for g, p in self.by_gender})
        found.update({f"characters.{c.name}": c.profile for c in self.characters if c.profile})
        return found


def normalise_gender(value) -> str:
    """female, male or unknown; "gender:" left empty is unknown too."""
    return _GENDER_WORDS.get("" if value is None else str(value).strip().lower(), "unknown")


def neural_installed() -> bool:
    """Are the neural extra's engines and voices here (hibari-tts, piper-tts and a voice)?"""
    from importlib import util

    if util.find_spec("hibari") is None or util.find_spec("piper") is None:
        return False
    from .engines.piper import installed_models

    return any(m.name == defaults.NEURAL_BY_GENDER["male"]["model"] for m in installed_models())


def _profile_from(spec: dict) -> VoiceProfile:
    engine = spec["engine"]
    options = {k: v for k, v in spec.items() if k not in ("engine", "voice")}
    return VoiceProfile(engine=engine, voice=spec.get("voice", _default_voice_for(engine)),
                        options=tuple(sorted(options.items())))


def default_cast(source: str | None = None) -> Cast:
    """The cast of a story without a voices.yaml: neural voices when the neural extra is
    installed, else espeak-ng's."""
    if not neural_installed():
        return Cast(source=source)
    by_gender = tuple((g, _profile_from(spec)) for g, spec in defaults.NEURAL_BY_GENDER.items())
    return Cast(narrator=_profile_from(defaults.NEURAL_NARRATOR), unknown=dict(by_gender)["unknown"],
                by_gender=by_gender, source=source)


def load_cast(path: str | Path | None, required: bool = False) -> Cast:
    """Read voices.yaml. With no file (and not required), the default cast."""
    if path is None:
        path = Path(defaults.VOICES_FILE)
        if not path.exists():
            return default_cast()
    path = Path(path)
    if not path.exists():
        if required:
            raise VoicesError(f"{path}: no such voices file; check --voices")
        return default_cast()
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise VoicesError(f"{path}: cannot read the voices file ({exc})") from exc
    return parse_cast(raw, str(path))


def round_trip_yaml():
    from ruamel.yaml import YAML

    # Round-trip mode keeps line numbers for messages; it constructs no Python objects.
    yaml = YAML(typ="rt")
    # A key listed twice alike (as a script writing one entry per row of a spreadsheet
    # may) is one key; parse_cast refuses one listed twice differently.
    yaml.allow_duplicate_keys = True
    return yaml


def parse_cast(raw: str, source: str = "voices.yaml") -> Cast:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if len(raw) > MAX_FILE_CHARS:
        raise VoicesError(f"{source}: {len(raw) // 1000:,} KB is far too big for a casting file "
                          f"(at most {MAX_FILE_CHARS // 1000} KB); is it the right file?")
    try:
        _refuse_differing_duplicates(raw, source)
        data = round_trip_yaml().load(raw)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        raise VoicesError(f"{where}: malformed YAML: {_one_line(exc.problem or exc.context)}") from None
    except YAMLError as exc:
        raise VoicesError(f"{source}: malformed YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise VoicesError(f"{source}: nested too deeply for a casting file") from None
    if data is None:
        return Cast(source=source)
    _refuse_tags(data, source)
    return _Reader(source).cast(data)


def _refuse_differing_duplicates(raw: str, source: str) -> None:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    def plain(node):
        if isinstance(node, MappingNode):
            return tuple((plain(k), plain(v)) for k, v in node.value)
        if isinstance(node, SequenceNode):
            return tuple(plain(v) for v in node.value)
        return node.value

    def walk(node, depth=0):
        # A node met twice is an alias (*name): expanded, a few hundred bytes of them
        # grow exponentially ("billion laughs"). Casting files have no use for them.
        if id(node) in seen:
            raise VoicesError(f"{source}:{node.start_mark.line + 1}: YAML anchors and aliases (&name, *name) "
                              "are not allowed in voices.yaml; write the values out")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise VoicesError(f"{source}:{node.start_mark.line + 1}: nested too deeply for a casting file")
        if isinstance(node, MappingNode):
            first: dict = {}
            for key, value in node.value:
                walk(key, depth + 1)
                walk(value, depth + 1)
                name = plain(key)
                if name in first and plain(first[name][1]) != plain(value):
                    raise VoicesError(
                        f"{source}:{key.start_mark.line + 1}: '{_short(name)}' is listed twice, differently "
                        f"(first at line {first[name][0].start_mark.line + 1}); keep one of them"
                    )
                first.setdefault(name, (key, value))
        elif isinstance(node, SequenceNode):
            for value in node.value:
                walk(value, depth + 1)
        elif len(str(node.value)) > MAX_VALUE_CHARS:
            raise VoicesError(f"{source}:{node.start_mark.line + 1}: a value of {len(str(node.value)):,} characters "
                              f"({_short(str(node.value))!r}); values in voices.yaml are at most {MAX_VALUE_CHARS}")

    seen: set[int] = set()
    depth = deepest = 0
    for ch in raw:  # flow brackets, counted before the parser recurses into them
        depth += (ch in "[{") - (ch in "]}")
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise VoicesError(f"{source}: nested too deeply for a casting file ({deepest} brackets deep)")
    try:
        root = round_trip_yaml().compose(raw)
    except RecursionError:
        raise VoicesError(f"{source}: nested too deeply for a casting file") from None
    if root is not None:
        walk(root)


def _one_line(text) -> str:
    return " ".join(str(text).split())[:300]


def _short(text, n: int = 40) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _refuse_tags(node, source, line=""):
    """Refuse YAML tags that ask for Python objects: voices.yaml is plain data."""
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", None) if tag is not None else None
    # "!!python/..." expands to a tag:yaml.org,2002:python/ tag, so the prefix alone proves nothing.
    standard = value and value.startswith("tag:yaml.org,2002:") and not value.startswith("tag:yaml.org,2002:python/")
    if value and not standard:
        line = _line_of(node) or line
        raise VoicesError(f"{source}{line}: the YAML tag {value} is not allowed; voices.yaml holds plain values")
    if isinstance(node, dict):
        for k, v in node.items():
            _refuse_tags(v, source, _line_of(node, k) or line)
    elif isinstance(node, list):
        for v in node:
            _refuse_tags(v, source, _line_of(node) or line)


def _line_of(node, key=None) -> str:
    lc = getattr(node, "lc", None)
    if lc is None:
        return ""
    try:
        line = lc.key(key)[0] if key is not None else lc.line
    except (KeyError, TypeError, AttributeError):
        return ""
    return f":{line + 1}" if isinstance(line, int) else ""


class _Reader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, node, key, message):
        raise VoicesError(f"{self.source}{_line_of(node, key)}: {message}")

    def mapping(self, node, key, what):
        value = node[key]
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(node, key, f"'{what}' must be a mapping of keys to values")
        return value

    def cast(self, data) -> Cast:
        if not isinstance(data, dict):
            raise VoicesError(f"{self.source}: voices.yaml must be a mapping (narrator:, characters: ...)")
        for key in data:
            if key not in TOP_KEYS:
                self.fail(data, key, f"unknown key '{key}'; valid keys: {', '.join(sorted(TOP_KEYS))}")
        base = Cast()
        narrator = self.profile(data, "narrator", base.narrator) if "narrator" in data else base.narrator
        unknown = self.profile(data, "unknown", base.unknown) if "unknown" in data else base.unknown
        by_gender = dict(base.by_gender)
        if "defaults" in data:
            section = self.mapping(data, "defaults", "defaults")
            for g in section:
                if g not in GENDERS:
                    self.fail(section, g, f"unknown gender '{g}' in defaults; use {', '.join(GENDERS)}")
                by_gender[g] = self.profile(section, g, by_gender[g], f"defaults.{g}")
        characters = []
        if "characters" in data:
            section = self.mapping(data, "characters", "characters")
            for name in section:
                characters.append(self.character(section, name, by_gender))
        pronunciations = self.pronunciations(data) if "pronunciations" in data else ()
        reading = self.reading(data) if "reading" in data else base.reading
        cover = data.get("cover")
        ignore = self.ignore(data) if "ignore" in data else ()
        reader = data.get("reader")
        if reader is not None and (not isinstance(reader, str) or not reader.strip()):
            self.fail(data, "reader", "'reader' must be the name the files credit as the reader, e.g. reader: Sam")
        accent = data.get("accent")
        if accent is not None:
            from .accent import ACCENTS

            if not isinstance(accent, str) or accent.strip().lower() not in ACCENTS:
                self.fail(data, "accent", f"accent must be one of {', '.join(ACCENTS)} (the accent new voices get)")
            accent = accent.strip().lower()
        return Cast(narrator, unknown, tuple(by_gender.items()), tuple(characters), pronunciations,
                    reading, str(cover) if cover else None, self.source, ignore,
                    " ".join(reader.split()) if reader else None, accent)

    def ignore(self, data) -> tuple[str, ...]:
        names = data["ignore"]
        if names is None:
            return ()
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            self.fail(data, "ignore", "'ignore' must be a list of names that are not characters, e.g. [Ostrel, Rye]")
        return tuple(" ".join(n.split()) for n in names)

    def pronunciations(self, data) -> tuple[tuple[str, str], ...]:
        section = self.mapping(data, "pronunciations", "pronunciations")
        found = []
        for word, said in section.items():
            if not isinstance(word, str) or not word.strip():
                self.fail(section, word, f"pronunciations: '{word}' must be a word or name from the text")
            if not isinstance(said, str) or not said.strip():
                self.fail(section, word, f"pronunciations.{word} must be text to say instead, e.g. "
                          f"{word}: {word.upper()}-ee, or espeak-ng phonemes in [[...]]")
            if said.count("[[") != said.count("]]"):
                self.fail(section, word, f"pronunciations.{word}: phonemes must be written [[like this]]; "
                          "a [[ or ]] is missing")
            found.append((word.strip(), said.strip()))
        return tuple(found)

    def reading(self, data) -> tuple[tuple[str, object], ...]:
        section = self.mapping(data, "reading", "reading")
        options = dict(defaults.READING)
        for key, value in section.items():
            if key not in defaults.READING:
                self.fail(section, key, f"unknown key '{key}' in reading; valid keys: {', '.join(defaults.READING)}")
            if not isinstance(value, bool):
                self.fail(section, key, f"reading.{key} must be true or false, not {value!r}")
            options[key] = value
        return tuple(options.items())

    def character(self, section, name, by_gender) -> Character:
        node = section[name]
        if node is None:
            node = {}
        if isinstance(node, str):  # "Lexie: en-us+f3" as a shorthand for the voice
            node = {"voice": node}
        if not isinstance(node, dict):
            self.fail(section, name, f"character '{name}' must be a mapping (aliases, gender, voice ...)")
        inherited = (by_gender.get(normalise_gender(node.get("gender", "unknown"))) or by_gender["unknown"]).engine
        extra = _extra_keys(node, inherited)
        for key in node:
            if key not in CHARACTER_KEYS and key not in extra:
                self.fail(node, key, f"unknown key '{key}' for character '{name}'; valid keys: "
                          f"{', '.join(sorted(CHARACTER_KEYS | extra))}")
        aliases = node.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        if not isinstance(aliases, list):
            self.fail(node, "aliases", f"aliases of '{name}' must be a list of names")
        gender = normalise_gender(node.get("gender", "unknown"))
        if "gender" in node and node["gender"] is not None and str(node["gender"]).strip().lower() not in _GENDER_WORDS:
            self.fail(node, "gender", f"gender of '{name}' must be female, male or unknown")
        profile = None
        if set(node) & (PROFILE_KEYS | extra):
            profile = self.profile(section, name, by_gender.get(gender) or by_gender["unknown"], f"characters.{name}")
        return Character(str(name), tuple(str(a) for a in aliases if str(a).strip()), gender, profile)

    def profile(self, parent, key, base: VoiceProfile, label=None) -> VoiceProfile:
        label = label or key
        node = parent[key]
        if node is None:
            return base
        if isinstance(node, str):
            return replace(base, voice=node)
        if not isinstance(node, dict):
            self.fail(parent, key, f"'{label}' must be a mapping (engine, voice, rate ...)")
        allowed = PROFILE_KEYS | _extra_keys(node, base.engine)
        if label.startswith("characters."):
            allowed |= CHARACTER_KEYS
        values = {}
        options = dict(base.options) if node.get("engine", base.engine) == base.engine else {}
        for k, v in node.items():
            if k not in allowed:
                self.fail(node, k, f"unknown key '{k}' in {label}; valid keys: {', '.join(sorted(allowed))}")
            if k in ("aliases", "gender"):
                continue
            if k in _RANGES:
                lo, hi = _RANGES[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    self.fail(node, k, f"{label}.{k} must be a number from {lo} to {hi}")
                if not lo <= v <= hi:
                    self.fail(node, k, f"{label}.{k} = {v} is out of range ({lo} to {hi})")
                values[k] = v
            elif k in ("engine", "voice"):
                if not isinstance(v, str) or not v.strip():
                    self.fail(node, k, f"{label}.{k} must be a name")
                values[k] = v.strip()
            elif isinstance(v, (list, dict)):
                what = "a list" if isinstance(v, list) else "a mapping"
                self.fail(node, k, f"{label}.{k} must be a single value (a name or a number), not {what}")
            else:
                options[k] = v
        try:
            from .engines import engine_class

            engine_class(values.get("engine", base.engine))
        except FicaudioError as exc:
            self.fail(node, "engine" if "engine" in node else None, str(exc))
        if "engine" in values and values["engine"] != base.engine:
            # Another engine's voice, rate and pitch mean nothing to this one (Piper has no
            # espeak-ng voice ids, and no 0-100 pitch): start from the defaults.
            base = VoiceProfile(engine=values["engine"], voice=_default_voice_for(values["engine"]))
        return replace(base, options=tuple(sorted(options.items())), **values)


def _extra_keys(node, inherited: str = defaults.ENGINE) -> set[str]:
    """The engine-specific keys a profile may have: its own engine's, or the one it inherits."""
    from .engines import engine_class

    engine = node.get("engine", inherited) if isinstance(node, dict) else inherited
    try:
        return set(engine_class(str(engine)).extra_keys)
    except FicaudioError:
        return set()


def _default_voice_for(engine: str) -> str:
    from .engines import engine_class

    return getattr(engine_class(engine), "default_voice", defaults.NARRATOR_VOICE)


def check_cast(cast: Cast) -> None:
    """Check the voice of every profile the render can use against its engine, before
    any audio is made."""
    from .engines import get_engine

    for label, profile in cast.profiles().items():
        try:
            get_engine(profile.engine).check(profile)
        except FicaudioError as exc:
            where = cast.source or "voices.yaml"
            line = _profile_line(cast.source, label)
            raise VoicesError(f"{where}{line}: {label}: {exc}") from None


def _profile_line(source: str | None, label: str) -> str:
    """The line of a profile's voice key, for messages about a voice id."""
    if not source or not Path(source).exists():
        return ""
    try:
        data = round_trip_yaml().load(Path(source).read_text(encoding="utf-8-sig"))
        node = data
        for part in label.split(".", 1) if label.startswith(("characters.", "defaults.")) else [label]:
            parent, node = node, node[part]
        if isinstance(node, dict) and "voice" in node:
            return _line_of(node, "voice")
        return _line_of(parent, part)
    except Exception:  # noqa: BLE001 - the message is still useful without a line
        return ""
