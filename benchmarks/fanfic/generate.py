"""Write the fan-fiction dev set's stories as plain text, with their gold and their cast.

    python benchmarks/fanfic/generate.py --check benchmarks/fanfic/stories/*.yaml
    python benchmarks/fanfic/generate.py --out DIR benchmarks/fanfic/stories/*.yaml

The story format is described in README.md beside this file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
STORIES = HERE / "stories"
# Stories written after a release's rules and weights were fixed: never trained or tuned on.
FRESH = HERE / "fresh"

MARKS = {  # style: (open, close, inner open, inner close, apostrophe)
    "double": ('"', '"', "'", "'", "'"),
    "curly": ("\u201c", "\u201d", "\u2018", "\u2019", "\u2019"),
    "single": ("'", "'", '"', '"', "'"),
    "single_curly": ("\u2018", "\u2019", "\u201c", "\u201d", "\u2019"),
}
HEADERS = ("ao3", "fanficfare", "byline", "none")
CLASSES = ("first_person", "reader_insert", "non_speech", "ensemble", "exchange", "phone", "multi_paragraph")
NOBODY = "_"
_GLUE = tuple(",.;:!?)") + ("-", "\u2014", "\u2013")
_QUOTE_CHARS = set('"\u201c\u201d')


class StoryError(ValueError):
    pass


@dataclass
class Story:
    id: str
    half: str
    meta: dict
    cast: list[dict]
    text: str = ""
    gold: list[dict] = field(default_factory=list)


def load(path: Path) -> dict:
    yaml = YAML(typ="safe")
    data = yaml.load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise StoryError(f"{path}: not a mapping")
    return data


def _list(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _header(meta: dict, chapters: int, words: int) -> list[str]:
    """The lines above the story, as the chosen layout writes them."""
    style = meta.get("header", "none")
    title, author = meta["title"], meta.get("author", "")
    summary = (meta.get("summary") or "").strip()
    notes = (meta.get("notes") or "").strip()
    fields = [
        ("Rating", _list(meta.get("rating"))),
        ("Archive Warning", _list(meta.get("warnings"))),
        ("Fandom", _list(meta.get("fandom"))),
        ("Relationship", _list(meta.get("relationships"))),
        ("Characters", _list(meta.get("characters"))),
        ("Additional Tags", _list(meta.get("tags"))),
    ]
    out: list[str] = []
    if style == "ao3":  # copied from the work's page: labels, values indented below
        for label, values in fields:
            if values:
                out += [f"{label}:", "    " + ", ".join(values)]
        out += ["Language:", "    English", "Stats:",
                f"    Published: 2024-05-11 Words: {words:,} Chapters: {chapters}/{chapters}", "", title, author, ""]
        if summary:
            out += ["Summary:", "", summary, ""]
        if notes:
            out += ["Notes:", "", notes, ""]
    elif style == "fanficfare":  # FanFicFare's text output
        out += [f"Title: {title}", f"Author: {author}"]
        for label, values in fields:
            if values:
                out.append(f"{label}: {', '.join(values)}")
        out += [f"Words: {words}", f"Chapters: {chapters}/{chapters}"]
        if summary:
            out.append(f"Summary: {summary}")
        out.append("")
        if notes:
            out += [f"Notes: {notes}", ""]
    elif style == "byline":
        out += [title, f"by {author}", ""]
        if summary:
            out += [f"Summary: {summary}", ""]
        if notes:
            out += [f"A/N: {notes}", ""]
    elif style != "none":
        raise StoryError(f"header must be one of {', '.join(HEADERS)}")
    return out


def _check_text(where: str, text: str) -> None:
    if _QUOTE_CHARS & set(text):
        raise StoryError(f"{where}: quote marks in {text!r}; write nested quotations as <<...>>")


def build(data: dict, source: str = "story") -> Story:
    for key in ("id", "half", "title", "quotes", "person", "cast", "chapters"):
        if key not in data:
            raise StoryError(f"{source}: missing {key}")
    style = data["quotes"]
    if style not in MARKS:
        raise StoryError(f"{source}: quotes must be one of {', '.join(MARKS)}")
    opening, closing, inner_open, inner_close, apostrophe = MARKS[style]
    cast = [{"name": str(c["name"]), "aliases": [str(a) for a in c.get("aliases") or []],
             "gender": c.get("gender", "unknown")} for c in data["cast"]]
    names = {c["name"]: c for c in cast}
    for cls in data.get("classes") or []:
        if cls not in CLASSES:
            raise StoryError(f"{source}: unknown class {cls!r} (one of {', '.join(CLASSES)})")

    def typeset(s: str) -> str:
        s = str(s).replace("'", apostrophe)
        return s.replace("<<", inner_open).replace(">>", inner_close)

    body: list[str] = []  # story text after the header, built piece by piece
    pending: list[tuple[int, int, str | None]] = []  # (start, end, speaker) relative to body
    offset = 0
    chapters = data["chapters"]
    words = 0

    def emit(line: str) -> None:
        nonlocal offset
        body.append(line)
        offset += len(line)

    for c, chapter in enumerate(chapters):
        if chapter.get("title"):
            emit(str(chapter["title"]) + "\n\n")
        for p, paragraph in enumerate(chapter.get("paragraphs") or []):
            where = f"{source}: chapter {c + 1}, paragraph {p + 1}"
            pieces = [paragraph] if isinstance(paragraph, str) else list(paragraph)
            for k, piece in enumerate(pieces):
                if k and not (isinstance(piece, str) and piece.startswith(_GLUE)):
                    emit(" ")
                if isinstance(piece, str):
                    _check_text(where, piece)
                    if "<<" in piece:
                        raise StoryError(f"{where}: quoted words in narration must be a quotation piece")
                    words += len(piece.split())
                    emit(typeset(piece))
                    continue
                if not isinstance(piece, dict):
                    raise StoryError(f"{where}: a piece must be text or {{Speaker: text}}")
                piece = dict(piece)
                still_open = bool(piece.pop("open", False))
                if len(piece) != 1:
                    raise StoryError(f"{where}: a quotation is one {{Speaker: text}}, got {sorted(piece)}")
                (speaker, text), = piece.items()
                speaker = None if speaker in (NOBODY, None) else str(speaker)
                if speaker is not None and speaker not in names:
                    raise StoryError(f"{where}: {speaker!r} is not in the cast")
                text = str(text).strip()
                if not text:
                    raise StoryError(f"{where}: an empty quotation")
                _check_text(where, text)
                words += len(text.split())
                emit(opening)
                spoken = typeset(text)
                pending.append((offset, offset + len(spoken), speaker))
                emit(spoken)
                if not still_open:
                    emit(closing)
            emit("\n\n")
    end_notes = (data.get("end_notes") or "").strip()
    if end_notes:
        emit(("End Notes:\n\n" if data.get("header") == "ao3" else "A/N: ") + end_notes + "\n")

    if data.get("header") == "ao3" and len(chapters) == 1 and not chapters[0].get("title"):
        body.insert(0, "Work Text:\n\n")  # as AO3's page shows a one-shot
        pending = [(s + 12, e + 12, who) for s, e, who in pending]
    header = "\n".join(_header(data, len(chapters), words))
    head = header + "\n" if header else ""
    text = head + "".join(body)
    classes = list(data.get("classes") or [])
    gold = []
    for start, end, speaker in pending:
        entry = names.get(speaker)
        gold.append({
            "spans": [[len(head) + start, len(head) + end]],
            "speaker": speaker if speaker else "Narrator",
            "names": sorted({speaker, *entry["aliases"]}) if entry else ["Narrator"],
            "type": "NonSpeech" if speaker is None else "Speech",
            "classes": classes + (["non_speech"] if speaker is None and "non_speech" not in classes else []),
        })
    return Story(id=str(data["id"]), half=str(data["half"]), meta=data, cast=cast, text=text, gold=gold)


def load_story(path: Path) -> Story:
    return build(load(path), path.name)


def all_stories(folder: Path = STORIES) -> list[Story]:
    return [load_story(p) for p in sorted(folder.glob("*.yaml"))]


def voices_yaml(cast: list[dict]) -> str:
    lines = ["characters:"]
    for c in cast:
        lines.append(f"  {json.dumps(c['name'], ensure_ascii=False)}:")
        lines.append(f"    aliases: [{', '.join(json.dumps(a, ensure_ascii=False) for a in c['aliases'])}]")
        lines.append(f"    gender: {c['gender']}")
    return "\n".join(lines) + "\n"


def write(story: Story, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{story.id}.txt").write_text(story.text, encoding="utf-8")
    (out / f"{story.id}.gold.json").write_text(json.dumps({"quotations": story.gold}, indent=1), encoding="utf-8")
    (out / f"{story.id}.voices.yaml").write_text(voices_yaml(story.cast), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stories", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="validate and count; write nothing")
    parser.add_argument("--out", type=Path, help="folder for ID.txt, ID.gold.json and ID.voices.yaml")
    args = parser.parse_args(argv)
    paths = args.stories or sorted(STORIES.glob("*.yaml"))
    total = 0
    failed = False
    for path in paths:
        try:
            story = load_story(path)
        except (StoryError, KeyError, TypeError, AttributeError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            failed = True
            continue
        speakers = Counter(q["speaker"] for q in story.gold)
        total += len(story.gold)
        print(f"{story.id:32} half {story.half}  {len(story.gold):4} quotations  "
              + ", ".join(f"{name} {n}" for name, n in speakers.most_common()))
        if args.out:
            write(story, args.out)
    print(f"{len(paths)} stories, {total} quotations")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
