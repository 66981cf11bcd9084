"""A small helper process that says each line with an espeak-ng that has said nothing before.

espeak-ng carries state from one utterance to the next (the phase of the wave, the echo
and flutter buffers, what the last voice left set), so a line said after another comes
out a few samples longer or shorter and not bit for bit the same. This process starts
espeak-ng, never speaks itself, and forks a child for every line: each line starts from
the same state, so the same text and profile give the same samples whatever was said
before and whatever --jobs is, and the cache key (engine, profile, text) describes its
audio. Each voice has its own process, forked once with the voice loaded, and the lines
are forked from it; these processes are small (they import nothing of ficaudio) because
a fork costs in proportion to the memory forked: about 1 ms here, 5-9 ms from a worker.

Run as a script by pyttsx3_engine.py. Requests on stdin, answers on stdout:
  request  <IIiiI (text bytes, voice bytes, rate, pitch, espeak flags), text, voice
  answer   <iQ (status, PCM bytes), 16-bit mono PCM at espeak-ng's rate
A status other than 0 is UNKNOWN_VOICE or the child's exit status (negative: its signal).
"""

from __future__ import annotations

import ctypes
import os
import signal
import struct
import sys

REQUEST = struct.Struct("<IIiiI")
ANSWER = struct.Struct("<iQ")
UNKNOWN_VOICE = 3
_FAILED = 1


def read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _answer(fd: int, status: int, data: bytes = b"") -> None:
    _write_all(fd, ANSWER.pack(status, len(data)))
    _write_all(fd, data)


def _voice_server(lib, chunks: list, voice: bytes, requests: int, answers: int) -> None:
    """One voice's process: loads the voice (several ms, as it reads the language's
    dictionary) once, then forks a child for every line, which sets rate and pitch and
    speaks."""
    known = lib.SetVoiceByName(voice) == lib.EE_OK
    while True:
        head = read_exactly(requests, REQUEST.size)
        if head is None:
            return
        text_len, voice_len, rate, pitch, flags = REQUEST.unpack(head)
        text = read_exactly(requests, text_len) or b""
        read_exactly(requests, voice_len)
        if not known:
            _answer(answers, UNKNOWN_VOICE)
            continue
        pid = os.fork()
        if pid == 0:
            status = _FAILED
            try:
                lib.SetParameter(lib.RATE, rate, 0)
                lib.SetParameter(lib.PITCH, pitch, 0)
                lib.Synth(text, flags=flags)
                # Answered here, straight to the engine: the line is made before anything
                # is written, so a child that fails has written nothing.
                _answer(answers, 0, b"".join(chunks))
                status = 0
            finally:
                os._exit(status)
        _, wait_status = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(wait_status)
        if status != 0:
            _answer(answers, status)


def serve(requests: int, answers: int) -> None:
    """Routes each request to its voice's process, forked from this one (which has loaded
    no voice and said nothing) the first time the voice is asked for. The engine asks one
    line at a time, so the voice's process answers straight on `answers`."""
    from pyttsx3.drivers import _espeak as lib

    if lib.Initialize(lib.AUDIO_OUTPUT_SYNCHRONOUS, 500) == -1:
        sys.exit(2)
    chunks: list[bytes] = []

    def collect(wav, numsamples, events):
        if numsamples > 0:
            chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    lib.SetSynthCallback(collect)
    voices: dict[bytes, int] = {}  # voice name to the write end of its process's requests
    while True:
        head = read_exactly(requests, REQUEST.size)
        if head is None:
            return  # the engine's process closed the pipe: it is done, or gone
        text_len, voice_len, _, _, _ = REQUEST.unpack(head)
        text = read_exactly(requests, text_len) or b""
        voice = read_exactly(requests, voice_len) or b""
        if voice not in voices:
            readable, writable = os.pipe()
            if os.fork() == 0:
                status = _FAILED
                try:
                    os.close(writable)
                    for fd in voices.values():
                        os.close(fd)
                    os.close(requests)
                    _voice_server(lib, chunks, voice, readable, answers)
                    status = 0
                finally:
                    os._exit(status)
            os.close(readable)
            voices[voice] = writable
        _write_all(voices[voice], head + text + voice)


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: Linux only
    except (OSError, AttributeError):
        pass  # elsewhere the closed request pipe still ends it


if __name__ == "__main__":
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the engine's process's to handle
    if os.getppid() != int(sys.argv[1]):
        sys.exit(1)  # the parent died before prctl
    serve(sys.stdin.fileno(), sys.stdout.fileno())
