"""Speech engines behind one small interface, registered by name.

An engine turns text and a voice profile into audio. To add one, subclass Engine and
decorate it with @register("name").
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pydub import AudioSegment

from ..errors import EngineError, VoicesError

_REGISTRY: dict[str, type["Engine"]] = {}
_INSTANCES: dict[str, "Engine"] = {}


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    gender: str | None = None
    language: str | None = None


class Engine:
    """One speech engine. Instances are per process: engines hold native state."""

    name: str = ""
    # The voices' maker, as the files credit it ("read by ficaudio with espeak-ng voices").
    credit: str = ""
    # Profile keys this engine understands beyond the common ones.
    extra_keys: frozenset[str] = frozenset()
    # Reads espeak-ng phonemes written [[like this]] inline (voices.yaml pronunciations).
    phoneme_input: bool = False

    def version(self) -> str:
        """Part of the cache key: a new engine version may sound different."""
        return "0"

    def voice_version(self, profile) -> str:
        """Also part of the cache key: the identity of the voice data a profile uses (a
        model file, say), so replacing it synthesizes the profile's lines again."""
        return ""

    def voices(self) -> list[VoiceInfo]:
        raise NotImplementedError

    def check(self, profile) -> None:
        """Raise VoicesError if the profile names a voice this engine does not have."""
        ids = {v.id for v in self.voices()}
        if profile.voice not in ids:
            raise VoicesError(unknown_voice_message(profile.voice, ids, self.name))

    def synthesize(self, text: str, profile) -> AudioSegment:
        raise NotImplementedError

    # Reads a line the same way every time, so a retake sounds no different (espeak-ng).
    deterministic: bool = True

    def retake(self, profile, take: int):
        """The profile for the `take`-th new reading of a line (`check --fix`). The take
        is part of the profile, so of the cache key: the line is synthesized afresh."""
        from dataclasses import replace

        options = dict(profile.options)
        options["take"] = take
        return replace(profile, options=tuple(sorted(options.items())))


def seed_option(profile) -> int:
    """The noise seed of a neural voice's profile (`seed:`, default 0)."""
    value = profile.option("seed", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise VoicesError("seed must be a whole number (0 or more); another seed reads a line differently")
    return value


def reseeded(profile, take: int):
    """The profile for the `take`-th new reading of a line by an engine whose noise
    follows `seed:`: the same line with another seed."""
    from dataclasses import replace

    options = dict(profile.options)
    options["seed"] = seed_option(profile) + take
    return replace(profile, options=tuple(sorted(options.items())))


def ranged_option(options: dict, key: str, ranges: dict) -> float | None:
    """An engine option that must be a number in ranges[key]; None when it is not set."""
    value = options.get(key)
    if value is None:
        return None
    lo, hi = ranges[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise VoicesError(f"{key} must be a number from {lo} to {hi}")
    if not lo <= value <= hi:
        raise VoicesError(f"{key} = {value} is out of range ({lo} to {hi})")
    return float(value)


def unknown_voice_message(voice: str, ids, engine: str) -> str:
    near = difflib.get_close_matches(voice, sorted(ids), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    return f"unknown voice id '{voice}' for engine {engine}{hint} (run `ficaudio voices` to list them)"


def register(name: str):
    def wrap(cls):
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def engine_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def engine_class(name: str) -> type[Engine]:
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise EngineError(
            f"unknown engine '{name}'; valid engines: {', '.join(engine_names())}"
        ) from None


def get_engine(name: str) -> Engine:
    """The process-wide instance of an engine (created on first use)."""
    if name not in _INSTANCES:
        _INSTANCES[name] = engine_class(name)()
    return _INSTANCES[name]


def _load_builtin():
    from . import fake, hibari, piper, pyttsx3_engine  # noqa: F401  (registers them)
