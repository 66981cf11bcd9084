"""pyttsx3 with its espeak-ng driver: the default engine on Linux.

Voice ids are espeak-ng voices, optionally with a variant: en-us, en-us+f3,
en-gb-x-rp+m3. pyttsx3 silently falls back to a default voice for an id it does not
know, so we check ids against espeak-ng's own lists first.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import tempfile
from functools import lru_cache

from pydub import AudioSegment

from ..errors import EngineError, VoicesError
from . import Engine, VoiceInfo, register, unknown_voice_message


@lru_cache(maxsize=1)
def _driver():
    try:
        import pyttsx3
    except ImportError as exc:  # pragma: no cover - a dependency of ours
        raise EngineError("pyttsx3 is not installed; run `pip install pyttsx3`") from exc
    try:
        return pyttsx3.init("espeak")
    except (RuntimeError, OSError) as exc:
        raise EngineError(
            "espeak-ng is not available to pyttsx3; install it with "
            "`apt-get install espeak-ng` (Debian/Ubuntu)"
        ) from exc


# Drop the driver while the interpreter is whole: pyttsx3's finalizer fails, noisily,
# once module teardown has begun.
atexit.register(_driver.cache_clear)


def _espeak_module():
    from pyttsx3.drivers import _espeak

    return _espeak


def _variants_dir() -> str | None:
    for root in ("/usr/lib/x86_64-linux-gnu/espeak-ng-data", "/usr/lib/aarch64-linux-gnu/espeak-ng-data",
                 "/usr/share/espeak-ng-data", "/usr/local/share/espeak-ng-data"):
        path = os.path.join(root, "voices", "!v")
        if os.path.isdir(path):
            return path
    return None


@lru_cache(maxsize=1)
def variants() -> tuple[str, ...]:
    path = _variants_dir()
    return tuple(sorted(os.listdir(path))) if path else ("f1", "f2", "f3", "f4", "f5", "m1", "m2", "m3", "m4", "m5", "m6", "m7")


@register("pyttsx3")
class Pyttsx3Engine(Engine):
    def __init__(self):
        self._voice = None

    def version(self) -> str:
        from importlib.metadata import version

        from pyttsx3.drivers import _espeak

        try:
            espeak = _espeak.Info().decode() if hasattr(_espeak, "Info") else ""
        except Exception:  # noqa: BLE001 - only a cache key ingredient
            espeak = ""
        return f"pyttsx3-{version('pyttsx3')}-{espeak}"

    @lru_cache(maxsize=1)
    def base_voices(self) -> tuple[VoiceInfo, ...]:
        found = {}
        for v in _driver().getProperty("voices"):
            language = (v.languages or [None])[0]
            vid = (language or v.id.split("/")[-1]).lower()
            found.setdefault(vid, VoiceInfo(vid, v.name, (v.gender or "").lower() or None, language))
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
        engine = _driver()
        if self._voice != profile.voice:
            engine.setProperty("voice", profile.voice)
            self._voice = profile.voice
        engine.setProperty("rate", int(profile.rate))
        engine.setProperty("pitch", int(profile.pitch))
        engine.setProperty("volume", float(profile.volume))
        # pyttsx3 runs espeak-ng in its asynchronous mode, where settings are queued
        # commands: without waiting for them, a line can come out at the previous
        # line's rate and pitch.
        _espeak_module().Synchronize()
        fd, path = tempfile.mkstemp(suffix=".wav", prefix="ficaudio-")
        os.close(fd)
        try:
            # pyttsx3 prints "Audio saved to ..." on stdout; our stdout may be JSON.
            with contextlib.redirect_stdout(io.StringIO()):
                engine.save_to_file(text, path)
                engine.runAndWait()
            return AudioSegment.from_wav(path)
        finally:
            os.unlink(path)
