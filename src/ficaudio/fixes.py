"""Speakers fixed by hand in the studio, kept beside the story in STORY.fixes.json.

`script`, `render` and the studio apply them over attribution. A fix is found again by
its line's text, not its position, so it survives edits of the story made elsewhere: a
line said once is found wherever it moved; one said several times ("Yes.") by the
lines around it, then by where it was. A fix whose line is gone is reported, not
applied to some other line.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .errors import ScriptError
from .model import Script

SUFFIX = ".fixes.json"
VERSION = 1


@dataclass(frozen=True)
class Fix:
    text: str  # the line, as split from the story
    speaker: str
    before: str  # the text of the segment before it ("" at the start)
    after: str  # and after it
    position: float  # where it was, as a fraction of the story's segments


def path_for(story: str | Path) -> Path:
    story = Path(story)
    return story.with_name(story.name + SUFFIX)


def load(path: str | Path) -> list[Fix]:
    path = Path(path)
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Fix(str(f["text"]), str(f["speaker"]), str(f.get("before", "")), str(f.get("after", "")),
                    float(f.get("position", 0.0))) for f in data["fixes"]]
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"{path}: cannot read the speaker fixes ({exc})") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ScriptError(f"{path}: not a speaker-fixes file ({exc}); delete it to drop the fixes, "
                          "or restore it from a backup") from exc


def save(path: str | Path, fixes: list[Fix]) -> None:
    from .cache import write_atomic

    data = {"ficaudio_fixes": VERSION, "fixes": [asdict(f) for f in fixes]}
    try:
        write_atomic(Path(path), (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    except OSError as exc:
        raise ScriptError(f"{path}: cannot save the speaker fixes ({exc.strerror})") from exc


def _fix_at(segments: list, index: int, speaker: str) -> Fix:
    """The fix that gives segment `index` (in story order) to `speaker`."""
    text = lambda i: segments[i].text if 0 <= i < len(segments) else ""  # noqa: E731
    return Fix(text(index), speaker, text(index - 1), text(index + 1), index / max(1, len(segments)))


def with_fixes(fixes: list[Fix], script: Script, indices, speaker: str) -> list[Fix]:
    """`fixes` with the segments `indices` given to `speaker` (replacing earlier fixes of
    those lines); the old fixes are located once, however many lines are given."""
    indices = list(dict.fromkeys(indices))
    gone = set(indices)
    kept = [f for f, at in zip(fixes, locate(script, fixes)) if at not in gone]
    segments = list(script.segments())
    return [*kept, *(_fix_at(segments, i, speaker) for i in indices)]


def locate(script: Script, fixes: list[Fix]) -> list[int | None]:
    """The segment each fix belongs to now, or None where its line is gone."""
    segments = list(script.segments())
    by_text: dict[str, list[int]] = {}
    for i, s in enumerate(segments):
        by_text.setdefault(s.text, []).append(i)
    text = lambda i: segments[i].text if 0 <= i < len(segments) else ""  # noqa: E731
    taken: set[int] = set()
    out: list[int | None] = []
    for f in fixes:
        places = [i for i in by_text.get(f.text, ()) if i not in taken]
        if not places:
            out.append(None)
            continue
        n = max(1, len(segments))
        best = max(places, key=lambda i: ((text(i - 1) == f.before) + (text(i + 1) == f.after),
                                          -abs(i / n - f.position)))
        taken.add(best)
        out.append(best)
    return out


def apply(script: Script, fixes: list[Fix], speakers: set[str]) -> tuple[Script, list[Fix]]:
    """The script with every fix that can be carried over applied (confidence 1.0: the
    user's decision), and the fixes that could not: their line is gone, or their speaker
    is no longer one of `speakers`."""
    if not fixes:
        return script, []
    segments = list(script.segments())
    lost = []
    for f, at in zip(fixes, locate(script, fixes)):
        if at is None or f.speaker not in speakers:
            lost.append(f)
            continue
        segments[at] = replace(segments[at], speaker=f.speaker, confidence=1.0)
    return script.replace_segments(segments), lost


def describe_lost(lost: list[Fix]) -> str:
    shown = "; ".join(f"{f.speaker!r} for {f.text[:40]!r}" for f in lost[:3])
    more = f" and {len(lost) - 3} more" if len(lost) > 3 else ""
    return f"{len(lost)} speaker fix{'es' if len(lost) != 1 else ''} could not be carried over ({shown}{more})"
