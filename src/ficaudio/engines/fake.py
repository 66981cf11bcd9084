"""A fast engine for tests: a tone of the length the text would take to speak.

Each voice gets its own tone frequency (higher for higher pitch), so tests can tell
voices apart in the assembled audio without a real synthesizer. FICAUDIO_FAKE_DELAY
(seconds per line) makes it as slow as a real engine, for tests of interrupted renders.
"""

from __future__ import annotations

import hashlib
import os
import time

from pydub import AudioSegment

from . import Engine, VoiceInfo, register

RATE = 22050
VOICES = ("low", "mid", "high", "female", "male", "narrator")
_BASE_HZ = {"low": 110.0, "male": 120.0, "narrator": 150.0, "mid": 170.0, "female": 220.0, "high": 260.0}


@register("fake")
class FakeEngine(Engine):
    credit = "test-tone"

    def version(self) -> str:
        return "1"

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(v, v.title(), None, "en") for v in VOICES]

    def synthesize(self, text: str, profile) -> AudioSegment:
        import numpy as np

        time.sleep(float(os.environ.get("FICAUDIO_FAKE_DELAY", "0")))
        words = max(1, len(text.split()))
        seconds = words * 60.0 / max(60, profile.rate)
        n = int(seconds * RATE)
        hz = _BASE_HZ.get(profile.voice, 150.0) * (0.5 + profile.pitch / 100.0)
        t = np.arange(n) / RATE
        # A little per-text jitter keeps clips distinguishable in cache tests.
        jitter = int(hashlib.sha1(text.encode()).hexdigest()[:2], 16) / 255.0
        wave = 0.3 * profile.volume * np.sin(2 * np.pi * (hz + jitter) * t)
        samples = (wave * 32767).astype("<i2").tobytes()
        return AudioSegment(data=samples, sample_width=2, frame_rate=RATE, channels=1)
