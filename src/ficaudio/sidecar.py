"""The metadata file written beside each render (`<name>.ficaudio.json`).

It records what was rendered (title, author, summary, files, durations, chapters) for
`ficaudio feed`, and fingerprints of what it was rendered from, so that rendering again
with nothing changed returns at once. Kept free of heavy imports: that check runs first.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import __version__

SUFFIX = ".ficaudio.json"


def source_fingerprint(input_path: Path, voices_path: Path | None, settings) -> str:
    """A fingerprint of the render's inputs as files: the story, the casting file, the
    output settings, the speakers fixed by hand (fixes.py), and the versions of ficaudio
    and of the speech engine package."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        engine = version("pyttsx3")
    except PackageNotFoundError:
        engine = "none"
    h = hashlib.sha256()
    for part in (__version__, engine, repr(settings)):
        h.update(part.encode() + b"\0")
    fixes = Path(input_path).with_name(Path(input_path).name + ".fixes.json")  # fixes.path_for, kept light
    for path in (input_path, voices_path, fixes):
        h.update(Path(path).read_bytes() if path is not None and Path(path).is_file() else b"-")
        h.update(b"\0")
    return h.hexdigest()


def render_fingerprint(input_path: Path, voices_path: Path | None, settings, split: bool) -> str:
    """The source fingerprint of rendering a story file as `render` does: without a
    casting file, the cast depends on which neural engines are installed."""
    from importlib.util import find_spec

    from .scriptfile import is_script, source_of

    engines = None if voices_path is not None else [bool(find_spec(m)) for m in ("hibari", "piper")]
    # An edited script voices its story: a changed story is a changed input.
    story = source_of(input_path) if is_script(input_path) else None
    story_bytes = story.read_bytes() if story is not None else b"-"
    return source_fingerprint(input_path, voices_path or Path("voices.yaml"),
                              (settings, split, engines, hashlib.sha256(story_bytes).hexdigest()))


def read(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write(path: Path, meta: dict) -> None:
    from .cache import write_atomic

    write_atomic(Path(path), json.dumps(meta, indent=2, ensure_ascii=False).encode("utf-8"))


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def intact(out_dir: Path, meta: dict) -> bool:
    """Are the files this sidecar lists still there, as written? Their contents are
    checked against the sidecar's checksums: a file of the right size that another
    process overwrote, or a transcript renamed in beside older audio, is not intact."""
    try:
        for f in meta.get("files", []):
            audio, vtt = out_dir / audio_name(f), out_dir / f["vtt"]
            if not audio.is_file() or audio.stat().st_size != f["bytes"] or not vtt.is_file():
                return False
            if "sha256" not in f or file_digest(audio) != f["sha256"] or file_digest(vtt) != f.get("vtt_sha256"):
                return False
    except (OSError, KeyError, TypeError):
        return False
    return bool(meta.get("files"))


def find_fresh(out_dir: Path, fingerprint: str) -> tuple[Path, dict] | None:
    """The sidecar in `out_dir` of a finished render of exactly these inputs, if any."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return None
    for path in out_dir.glob(f"*{SUFFIX}"):
        meta = read(path)
        if meta and meta.get("source_fingerprint") == fingerprint and intact(out_dir, meta):
            return path, meta
    return None


def fresh_outputs(out_dir: Path, fingerprint: str) -> list[Path] | None:
    """The audio files of a finished render of exactly these inputs, if they are intact."""
    found = find_fresh(out_dir, fingerprint)
    if found is None:
        return None
    return [Path(out_dir) / audio_name(f) for f in found[1]["files"]]


def audio_name(entry: dict) -> str:
    """A file entry's MP3 or M4B (sidecars before M4B support called it "mp3")."""
    return entry.get("audio") or entry["mp3"]


def retakes(meta: dict | None) -> dict[tuple[str, str], int]:
    """(speaker, text) -> take of the lines `check --fix` had made again."""
    found = {}
    for entry in (meta or {}).get("retakes") or []:
        try:
            found[(str(entry["speaker"]), str(entry["text"]))] = int(entry["take"])
        except (KeyError, TypeError, ValueError):
            continue  # a hand-edited entry that is not one: ignored, not fatal
    return found


def of_audio(audio: Path) -> tuple[Path, dict] | None:
    """The sidecar that lists this MP3 or M4B, and its metadata."""
    audio = Path(audio)
    for path in sorted(audio.parent.glob(f"*{SUFFIX}")):
        meta = read(path)
        if meta and any(audio_name(f) == audio.name for f in meta.get("files", [])):
            return path, meta
    return None
