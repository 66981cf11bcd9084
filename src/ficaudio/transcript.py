"""The WebVTT transcript: one cue per spoken segment, with a <v Speaker> voice span."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    speaker: str
    text: str


def timestamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "--&gt;")


def webvtt(cues) -> str:
    lines = ["WEBVTT", ""]
    for n, cue in enumerate(cues, 1):
        lines += [str(n), f"{timestamp(cue.start)} --> {timestamp(cue.end)}",
                  f"<v {_escape(cue.speaker)}>{_escape(cue.text)}", ""]
    return "\n".join(lines)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _seconds(stamp: str) -> float:
    parts = stamp.strip().split(":")
    if len(parts) == 2:
        parts.insert(0, "0")
    h, m, s = parts
    return int(h) * 3600 + int(m) * 60 + float(s)


def read_webvtt(text: str) -> list[Cue]:
    """The cues of a transcript as `webvtt` writes it (a cue without a voice span is the
    narrator's); raises ValueError on a file that is not WebVTT."""
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise ValueError("not a WebVTT file")
    cues = []
    for block in text.replace("\r\n", "\n").split("\n\n")[1:]:
        lines = [ln for ln in block.strip().splitlines() if ln.strip()]
        timing = next((i for i, ln in enumerate(lines) if "-->" in ln), None)
        if timing is None:
            continue
        start, end = (_seconds(t.split()[0]) for t in lines[timing].split("-->"))
        body = " ".join(lines[timing + 1 :])
        speaker = "Narrator"
        if body.startswith("<v ") and ">" in body:
            speaker, body = body[3:].split(">", 1)
        cues.append(Cue(start, end, _unescape(speaker.strip()), _unescape(body.strip())))
    return cues
