"""The script as text and JSON: who says what, readable, editable and machine-readable.

The text form puts one segment on a line with the speaker's label first. A header
names the source file, so an edited script can be read back (see read_script).
"""

from __future__ import annotations

import json

from .model import Script


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


def to_text(script: Script) -> str:
    lines = [f"# title: {script.title}"]
    if script.author:
        lines.append(f"# author: {script.author}")
    for chapter in script.chapters:
        lines.append("")
        lines.append(f"## {chapter.title}")
        for s in chapter.segments:
            lines.append(f"{s.speaker}: {s.text}")
    return "\n".join(lines) + "\n"
