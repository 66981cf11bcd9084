"""pyttsx3's espeak-ng driver: the default engine on Linux.

Voice ids are espeak-ng voices, optionally with a variant: en-us, en-us+f3,
en-gb-x-rp+m3. pyttsx3 silently falls back to a default voice for an id it does not
know, so ids are checked against espeak-ng's own lists first.

We drive espeak-ng through pyttsx3's ctypes binding in espeak's synchronous mode rather
than through pyttsx3's event loop: that loop polls every 10 ms, runs espeak-ng in its
asynchronous mode (where a rate or pitch change can land on the wrong line), and passes
every line through a WAV file; for the short lines of dialogue those costs are several
times the synthesis itself. The voices, the parameters and the sound are the same.

Each line is said by a fresh espeak-ng (see espeak_fresh.py), so the same text and
profile give the same samples whatever was said before and whatever --jobs is.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
from functools import lru_cache

from pydub import AudioSegment

from ..errors import EngineError, VoicesError
from . import Engine, VoiceInfo, espeak_fresh, register, unknown_voice_message

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
        base, plus, variant = voice.partition("+")
        name = self.identifiers.get(base.lower(), base) + plus + variant
        # Phoneme mode reads [[...]] as espeak-ng phonemes (pronunciations in voices.yaml);
        # off otherwise, as pyttsx3 has it.
        flags = lib.CHARS_UTF8 | (lib.PHONEMES if "[[" in text else 0)
        speaker = _fresh_speaker()
        if speaker is not None:
            status, pcm = speaker.say(text, name, int(rate), int(pitch), flags)
            if status == espeak_fresh.UNKNOWN_VOICE:
                raise VoicesError(unknown_voice_message(voice, (), "pyttsx3"))
            if status != 0:
                how = f"signal {-status}" if status < 0 else f"exit status {status}"
                raise EngineError(f"espeak-ng stopped ({how}) while saying {text[:40]!r}")
            return pcm
        # Without fork (Windows) lines are said here, each after the one before.
        if voice != self._voice:
            if lib.SetVoiceByName(name.encode("utf-8")) != lib.EE_OK:
                raise VoicesError(unknown_voice_message(voice, (), "pyttsx3"))
            self._voice = voice
        lib.SetParameter(lib.RATE, int(rate), 0)
        lib.SetParameter(lib.PITCH, int(pitch), 0)
        self._chunks = []
        lib.Synth(text.encode("utf-8"), flags=flags)
        return b"".join(self._chunks)


class _FreshSpeaker:
    """The espeak_fresh helper of this process, started on first use. Forked workers
    start their own: a helper's pipes belong to the process that started it."""

    def __init__(self):
        self._lock = threading.Lock()  # the studio may ask from several threads
        self._proc = subprocess.Popen(
            [sys.executable, espeak_fresh.__file__, str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
        )

    def ended(self) -> bool:
        return self._proc.poll() is not None

    def say(self, text: str, voice_name: str, rate: int, pitch: int, flags: int) -> tuple[int, bytes]:
        text_bytes, voice_bytes = text.encode("utf-8"), voice_name.encode("utf-8")
        request = espeak_fresh.REQUEST.pack(len(text_bytes), len(voice_bytes), rate, pitch, flags)
        with self._lock:
            try:
                self._proc.stdin.write(request + text_bytes + voice_bytes)
                head = espeak_fresh.read_exactly(self._proc.stdout.fileno(), espeak_fresh.ANSWER.size)
                if head is None:
                    raise BrokenPipeError
                status, length = espeak_fresh.ANSWER.unpack(head)
                pcm = espeak_fresh.read_exactly(self._proc.stdout.fileno(), length) if length else b""
            except (BrokenPipeError, OSError):
                pcm = None
            if pcm is None:
                code = self._proc.poll()
                raise EngineError(f"the espeak-ng helper process stopped (exit status {code}); "
                                  "check that espeak-ng works: `espeak-ng hello`")
            return status, pcm


_speakers: dict[int, _FreshSpeaker] = {}


def _fresh_speaker() -> _FreshSpeaker | None:
    if not hasattr(os, "fork"):
        return None
    speaker = _speakers.get(os.getpid())
    # A helper also ends with the thread that started it (the parent-death signal is per
    # thread): a studio request's thread, say. The next line starts another.
    if speaker is None or speaker.ended():
        speaker = _speakers[os.getpid()] = _FreshSpeaker()
    return speaker


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
        # "fresh": every line from an espeak-ng that has said nothing before; lines cached
        # before were not, and are made again.
        return f"pyttsx3-{version('pyttsx3')}-espeak-ng-{(info or b'').decode(errors='replace')}-fresh"

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
