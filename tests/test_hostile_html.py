"""Inputs built to be slow: each must cost time in proportion to its size."""

import subprocess
import sys
import time

from ficaudio.ingest import parse_text
from ficaudio.split import split


def test_many_comments_before_plain_text_do_not_backtrack(tmp_path):
    path = tmp_path / "x.html"
    path.write_text("<!-- -->" * 40 + "x", encoding="utf-8")  # took minutes: each comment doubled the time
    code = f"from ficaudio.ingest import ingest; ingest({str(path)!r})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr or "InputError" in done.stderr


def _split_seconds(paragraphs: int) -> float:
    work = parse_text("\n\n".join(f"Paragraph {i}, said nobody." for i in range(paragraphs)), source="x.txt")
    started = time.perf_counter()
    split(work)
    return time.perf_counter() - started


def test_splitting_is_linear_in_the_paragraphs():
    small = min(_split_seconds(2_000) for _ in range(3))
    large = _split_seconds(20_000)
    # Ten times the paragraphs: about ten times the time (a list test made it a hundred).
    assert large / small < 30, (small, large)
