"""`ficaudio audition`: hear one character's voice, on a few of their own lines.

The sample goes through the same synthesizer, levelling and MP3 encoder as a render,
so it sounds exactly as the character will in the audiobook.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import defaults
from .errors import EngineError, OutputError, VoicesError
from .model import NARRATOR, UNKNOWN
from .voices import Cast, VoiceProfile

STOCK_LINE = "Hello, I'm {name}. This is how I sound when I read my lines in your story."
TARGET_SECONDS = 20.0  # stop adding lines once the sample is this long
MAX_SECONDS = 30.0  # and never add a line that takes it past this
PAUSE = 0.5


@dataclass(frozen=True)
class Sample:
    name: str
    profile: VoiceProfile
    lines: tuple[str, ...]  # what is said, as written
    pcm: bytes  # mono 16-bit at defaults.WORK_RATE

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / defaults.WORK_RATE


def default_out(name: str) -> Path:
    from .render import slugify

    return Path(f"audition-{slugify(name)}.mp3")


def audition(name: str, cast: Cast, input_path=None, script=None) -> Sample:
    """Synthesize a sample of `name` (a character, alias, Narrator or Unknown): a few of
    their lines from the story at `input_path` (or from an attributed `script`), or a
    stock sentence."""
    from .assemble import pronunciations_for, silence
    from .synthesize import Line, apply_pronunciations, synthesize_line
    from .voices import check_cast

    if script is None and input_path is not None:
        from .attribution import attribute
        from .castfile import merge_characters
        from .discover import discover
        from .ingest import ingest
        from .split import split

        story = split(ingest(input_path), include_notes=dict(cast.reading)["notes"])
        characters = list(cast.characters)
        for found in discover(story):
            merge_characters(characters, found, first_new=len(cast.characters))
        cast = cast.with_characters(characters)
        script = attribute(story, cast)
    canonical = resolve(name, cast)
    profile = cast.profile_for(canonical)
    check_cast(cast)
    candidates = _own_lines(script, canonical) if script is not None else []
    texts = candidates or [STOCK_LINE.format(name=canonical)]
    respell = pronunciations_for(cast, profile.engine)
    said, pcm, seconds = [], b"", 0.0
    for text in texts:
        estimate = len(text.split()) * 60.0 / profile.rate
        if said and seconds + estimate > MAX_SECONDS:
            continue
        clip = synthesize_line(Line(apply_pronunciations(text, respell), profile))
        pcm += (silence(PAUSE) if said else b"") + clip.pcm
        seconds = len(pcm) / 2 / defaults.WORK_RATE
        said.append(text)
        if seconds >= TARGET_SECONDS:
            break
    return Sample(canonical, profile, tuple(said), pcm)


def resolve(name: str, cast: Cast) -> str:
    """The canonical name for `name` (a name or alias, any case), or an error listing
    the cast with the nearest match."""
    wanted = name.strip().casefold()
    for special in (NARRATOR, UNKNOWN):
        if wanted == special.casefold():
            return special
    for c in cast.characters:
        if wanted in (n.casefold() for n in c.names):
            return c.name
    names = [c.name for c in cast.characters]
    spellings = {n: c.name for c in cast.characters for n in c.names}
    near = difflib.get_close_matches(name, list(spellings) + [NARRATOR], n=1, cutoff=0.6)
    hint = f"; did you mean {spellings.get(near[0], near[0])}?" if near else "."
    listed = ", ".join(names) if names else "none yet (give the story too, or run `ficaudio cast STORY`)"
    raise VoicesError(f"no character called '{name}'{hint} Characters: {listed}; or {NARRATOR}")


def _own_lines(script, name: str) -> list[str]:
    """The character's lines in story order, the ones of a few words first: one-word
    lines ("Ouch,") say little about a voice."""
    lines = [s.text for s in script.segments() if s.speaker == name]
    return [t for t in lines if len(t.split()) >= 4] + [t for t in lines if len(t.split()) < 4]


def write_mp3(sample: Sample, path: Path) -> float:
    """Encode the sample to `path`; returns its length in seconds."""
    from .cache import write_atomic
    from .encode import Settings, encode_pcm

    settings = Settings(format="mp3")
    data = encode_pcm(sample.pcm, defaults.WORK_RATE, settings)
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the sample ({exc.strerror})") from exc
    return settings.codec.count_frames(data) * settings.codec.frame_samples / settings.rate


# Players that take the MP3 file, then ones that take raw PCM on stdin.
_FILE_PLAYERS = (("ffplay", ["-nodisp", "-autoexit", "-loglevel", "error"]), ("mpv", ["--no-video", "--really-quiet"]))
_PCM_PLAYERS = (
    ("paplay", ["--raw", "--format=s16le", f"--rate={defaults.WORK_RATE}", "--channels=1"]),
    ("aplay", ["-q", "-f", "S16_LE", "-r", str(defaults.WORK_RATE), "-c", "1"]),
)


def play(sample: Sample, path: Path) -> str:
    """Play the sample with the first player found; returns its name."""
    for name, args in _FILE_PLAYERS:
        exe = shutil.which(name)
        if exe:
            return _run(name, [exe, *args, str(path)], None)
    for name, args in _PCM_PLAYERS:
        exe = shutil.which(name)
        if exe:
            return _run(name, [exe, *args], sample.pcm)
    raise EngineError(f"no audio player found (ffplay, mpv, paplay or aplay); the sample is in {path}: "
                      "open it in any player, or install one (`apt-get install ffmpeg` gives ffplay)")


def _run(name: str, cmd: list[str], stdin: bytes | None) -> str:
    proc = subprocess.run(cmd, input=stdin, capture_output=True)
    detail = proc.stderr.decode(errors="replace").strip()
    # ffplay exits 0 when there is no sound device; it only says "audio open failed".
    if proc.returncode != 0 or re.search(r"\bfail|no available audio device|cannot open", detail, re.I):
        last = detail.splitlines()[-1][:200] if detail else f"exit {proc.returncode}"
        raise EngineError(f"{name} could not play the sample ({last}); is there a sound device? "
                          "The sample is written: open it in any player")
    return name
