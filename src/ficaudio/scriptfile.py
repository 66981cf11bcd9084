"""The script as text and JSON: who says what, readable, editable and machine-readable.

The text form puts one segment on a line with the speaker's label first. A header
names the source file and its content hash, so an edited script can be read back
(read_script): the source is split again and the labels are applied in order. Only
labels may change; the text of each line is checked against the story.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

from .errors import ScriptError
from .model import NARRATOR, UNKNOWN, Script

MAGIC = "# ficaudio script"
SUFFIX = ".script"


def to_json(script: Script) -> str:
    return json.dumps(
        {
            "title": script.title,
            "author": script.author,
            "chapters": [
                {
                    "title": chapter.title,
                    "segments": [
                        {
                            "kind": s.kind,
                            "speaker": s.speaker,
                            "text": s.text,
                            "start": s.start,
                            "end": s.end,
                            "confidence": round(s.confidence, 3),
                        }
                        for s in chapter.segments
                    ],
                }
                for chapter in script.chapters
            ],
        },
        ensure_ascii=False,
        indent=1,
    )


def to_text(script: Script, folder: str | Path | None = None) -> str:
    """The editable text form. `folder` is where the script file will live: the source
    path in the header is written relative to it (default: the current folder)."""
    lines = [f"{MAGIC}: change a speaker label (the name before the colon), then render this file."]
    work = script.work
    if work is not None and work.source:
        lines.append(f"# source: {_source_path(work.source, folder)}")
        lines.append(f"# sha256: {text_hash(work.text)}")
        lines.append(f"# notes: {'yes' if _reads_notes(script) else 'no'}")
    lines.append(f"# title: {script.title}")
    if script.author:
        lines.append(f"# author: {script.author}")
    for chapter in script.chapters:
        lines.append("")
        lines.append(f"## {chapter.title}")
        for s in chapter.segments:
            lines.append(f"{s.speaker}: {s.text}")
    return "\n".join(lines) + "\n"


def uncertain(script: Script, count: int) -> str:
    """The `count` least certain dialogue lines, least certain first, each with its line
    number in the text form, so it can be found and fixed there."""
    text = to_text(script).splitlines()
    lines = []
    segments = iter(script.segments())
    # Segment lines are the ones after the header that are not blank or headings.
    for n, line in enumerate(text, 1):
        if line and not line.startswith("#"):
            s = next(segments)
            if s.kind == "dialogue":
                lines.append((s.confidence, n, line))
    lines.sort(key=lambda t: (t[0], t[1]))
    return "".join(f"{n:>6}  {conf:.2f}  {line}\n" for conf, n, line in lines[:count])


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _source_path(source: str, folder) -> str:
    """Relative to the script's folder, so the two can move together; absolute when they
    share nothing below the filesystem root (a relative path would be as fragile)."""
    absolute, folder = os.path.abspath(source), os.path.abspath(folder or ".")
    try:
        common = os.path.commonpath([absolute, folder])
    except ValueError:  # another drive
        return absolute
    if common == os.path.dirname(common):  # the root
        return absolute
    return Path(os.path.relpath(absolute, folder)).as_posix()


def _reads_notes(script: Script) -> bool:
    """Whether the script includes author's-note paragraphs (reading.notes was on)."""
    notes = [(p.start, p.end) for ch in script.work.chapters for p in ch.paragraphs if p.kind == "note"]
    return any(a <= s.start < b for s in script.segments() for a, b in notes)


def script_of(input_path: str | Path, cast) -> tuple[Script, list]:
    """What `script`, `render` and the studio voice: an edited script file as its labels
    say, or a story attributed with the speaker fixes saved beside it (fixes.py). Also
    the fixes that could not be carried over to the story as it is now."""
    from . import fixes
    from .attribution import attribute
    from .ingest import ingest
    from .split import split

    if is_script(input_path):
        return read_script(input_path, cast), []
    work = ingest(input_path)
    script = attribute(split(work, include_notes=dict(cast.reading)["notes"]), cast)
    saved = fixes.load(fixes.path_for(input_path))
    if not saved:
        return script, []
    speakers = {NARRATOR, UNKNOWN, *(c.name for c in script.characters), *(c.name for c in cast.characters)}
    return fixes.apply(script, saved, speakers)


def is_script(path: str | Path) -> bool:
    """A script file: the .script extension, or our header on its first line."""
    path = Path(path)
    if path.suffix.lower() == SUFFIX:
        return True
    try:
        with path.open("rb") as f:
            first = f.readline(200)
    except OSError:
        return False
    return first.lstrip(b"\xef\xbb\xbf").startswith(MAGIC.encode())


def read_script(path: str | Path, cast=None) -> Script:
    """An edited script: the source split again, with the speakers of the edited lines.

    Each line's text must still match its segment; a label must be Narrator, Unknown or
    a character of the cast or of the story. A label that differs from what attribution
    says is the user's decision and gets confidence 1.0.
    """
    path = Path(path)
    header, body, source, work = _open_script(path)
    if text_hash(work.text) != header["sha256"][0]:
        raise ScriptError(
            f"{path}: {source} has changed since this script was written; `ficaudio script {path} --carry "
            f"--out NEW.script` writes a script of the story as it is now with your speakers carried over "
            f"(this file is left as it is)"
        )
    attributed, found, speakers, aliases = _attributed(work, header, cast)
    segments = list(attributed.segments())
    edited = []
    for (lineno, label, text), seg in zip(body, segments):
        if text != seg.text:
            raise ScriptError(f"{path}:{lineno}: the text of this line differs from the story "
                              f"(expected {_short(seg.text)!r}); only the speaker label may be edited")
        label = _label(path, lineno, label, speakers, aliases)
        edited.append(seg if label == seg.speaker else replace(seg, speaker=label, confidence=1.0))
    if len(body) > len(segments):
        lineno = body[len(segments)][0]
        raise ScriptError(f"{path}:{lineno}: a line the story does not have; only speaker labels may be "
                          "edited (remove the line, or run `ficaudio script` again)")
    if len(body) < len(segments):
        missing = segments[len(body)].text
        raise ScriptError(f"{path}: the script ends before the story does (next line would be "
                          f"{_short(missing)!r}); put the deleted lines back, or run `ficaudio script` again")
    return replace(attributed.replace_segments(edited), characters=found)


