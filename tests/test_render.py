import json
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from tests.conftest import needs_espeak, needs_ffmpeg

pytestmark = needs_ffmpeg


def render(args):
    result = CliRunner().invoke(main, ["render", "--quiet", *args])
    assert result.exit_code == 0, result.output
    return result


def ffprobe_chapters(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)["chapters"]


def decode(path, rate=8000):
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(pcm, dtype="<i2").astype(float)


def test_render_seed_with_fake_engine(seed, fake_voices, tmp_path):
    out = tmp_path / "out"
    render([str(seed), "--voices", str(fake_voices), "--out", str(out)])
    mp3 = out / "little-greys-anatomy.mp3"
    vtt = out / "little-greys-anatomy.vtt"
    assert mp3.exists() and vtt.exists()
    chapters = ffprobe_chapters(mp3)
    assert [c["tags"]["title"] for c in chapters] == ["Introduction", "Little Grey's Anatomy"]
    assert float(chapters[0]["start_time"]) == 0.0
    assert not list(out.glob(".*.part"))

    from mutagen.id3 import ID3
    from mutagen.mp3 import MP3

    tags = ID3(mp3)
    assert tags.version[:2] == (2, 3)
    assert str(tags["TIT2"]) == "Little Grey's Anatomy"
    assert str(tags["TPE1"]) == "Unknown author"
    assert str(tags["TCON"]) == "Audiobook"
    assert tags.getall("APIC")[0].data.startswith(b"\x89PNG")
    assert MP3(mp3).info.sample_rate == 44100


@pytest.mark.parametrize("audio_format", ["mp3", "m4b"])
def test_transcript_times_match_audio(seed, fake_voices, tmp_path, audio_format):
    """Each voice of the fake engine is a tone: a cue's time span must hold its speaker's tone."""
    out = tmp_path / "out"
    render([str(seed), "--voices", str(fake_voices), "--out", str(out), "--format", audio_format])
    text = (out / "little-greys-anatomy.vtt").read_text()
    assert text.startswith("WEBVTT")
    audio = decode(out / f"little-greys-anatomy.{audio_format}")
    cues = []
    for block in text.split("\n\n")[1:]:
        lines = block.strip().splitlines()
        if len(lines) < 3:
            continue
        start, end = (_seconds(t) for t in lines[1].split(" --> "))
        cues.append((start, end, lines[2].split(">")[0][3:]))
    assert any(s == "Lexie" for *_, s in cues) and any(s == "Mark" for *_, s in cues)
    for start, end, speaker in cues:
        a, b = int(start * 8000) + 40, int(end * 8000) - 40
        inside = np.abs(audio[a:b]).mean()
        before = np.abs(audio[max(0, a - 400) : a - 200]).mean()
        assert inside > 5 * before + 1, (speaker, start, end)


def _seconds(stamp):
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_rerender_is_up_to_date(seed, fake_voices, tmp_path):
    out = tmp_path / "out"
    render([str(seed), "--voices", str(fake_voices), "--out", str(out)])
    before = (out / "little-greys-anatomy.mp3").read_bytes()
    result = CliRunner().invoke(main, ["render", str(seed), "--voices", str(fake_voices), "--out", str(out)])
    assert "up to date" in result.output
    assert (out / "little-greys-anatomy.mp3").read_bytes() == before


@needs_espeak
def test_lexie_sounds_higher_than_mark(seed, tmp_path):
    """The acceptance check of the render pipeline, with the real engine and the repo's cast."""
    from tests.conftest import ROOT

    out = tmp_path / "out"
    render([str(seed), "--voices", str(ROOT / "voices.yaml"), "--out", str(out)])
    mp3 = out / "little-greys-anatomy.mp3"
    minutes = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                                    "-of", "csv=p=0", str(mp3)], capture_output=True, text=True).stdout) / 60
    assert 5 <= minutes <= 12
    audio = decode(mp3, rate=16000)
    text = (out / "little-greys-anatomy.vtt").read_text()
    pitches = {"Lexie": [], "Mark": []}
    for block in text.split("\n\n")[1:]:
        lines = block.strip().splitlines()
        speaker = lines[2].split(">")[0][3:]
        if speaker in pitches:
            start, end = (_seconds(t) for t in lines[1].split(" --> "))
            pitches[speaker] += _frame_pitches(audio[int(start * 16000) : int(end * 16000)], 16000)
    assert np.median(pitches["Lexie"]) >= 1.15 * np.median(pitches["Mark"])


def _frame_pitches(x, rate):
    """Autocorrelation pitch of voiced 40 ms frames."""
    n = int(0.04 * rate)
    found = []
    for i in range(0, len(x) - n, n):
        f = x[i : i + n] - x[i : i + n].mean()
        if np.sqrt((f**2).mean()) < 300:
            continue
        ac = np.correlate(f, f, "full")[n - 1 :]
        lo, hi = rate // 400, rate // 60
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] > 0.3 * ac[0]:
            found.append(rate / k)
    return found


def test_chapters_are_written_in_time_order(fake_voices, tmp_path):
    """ffmpeg and many players read CHAP frames in file order, not through the CTOC."""
    from tests.conftest import DATA

    out = tmp_path / "out"
    render([str(DATA / "three_chapters.txt"), "--voices", str(fake_voices), "--out", str(out)])
    chapters = ffprobe_chapters(next(out.glob("*.mp3")))
    assert [c["tags"]["title"] for c in chapters] == [
        "Introduction", "Chapter 1: The Very Long Road Down to the Harbour at Night", "Chapter 2", "Chapter 3: Home"]
    starts = [float(c["start_time"]) for c in chapters]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert all(float(c["end_time"]) - float(c["start_time"]) > 0.5 for c in chapters)


def test_a_chat_log_keeps_a_line_a_message_with_pauses(fake_voices, tmp_path):
    from tests.conftest import DATA

    out = tmp_path / "out"
    render([str(DATA / "group_chat.txt"), "--voices", str(fake_voices), "--out", str(out)])
    blocks = [b.strip().splitlines() for b in (out / "group-chat.vtt").read_text().split("\n\n")[1:] if b.strip()]
    cues = [(lines[1], lines[2]) for lines in blocks if len(lines) >= 3]
    texts = [text.split(">", 1)[-1] for _, text in cues]
    first = texts.index("Rory: BALCONY")
    assert texts[first:first + 3] == ["Rory: BALCONY", "Kit: what", "Rory: just come to the balcony"]
    times = [[_seconds(t) for t in when.split(" --> ")] for when, _ in cues[first:first + 3]]
    assert all(later[0] - earlier[1] >= 0.25 for earlier, later in zip(times, times[1:]))
