"""pyttsx3's espeak-ng driver: the default engine on Linux.

Voice ids are espeak-ng voices, optionally with a variant: en-us, en-us+f3,
en-gb-x-rp+m3. pyttsx3 silently falls back to a default voice for an id it does not
know, so ids are checked against espeak-ng's own lists first.

We drive espeak-ng through pyttsx3's ctypes binding in espeak's synchronous mode rather
than through pyttsx3's event loop: that loop polls every 10 ms, runs espeak-ng in its
asynchronous mode (where a rate or pitch change can land on the wrong line), and passes
every line through a WAV file; for the short lines of dialogue those costs are several
times the synthesis itself. The voices, the parameters and the sound are the same.
"""

from __future__ import annotations

import ctypes
import os
from functools import lru_cache

from pydub import AudioSegment

from ..errors import EngineError, VoicesError
from . import Engine, VoiceInfo, register, unknown_voice_message

_DATA_DIRS = (
    "/usr/lib/x86_64-linux-gnu/espeak-ng-data",
    "/usr/lib/aarch64-linux-gnu/espeak-ng-data",
    "/usr/share/espeak-ng-data",
    "/usr/local/share/espeak-ng-data",
)


class _Espeak:
    """espeak-ng, initialised once per process (it cannot be initialised twice)."""

    def __init__(self):
        try:
            from pyttsx3.drivers import _espeak
        except (ImportError, RuntimeError, OSError) as exc:
            raise EngineError(
                "espeak-ng is not available to pyttsx3; install it with "
                "`apt-get install espeak-ng` (Debian/Ubuntu)"
            ) from exc
        self.lib = _espeak
        self.rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 500)
        if self.rate == -1:
            raise EngineError("espeak-ng failed to start; reinstall it with `apt-get install --reinstall espeak-ng`")
        self._chunks: list[bytes] = []
        _espeak.SetSynthCallback(self._collect)
        self._voice = None

    def _collect(self, wav, numsamples, events):
        if numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    @property
    def identifiers(self) -> dict[str, str]:
        """Language code ("en-gb") and file name ("en") of every voice, to the file
        identifier espeak-ng selects voices by ("gmw/en")."""
        if not hasattr(self, "_identifiers"):
            self._identifiers = {}
            for v in self.lib.ListVoices(None):
                ident = v.identifier.decode()
                if v.languages:
                    self._identifiers.setdefault(v.languages[1:].decode(errors="ignore").lower(), ident)
                self._identifiers.setdefault(ident.split("/")[-1].lower(), ident)
        return self._identifiers

    def say(self, text: str, voice: str, rate: int, pitch: int) -> bytes:
        lib = self.lib
        if voice != self._voice:
            base, plus, variant = voice.partition("+")
            name = self.identifiers.get(base.lower(), base) + plus + variant
            if lib.SetVoiceByName(name.encode("utf-8")) != lib.EE_OK:
                raise VoicesError(unknown_voice_message(voice, (), "pyttsx3"))
            self._voice = voice
        lib.SetParameter(lib.RATE, int(rate), 0)
        lib.SetParameter(lib.PITCH, int(pitch), 0)
        self._chunks = []
        # Phoneme mode reads [[...]] as espeak-ng phonemes (pronunciations in voices.yaml);
        # off otherwise, as pyttsx3 has it.
        flags = lib.CHARS_UTF8 | (lib.PHONEMES if "[[" in text else 0)
        lib.Synth(text.encode("utf-8"), flags=flags)
        return b"".join(self._chunks)


@lru_cache(maxsize=1)
def _espeak() -> _Espeak:
    return _Espeak()


@lru_cache(maxsize=1)
def variants() -> tuple[str, ...]:
    for root in _DATA_DIRS:
        path = os.path.join(root, "voices", "!v")
        if os.path.isdir(path):
            return tuple(sorted(os.listdir(path)))
    return tuple(f"f{i}" for i in range(1, 6)) + tuple(f"m{i}" for i in range(1, 8))


@register("pyttsx3")
class Pyttsx3Engine(Engine):
    credit = "espeak-ng"
    default_voice = "en-us"
    phoneme_input = True

    def version(self) -> str:
        from importlib.metadata import version

        info = _espeak().lib.Info(None)
        return f"pyttsx3-{version('pyttsx3')}-espeak-ng-{(info or b'').decode(errors='replace')}"

    @lru_cache(maxsize=1)
    def base_voices(self) -> tuple[VoiceInfo, ...]:
        found = {}
        for v in _espeak().lib.ListVoices(None):
            # languages is a priority byte followed by the language name.
            language = v.languages[1:].decode("utf-8", errors="ignore") if v.languages else ""
            vid = (language or v.identifier.decode().split("/")[-1]).lower()
            gender = {1: "male", 2: "female"}.get(v.gender)
            found.setdefault(vid, VoiceInfo(vid, v.name.decode("utf-8", errors="replace"), gender, language))
        return tuple(sorted(found.values(), key=lambda v: v.id))

    def voices(self) -> list[VoiceInfo]:
        return list(self.base_voices())

    @staticmethod
    def variant_names() -> tuple[str, ...]:
        return variants()

    def check(self, profile) -> None:
        base, _, variant = profile.voice.partition("+")
        ids = {v.id for v in self.base_voices()}
        if base.lower() not in ids:
            raise VoicesError(unknown_voice_message(profile.voice, ids, self.name))
        if variant and variant not in variants():
            near = unknown_voice_message(variant, variants(), self.name)
            raise VoicesError(f"in voice '{profile.voice}': {near.replace('voice id', 'variant')}")

    def synthesize(self, text: str, profile) -> AudioSegment:
        espeak = _espeak()
        pcm = espeak.say(text, profile.voice, profile.rate, profile.pitch)
        return AudioSegment(data=pcm, sample_width=2, frame_rate=espeak.rate, channels=1)
