"""The cache's lossless packing of PCM: exact round trips, about half the size, and
damage reported, never decoded into noise."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ficaudio.cache import Cache
from ficaudio.lossless import PackError, pack, unpack
from ficaudio.synthesize import cached_pcm, has_pcm, store_pcm


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-32768, 32767), max_size=3000))
def test_any_samples_come_back_exactly(samples):
    pcm = np.array(samples, "<i2").tobytes()
    assert unpack(pack(pcm)) == pcm


def test_speech_packs_smaller():
    from ficaudio.synthesize import Line, synthesize_line
    from ficaudio.voices import VoiceProfile

    pcm = synthesize_line(Line("The bell over the door jangles as you push inside.", VoiceProfile(engine="pyttsx3"))).pcm
    assert unpack(pack(pcm)) == pcm
    assert len(pack(pcm)) < 0.75 * len(pcm)  # espeak-ng: 0.64-0.72; the neural voices about half


@pytest.mark.parametrize("damage", [lambda b: b[:10], lambda b: b"XXXX" + b[4:], lambda b: b[:8] + bytes(len(b) - 8)])
def test_damaged_packing_is_an_error(damage):
    with pytest.raises(PackError):
        unpack(damage(pack(np.arange(5000, dtype="<i2").tobytes())))


def test_a_cache_of_raw_segments_from_before_still_answers(tmp_path):
    store = Cache(tmp_path)
    raw = np.arange(-500, 500, dtype="<i2").tobytes()
    store.put("segments", "a" * 64, ".pcm", raw)
    assert has_pcm(store, "a" * 64) and cached_pcm(store, "a" * 64) == raw
    store_pcm(store, "b" * 64, raw)
    assert cached_pcm(store, "b" * 64) == raw and not store.has("segments", "b" * 64, ".pcm")
