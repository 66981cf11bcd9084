"""hibari: small neural English voices (distilled from Kokoro-82M), beside pyttsx3 and Piper.

A profile names a hibari voice with `voice:` (heart, kore: American women; fenrir:
American man; emma, fable: British woman and man) or its own model file with `model:`.
Only `heart` ships inside the hibari-tts wheel; hibari would download the others on
first use, which fails offline and must never happen in the middle of a render, so
ficaudio looks for their files itself (where hibari keeps them: HIBARI_HOME, else
~/.cache/hibari) and otherwise stops before any audio with the file to fetch and where
to put it. hibari-tts (Apache-2.0) is the `neural` extra.

`speed` paces the voice (hibari's own control, which scales durations evenly), and
`semitones` shifts its pitch (dsp.py), so one voice can read several characters.
Each line is synthesized with a fixed noise seed: the same line always sounds the same,
and `seed:` gives a line read differently. The model runs on one thread: synthesis
already runs a worker process per core.
"""

from __future__ import annotations

import difflib
from importlib import metadata, util
from pathlib import Path

from pydub import AudioSegment

from ..errors import EngineError, VoicesError
from . import Engine, VoiceInfo, ranged_option, register, reseeded, seed_option

INSTALL = "pip install 'ficaudio[neural]'"
RANGES = {"speed": (0.5, 2.0), "semitones": (-4, 4)}
VOICE_SITE = "https://huggingface.co/maureesewilliams/hibari/resolve/main/voices/"


def _require_hibari() -> None:
    if not installed():
        raise EngineError(f"hibari voices need hibari-tts, an optional extra: run `{INSTALL}`")


def registry() -> dict[str, dict]:
    """hibari's voices: name -> {gender, language, file, bundled, ...}."""
    _require_hibari()
    from hibari.voices import VOICES

    return VOICES


def voice_dir() -> Path:
    from hibari.voices import cache_dir

    return Path(cache_dir())


def voice_file(name: str) -> Path | None:
    """The voice's model file if it is on this machine; never downloads."""
    from hibari.voices import voice_path

    try:
        return Path(voice_path(name, download_missing=False))
    except FileNotFoundError:
        return None


def model_path(profile) -> Path:
    """The model a profile speaks with; raises VoicesError saying how to get it."""
    model = profile.option("model")
    if model is not None:
        if not isinstance(model, str) or not Path(model).expanduser().is_file():
            raise VoicesError(f"no hibari model at {model}; give the path of a hibari .onnx file")
        return Path(model).expanduser()
    voices = registry()
    name = profile.voice
    if name not in voices:
        near = difflib.get_close_matches(str(name), sorted(voices), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise VoicesError(f"unknown hibari voice '{name}'{hint} (voices: {', '.join(voices)}; "
                          "`ficaudio voices --engine hibari` says which are installed)")
    path = voice_file(name)
    if path is None:
        entry = voices[name]
        raise VoicesError(
            f"the hibari voice '{name}' is not on this machine and ficaudio never downloads during a render: "
            f"fetch {VOICE_SITE}{entry['file']} ({entry['bytes'] / 1e6:.1f} MB) and put it at "
            f"{voice_dir() / entry['file']} (or in the folder HIBARI_HOME names), or use the voice 'heart', "
            "which hibari-tts ships")
    return path


def _number(profile, key: str, default: float) -> float:
    value = ranged_option(dict(profile.options), key, RANGES)
    return default if value is None else value


@register("hibari")
class HibariEngine(Engine):
    credit = "hibari"
    extra_keys = frozenset({"model", "speed", "semitones", "seed"})
    default_voice = "heart"

    def __init__(self):
        self._loaded: dict[Path, object] = {}
        self._identities: dict[Path, str] = {}

    def version(self) -> str:
        _require_hibari()
        return f"hibari-tts-{metadata.version('hibari-tts')}-onnxruntime-{metadata.version('onnxruntime')}"

    def voice_version(self, profile) -> str:
        path = model_path(profile)
        if path not in self._identities:
            stat = path.stat()
            self._identities[path] = f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}"
        return self._identities[path]

    def voices(self) -> list[VoiceInfo]:
        found = []
        for name, entry in registry().items():
            where = "in the package" if entry.get("bundled") else (
                "installed" if voice_file(name) else f"not installed: put {entry['file']} in {voice_dir()}")
            found.append(VoiceInfo(name, f"{entry['language']}, {entry['gender']}, {where}", entry["gender"],
                                   entry["language"].lower()))
        return found

    def check(self, profile) -> None:
        from .. import defaults

        _require_hibari()
        if profile.pitch != defaults.PITCH:
            raise VoicesError("pitch is espeak-ng's 0-100 scale; shift a hibari voice with semitones: "
                              f"({RANGES['semitones'][0]} to {RANGES['semitones'][1]})")
        if profile.rate != defaults.RATE:
            raise VoicesError("rate (words per minute) is espeak-ng's; pace a hibari voice with speed: "
                              "(1.0 is its own pace, 1.1 a tenth faster)")
        model_path(profile)
        _number(profile, "speed", 1.0)
        _number(profile, "semitones", 0.0)
        seed_option(profile)

    deterministic = False  # with another seed

    def retake(self, profile, take: int):
        return reseeded(profile, take)

    def _voice(self, path: Path, name: str):
        """The loaded model, once per process: loading takes longer than most lines."""
        tts = self._loaded.get(path)
        if tts is None:
            from hibari import Hibari

            # Passing the file keeps hibari from looking for (or fetching) one itself;
            # the voice name still picks the American or British spelling-to-sound rules.
            tts = Hibari(voice=name if name in registry() else "heart", model=str(path), threads=1)
            self._loaded[path] = tts
        return tts

    def synthesize(self, text: str, profile) -> AudioSegment:
        # numpy only here: reading a cast (ficaudio script) need not load it.
        import numpy as np

        from .dsp import shift_pitch, to_segment

        path = model_path(profile)
        tts = self._voice(path, profile.voice)
        audio = tts(text, speed=_number(profile, "speed", 1.0), seed=seed_option(profile))
        if audio.size == 0:
            audio = np.zeros(0, dtype=np.float32)
        return to_segment(shift_pitch(audio, tts.sample_rate, _number(profile, "semitones", 0.0)))


def installed() -> bool:
    # find_spec, not import: the check runs in the main process, which never synthesizes.
    return util.find_spec("hibari") is not None and util.find_spec("onnxruntime") is not None


def installed_voices(gender: str | None = None) -> list[str]:
    """Names of the hibari voices on this machine (of one gender), the package's first."""
    if not installed():
        return []
    names = [n for n, e in registry().items() if (gender is None or e["gender"] == gender) and voice_file(n)]
    return sorted(names, key=lambda n: (not registry()[n].get("bundled"), n))
