"""espeak-ng lines are the same samples whatever was said before them (issue: deterministic
synthesis), and its helper processes end with the process that uses them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from ficaudio.engines import get_engine
from ficaudio.errors import VoicesError
from ficaudio.voices import VoiceProfile
from tests.conftest import all_end, children, needs_espeak

pytestmark = needs_espeak

LINE = "Well, I never said that, did I? Not once."
SAY = (
    "import sys; from ficaudio.engines import get_engine; from ficaudio.voices import VoiceProfile;"
    "sys.stdout.buffer.write(get_engine('pyttsx3').synthesize(sys.argv[1], VoiceProfile(voice='en-us+f3', rate=170, pitch=60)).raw_data)"
)


def test_a_line_is_the_same_samples_after_any_other_line_and_in_a_fresh_process():
    engine = get_engine("pyttsx3")
    profile = VoiceProfile(voice="en-us+f3", rate=170, pitch=60)
    first = engine.synthesize(LINE, profile).raw_data
    engine.synthesize("The shop sign read CLOSED in big red letters.", VoiceProfile(voice="en-gb", rate=150, pitch=40))
    engine.synthesize("Hush now. Sit, sit, sit.", VoiceProfile(voice="en-us+m3", rate=190, pitch=50))
    again = engine.synthesize(LINE, profile).raw_data
    fresh = subprocess.run([sys.executable, "-c", SAY, LINE], capture_output=True, check=True).stdout
    assert first == again == fresh


def test_an_unknown_voice_is_still_a_voices_error():
    engine = get_engine("pyttsx3")
    with pytest.raises(VoicesError, match="unknown voice id 'xx-nowhere'"):
        engine.synthesize("Hello.", VoiceProfile(voice="xx-nowhere"))
    assert len(engine.synthesize("Hello.", VoiceProfile())) > 0  # and the helper goes on


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def test_the_helpers_end_when_the_process_using_them_is_killed():
    script = SAY + ";sys.stdout.buffer.flush(); import time; time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", script, LINE], stdout=subprocess.PIPE)
    proc.stdout.read(1000)  # a line is said: the helper and the voice's process run
    helpers = _descendants(proc.pid)
    assert len(helpers) >= 2
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert all_end(helpers)
