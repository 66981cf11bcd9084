"""Speaker-attribution benchmark: the seed story, our fan-fiction dev set, the fresh
stories kept out of training and tuning, and the PDNC dev novels, each with the cast
given (cast mode) and without it (auto mode).

    python benchmarks/attribution.py [--pdnc ../shared/pdnc-dev] [--novels Emma,Persuasion]
    python benchmarks/attribution.py --sets fanfic --errors 20
    python benchmarks/attribution.py --sets fresh

A gold quotation is correct when the dialogue segment covering most of its span (summed
over its parts) names the gold speaker or one of the gold speaker's aliases; a quotation
no dialogue segment covers is wrong, unless nobody says it aloud (a sign, a typed text
message: gold speaker Narrator), which is right as narration or as the Narrator's.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NARRATOR = "Narrator"
FANFIC_CLASSES = ("first_person", "reader_insert", "non_speech", "ensemble", "exchange", "phone", "multi_paragraph")

SEED = ROOT / "seeds" / "000_653e07ef9e538d7a.txt"
SEED_VOICES = ROOT / "voices.yaml"
SEED_GOLD = ROOT / "benchmarks" / "seed_gold.json"
GENDERS = {"F": "female", "M": "male"}
TYPES = ("Explicit", "Anaphoric", "Implicit")


def script_json(path, voices_path=None) -> dict:
    """What `ficaudio script PATH --format json [--voices VOICES]` prints, run as a user
    would: a fresh process, in a folder with no voices.yaml of its own."""
    command = [sys.executable, "-m", "ficaudio", "script", str(Path(path).resolve()), "--format", "json"]
    if voices_path:
        command += ["--voices", str(Path(voices_path).resolve())]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])))
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8")
    if done.returncode:
        raise RuntimeError(f"ficaudio script {path} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def _yaml_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML string


def write_voices(characters: list[dict], path: Path) -> None:
    """The minimal voices.yaml for a cast: names, aliases and gender."""
    lines = ["characters:"]
    for c in characters:
        lines.append(f"  {_yaml_string(c['name'])}:")
        lines.append(f"    aliases: [{', '.join(_yaml_string(a) for a in c['aliases'])}]")
        lines.append(f"    gender: {c['gender']}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pdnc_cast(folder: Path) -> list[dict]:
    seen, cast = set(), []
    with open(folder / "character_info.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["Main Name"].strip()
            if not name or name in seen:
                continue
            seen.add(name)
            aliases = sorted(a.strip() for a in ast.literal_eval(row["Aliases"]) if a.strip() and a.strip() != name)
            cast.append({"name": name, "aliases": aliases, "gender": GENDERS.get(row["Gender"].strip(), "unknown")})
    return cast


def pdnc_gold(folder: Path) -> list[dict]:
    """Gold quotations: spans, speaker names (main name and aliases) and quote type."""
    cast = pdnc_cast(folder)
    names = {c["name"]: {c["name"], *c["aliases"]} for c in cast}
    # Some gold speakers are written as an alias of the character's main name.
    for c in reversed(cast):
        for alias in c["aliases"]:
            names.setdefault(alias, names[c["name"]])
    gold = []
    with open(folder / "quotation_info.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            speaker = row["speaker"].strip()
            gold.append({
                "spans": [tuple(s) for s in ast.literal_eval(row["quoteByteSpans"])],
                "speaker": speaker,
                "names": names.get(speaker, {speaker}),
                "type": row["quoteType"] if row["quoteType"] in TYPES else "Other",
            })
    return gold


def seed_gold() -> list[dict]:
    data = json.loads(SEED_GOLD.read_text(encoding="utf-8"))
    return [{"spans": [tuple(s) for s in q["spans"]], "speaker": q["speaker"], "names": {q["speaker"]},
             "type": q.get("type", "Other")} for q in data["quotations"]]


def score(doc: dict, gold: list[dict]) -> list[tuple[dict, bool, str | None]]:
    """(gold quotation, correct, predicted speaker) for every gold quotation."""
    dialogue = sorted(
        (s["start"], s["end"], s["speaker"])
        for ch in doc["chapters"] for s in ch["segments"] if s["kind"] == "dialogue"
    )
    starts = [s[0] for s in dialogue]
    import bisect

    results = []
    for q in gold:
        overlap: Counter = Counter()
        for start, end in q["spans"]:
            i = max(0, bisect.bisect_right(starts, start) - 1)
            while i < len(dialogue) and dialogue[i][0] < end:
                s, e, _ = dialogue[i]
                if min(e, end) > max(s, start):
                    overlap[i] += min(e, end) - max(s, start)
                i += 1
        if not overlap:
            results.append((q, q["speaker"] == NARRATOR, None))
            continue
        best = overlap.most_common(1)[0][0]
        predicted = dialogue[best][2]
        results.append((q, predicted in q["names"], predicted))
    return results


def run_pdnc(root: Path, novel: str, mode: str) -> list:
    folder = root / novel
    with tempfile.TemporaryDirectory() as tmp:
        voices = None
        if mode == "cast":
            voices = Path(tmp) / "voices.yaml"
            write_voices(pdnc_cast(folder), voices)
        doc = script_json(folder / "novel_text.txt", voices)
    return score(doc, pdnc_gold(folder))


def _generator():
    """benchmarks/fanfic/generate.py, which writes the fan-fiction set."""
    if str(ROOT / "benchmarks" / "fanfic") not in sys.path:
        sys.path.insert(0, str(ROOT / "benchmarks" / "fanfic"))
    import generate

    return generate


def fanfic_stories():
    return _generator().all_stories()


def fresh_stories():
    """Stories kept out of training and tuning (benchmarks/fanfic/fresh)."""
    generate = _generator()
    return generate.all_stories(generate.FRESH)


CALIBRATION: list[tuple[float, bool]] = []  # (confidence, correct) of spoken fan-fiction lines, cast mode


def _confidences(doc: dict, results: list) -> list[tuple[float, bool]]:
    """The confidence of the segment each scored quotation went to, with whether it was right."""
    by_start = {s["start"]: s.get("confidence", 1.0) for ch in doc["chapters"] for s in ch["segments"]
                if s["kind"] == "dialogue"}
    return [(by_start[q["spans"][0][0]], ok) for q, ok, p in results
            if p is not None and q["spans"][0][0] in by_start and q["type"] != "NonSpeech"]


def calibration_table(pairs: list[tuple[float, bool]]) -> None:
    print(f"\n{'confidence':12} {'lines':>6} {'right':>7}")
    for lo, hi in ((0.8, 1.01), (0.6, 0.8), (0.4, 0.6), (0.2, 0.4), (0.0, 0.2)):
        inside = [ok for c, ok in pairs if lo <= c < hi]
        if inside:
            print(f"{lo:.1f}-{min(hi, 1.0):.1f}      {len(inside):6} {100 * sum(inside) / len(inside):6.1f}%")


def run_fanfic(story, mode: str) -> list:
    """Score one story of the fan-fiction set, written out as a user would have it."""
    generate = _generator()
    with tempfile.TemporaryDirectory() as tmp:
        generate.write(story, Path(tmp))
        voices = Path(tmp) / f"{story.id}.voices.yaml" if mode == "cast" else None
        doc = script_json(Path(tmp) / f"{story.id}.txt", voices)
    gold = [dict(q, names=set(q["names"]), half=story.half) for q in story.gold]
    results = score(doc, gold)
    if mode == "cast":
        CALIBRATION.extend(_confidences(doc, results))
    return results


def report_fanfic(mode: str, per_story: dict[str, list], title: str = "fan fiction") -> list:
    """Per story, per half and per class: all quotations, spoken ones, and the ones
    nobody says aloud."""
    def row(label, rs):
        spoken = [r for r in rs if r[0]["type"] != "NonSpeech"]
        silent = [r for r in rs if r[0]["type"] == "NonSpeech"]
        print(f"{label:32} {len(rs):5} {_pct(rs):>7} {_pct(spoken):>8} {_pct(silent):>10}")

    everything = [r for rs in per_story.values() for r in rs]
    print(f"\n== {title}, {mode} mode ==")
    print(f"{'story':32} {'n':>5} {'all':>7} {'spoken':>8} {'not said':>10}")
    for name, rs in per_story.items():
        row(name, rs)
    for half in sorted({r[0]["half"] for r in everything} & {"A", "B"}):
        row(f"half {half}", [r for r in everything if r[0]["half"] == half])
    for cls in FANFIC_CLASSES:
        if cls == "non_speech":
            row("class non_speech (quotes)", [r for r in everything if r[0]["type"] == "NonSpeech"])
        else:
            row(f"class {cls}", [r for r in everything if cls in r[0]["classes"]])
    row("OVERALL (micro)", everything)
    return everything


def discovery_table(stories) -> None:
    """Characters found without a cast against each story's gold cast: speakers found,
    entries that are no speaker of the gold (not people, or nobody who speaks), gold
    speakers split over several entries, and gender right where the gold knows it."""
    sys.path.insert(0, str(ROOT / "src"))
    from ficaudio.discover import discover
    from ficaudio.ingest import parse_text
    from ficaudio.split import split

    print("\n== fan fiction, characters found without a cast ==")
    print(f"{'story':32} {'speakers':>8} {'found':>6} {'not a speaker':>13} {'split':>6} {'gender':>7}")
    totals = Counter()
    for story in stories:
        speaking = {q["speaker"] for q in story.gold if q["speaker"] != NARRATOR}
        gold = [c for c in story.cast if c["name"] in speaking]
        found = discover(split(parse_text(story.text, source=f"{story.id}.txt")))
        names = {c["name"]: {n.lower() for n in (c["name"], *c["aliases"])} for c in gold}
        matched: dict[str, list] = defaultdict(list)
        strays = 0
        for c in found:
            hits = [g for g, ns in names.items() if {n.lower() for n in c.names} & ns]
            if hits:
                matched[hits[0]].append(c)
            else:
                strays += 1
        gendered = [(g, cs[0].gender) for g, cs in matched.items()
                    if next(c["gender"] for c in gold if c["name"] == g) != "unknown"]
        right = sum(next(c["gender"] for c in gold if c["name"] == g) == got for g, got in gendered)
        row = Counter(speakers=len(gold), found=len(matched), strays=strays,
                      split=sum(len(cs) > 1 for cs in matched.values()), gendered=len(gendered), right=right)
        totals.update(row)
        print(f"{story.id:32} {row['speakers']:8} {row['found']:6} {row['strays']:13} {row['split']:6} "
              f"{row['right']:3}/{row['gendered']:<3}")
    print(f"{'TOTAL':32} {totals['speakers']:8} {totals['found']:6} {totals['strays']:13} {totals['split']:6} "
          f"{totals['right']:3}/{totals['gendered']:<3}")


def _pct(results) -> str:
    if not results:
        return "   -  "
    return f"{100 * sum(ok for _, ok, _ in results) / len(results):5.1f}%"


def _row(label: str, results: list) -> dict[str, list]:
    """Print one table row (all quotations, then by type); the results by type."""
    by_type = defaultdict(list)
    for r in results:
        by_type[r[0]["type"]].append(r)
    print(f"{label:32} {len(results):5} {_pct(results):>7} {_pct(by_type['Explicit']):>9} "
          f"{_pct(by_type['Anaphoric']):>10} {_pct(by_type['Implicit']):>9}")
    return by_type


def report(label: str, per_novel: dict[str, list]) -> dict:
    everything = [r for rs in per_novel.values() for r in rs]
    print(f"\n== {label} ==")
    print(f"{'novel':32} {'n':>5} {'all':>7} {'explicit':>9} {'anaphoric':>10} {'implicit':>9}")
    for name, rs in per_novel.items():
        _row(name, rs)
    by_type = _row("OVERALL (micro)", everything)
    uncovered = sum(p is None for _, _, p in everything)
    print(f"quotations covered by no dialogue segment: {uncovered}")
    return {"all": everything, "by_type": by_type}


def time_script(path: Path, voices=None, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        script_json(path, voices)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdnc", type=Path, default=ROOT.parent / "shared" / "pdnc-dev",
                        help="folder of PDNC novels (default: ../shared/pdnc-dev beside the repo)")
    parser.add_argument("--novels", help="comma-separated subset of novel folders")
    parser.add_argument("--modes", default="cast,auto", help="cast, auto or both")
    parser.add_argument("--errors", type=int, default=0, help="print this many wrong quotations per novel")
    parser.add_argument("--sets", default="seed,fanfic,fresh,pdnc",
                        help="which of seed, fanfic, fresh, pdnc to score")
    parser.add_argument("--half", choices=("A", "B"), help="only this half of the fan-fiction set")
    args = parser.parse_args(argv)
    sets = args.sets.split(",")
    modes = args.modes.split(",")
    if "seed" in sets:
        seed_results = {
            "seed (cast)": score(script_json(SEED, SEED_VOICES), seed_gold()),
            "seed (no voices.yaml)": score(script_json(SEED, None), seed_gold()),
        }
        print("== seed ==")
        for label, rs in seed_results.items():
            print(f"{label:32} {len(rs):5} {_pct(rs):>7}")

    for name, title, load in (("fanfic", "fan fiction", fanfic_stories),
                              ("fresh", "fresh fan fiction, never trained or tuned on", fresh_stories)):
        if name not in sets:
            continue
        stories = [s for s in load() if name == "fresh" or args.half in (None, s.half)]
        for mode in modes:
            per_story = {}
            for story in stories:
                per_story[story.id] = run_fanfic(story, mode)
                for q, _, predicted in [r for r in per_story[story.id] if not r[1]][: args.errors]:
                    s, e = q["spans"][0]
                    print(f"  {story.id} {mode} gold={q['speaker']!r} got={predicted!r} "
                          f"@{s}: {' '.join(story.text[s:e].split())[:70]}")
            report_fanfic(mode, per_story, title)
            if mode == "cast" and name == "fanfic":
                calibration_table(CALIBRATION)
            elif mode == "auto":
                discovery_table(stories)
    if "pdnc" not in sets:
        return 0
    if not args.pdnc.is_dir():
        print(f"\nno PDNC folder at {args.pdnc}; skipping the novels")
        return 0
    novels = sorted(p.name for p in args.pdnc.iterdir() if (p / "quotation_info.csv").exists())
    if args.novels:
        novels = [n for n in novels if n in args.novels.split(",")]
    for mode in modes:
        per_novel = {}
        for novel in novels:
            per_novel[novel] = run_pdnc(args.pdnc, novel, mode)
            if args.errors:
                text = (args.pdnc / novel / "novel_text.txt").read_text(encoding="utf-8")
                wrong = [r for r in per_novel[novel] if not r[1]][: args.errors]
                for q, _, predicted in wrong:
                    s, e = q["spans"][0]
                    print(f"  {novel} {mode} {q['type'][:4]} gold={q['speaker']!r} got={predicted!r} "
                          f"@{s}: {' '.join(text[s:e].split())[:70]}")
        report(f"PDNC dev, {mode} mode", per_novel)

    emma = args.pdnc / "Emma" / "novel_text.txt"
    if emma.exists():
        with tempfile.TemporaryDirectory() as tmp:
            voices = Path(tmp) / "voices.yaml"
            write_voices(pdnc_cast(emma.parent), voices)
            cast_time = time_script(emma, voices)
        print(f"\nEmma `ficaudio script --format json` wall time (process start to JSON, best of 3): "
              f"cast given {cast_time:.2f} s, auto mode {time_script(emma):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