def carry_over(path: str | Path, cast=None) -> tuple[Script, int, int]:
    """A script whose story has changed since it was written, brought up to date: the
    story as it is now, attributed, with each old line's speaker carried over to the line
    of the same text (found as speaker fixes are, fixes.locate). Also how many lines
    were carried and how many are no longer in the story."""
    from .fixes import Fix, locate

    path = Path(path)
    header, body, _, work = _open_script(path)
    attributed, found, speakers, aliases = _attributed(work, header, cast)
    n = max(1, len(body))
    old = [Fix(text, aliases.get(label.lower(), label), body[k - 1][2] if k else "",
               body[k + 1][2] if k + 1 < len(body) else "", k / n)
           for k, (lineno, label, text) in enumerate(body)]
    segments = list(attributed.segments())
    carried = 0
    for f, at in zip(old, locate(attributed, old)):
        if at is None or f.speaker not in speakers:  # the line is gone, or its speaker is
            continue
        carried += 1
        if segments[at].speaker != f.speaker:
            segments[at] = replace(segments[at], speaker=f.speaker, confidence=1.0)
    return replace(attributed.replace_segments(segments), characters=found), carried, len(old) - carried


def _open_script(path: Path):
    from .ingest import ingest

    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScriptError(f"{path}: no such script file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"{path}: cannot read the script ({exc})") from None
    header, body = _parse(raw.splitlines(), path)
    source = _locate(path, *header["source"])
    return header, body, source, ingest(source)


def _attributed(work, header, cast):
    """The story attributed afresh, everyone a label may name, and the labels' spellings."""
    from .attribution import attribute
    from .discover import discover
    from .split import split
    from .voices import Cast

    cast = cast if cast is not None else Cast()
    attributed = attribute(split(work, include_notes=header.get("notes", ("no",))[0] == "yes"), cast)
    # A label may name anyone in the story, not only the cast: without a cast,
    # attribution has already found them.
    found = attributed.characters if not cast.characters else (*cast.characters, *discover(attributed))
    speakers = {NARRATOR, UNKNOWN, *(c.name for c in found), *(s.speaker for s in attributed.segments())}
    # A label may be written in any case, or as an alias ("lex" or "Little Grey" for Lexie).
    aliases = {a.lower(): c.name for c in found for a in c.names}
    aliases.update({a.lower(): c.name for c in cast.characters for a in c.names})
    aliases.update({name.lower(): name for name in speakers})
    return attributed, found, speakers, aliases


def _label(path: Path, lineno: int, label: str, speakers: set[str], aliases: dict) -> str:
    label = aliases.get(label.lower(), label)
    if label not in speakers:
        raise ScriptError(f"{path}:{lineno}: unknown speaker '{label}'{_hint(label, speakers)}; "
                          f"use Narrator, Unknown or one of: {', '.join(sorted(speakers - {NARRATOR, UNKNOWN}))} "
                          "(or add the character to voices.yaml)")
    return label


def source_of(path: str | Path) -> Path | None:
    """The story a script file was made from, if its header names one that exists
    (cheap: for the up-to-date check, which runs before anything heavy)."""
    try:
        with Path(path).open(encoding="utf-8-sig") as f:
            for _, line in zip(range(20), f):
                if line.startswith("# source:"):
                    return _locate(Path(path), line.partition(":")[2].strip(), 0)
    except (OSError, UnicodeDecodeError, ScriptError):
        return None
    return None


def _parse(lines: list[str], path: Path):
    """Header fields (value, line number) and body lines (line number, label, text)."""
    if not lines or not lines[0].startswith(MAGIC):
        raise ScriptError(f"{path}:1: not a ficaudio script (it should start with '{MAGIC}'); "
                          "make one with `ficaudio script STORY > FILE.script`")
    header: dict[str, tuple[str, int]] = {}
    body = []
    for lineno, line in enumerate(lines, 1):
        if line.startswith("#") or not line.strip():
            key, sep, value = line.lstrip("#").partition(":")
            if line.startswith("# ") and sep and not line.startswith("##"):
                header.setdefault(key.strip(), (value.strip(), lineno))
            continue
        label, sep, text = line.partition(": ")
        if not sep or not label.strip():
            raise ScriptError(f"{path}:{lineno}: expected 'Speaker: text', e.g. 'Narrator: {_short(line)}'")
        body.append((lineno, label.strip(), text.strip()))
    for key in ("source", "sha256"):
        if key not in header:
            raise ScriptError(f"{path}: the '# {key}:' header line is missing; make the script again with "
                              "`ficaudio script STORY > FILE.script`")
    return header, body


def _locate(script: Path, source: str, lineno: int) -> Path:
    """The source beside the script first (the path is relative to its folder), then
    relative to the current folder (a script printed to stdout elsewhere)."""
    candidates = [Path(source)] if os.path.isabs(source) else [script.parent / source, Path(source)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ScriptError(f"{script}:{lineno}: the source story {source} is not found next to the script or in "
                      "the current folder; fix the '# source:' line")


def _hint(label: str, speakers: set[str]) -> str:
    near = difflib.get_close_matches(label, sorted(speakers), n=1, cutoff=0.6)
    return f" (did you mean {near[0]}?)" if near else ""


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"

