"""M4B output: chapters where players look for them, the same times as the MP3, tags,
and the conversions users make with ffmpeg."""

import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from tests.conftest import DATA, needs_ffmpeg

pytestmark = needs_ffmpeg

AAC_FRAME = 1024 / 44100


def render(story, voices, out, *args):
    result = CliRunner().invoke(main, ["render", "--quiet", str(story), "--voices", str(voices), "--out", str(out),
                                       *args])
    assert result.exit_code == 0, result.output
    return result


def probe(path):
    import json

    out = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-show_streams", "-show_format",
                          "-of", "json", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def chapters(path):
    return [(c["tags"]["title"], float(c["start_time"]), float(c["end_time"])) for c in probe(path)["chapters"]]


def assert_same_chapters(mp3, m4b):
    a, b = chapters(mp3), chapters(m4b)
    assert [t for t, *_ in a] == [t for t, *_ in b]
    for (title, start_a, _), (_, start_b, _) in zip(a, b):
        assert abs(start_a - start_b) <= AAC_FRAME, title
    starts = [s for _, s, _ in b]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert all(end > start for _, start, end in b)


def test_an_m4b_has_the_mp3s_chapters_tags_and_cover(fake_voices, tmp_path):
    from mutagen.mp4 import MP4

    story = DATA / "three_chapters.txt"
    render(story, fake_voices, tmp_path / "mp3")
    render(story, fake_voices, tmp_path / "m4b", "--format", "m4b")
    mp3, m4b = tmp_path / "mp3" / "salt-and-lanterns.mp3", tmp_path / "m4b" / "salt-and-lanterns.m4b"
    assert_same_chapters(mp3, m4b)
    assert [t for t, *_ in chapters(m4b)] == [
        "Introduction", "Chapter 1: The Very Long Road Down to the Harbour at Night", "Chapter 2", "Chapter 3: Home"]
    info = probe(m4b)
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (audio["codec_name"], audio["sample_rate"], audio["channels"]) == ("aac", "44100", 1)
    assert abs(float(info["format"]["duration"]) - float(probe(mp3)["format"]["duration"])) <= 2 * AAC_FRAME
    assert info["format"]["tags"]["major_brand"].strip() == "M4B"

    tags = MP4(m4b)
    assert tags["\xa9nam"] == ["Salt and Lanterns"] and tags["\xa9ART"] == ["Quill Writer"]
    assert tags["covr"][0].startswith(b"\x89PNG")
    assert "text-to-speech" in tags["desc"][0] and tags["ldes"] == tags["\xa9cmt"]
    assert tags["stik"] == [2] and tags["trkn"] == [(1, 1)]
    assert tags["\xa9wrt"] == ["ficaudio (test-tone voices)"]
    # The Nero chpl atom, which mutagen and several Android players read.
    assert [c.title for c in tags.chapters][1:] == [t for t, *_ in chapters(m4b)][1:]
    assert not list((tmp_path / "m4b").glob(".*"))


def test_300_chapters_in_both_formats(fake_voices, tmp_path):
    story = tmp_path / "long.txt"
    story.write_text("Long Story\n\nby Quill Writer\n\n"
                     + "".join(f"Chapter {n}\n\n\"Run,\" she said, {n} times.\n\n" for n in range(1, 301)))
    render(story, fake_voices, tmp_path / "mp3", "--jobs", "2")
    render(story, fake_voices, tmp_path / "m4b", "--jobs", "2", "--format", "m4b")
    mp3, m4b = tmp_path / "mp3" / "long-story.mp3", tmp_path / "m4b" / "long-story.m4b"
    assert len(chapters(m4b)) == 301
    assert_same_chapters(mp3, m4b)
    assert [t for t, *_ in chapters(m4b)][-1] == "Chapter 300"


def test_conversions_users_make_keep_the_chapters(fake_voices, tmp_path):
    render(DATA / "three_chapters.txt", fake_voices, tmp_path, "--format", "mp3")
    render(DATA / "three_chapters.txt", fake_voices, tmp_path, "--format", "m4b")
    mp3, m4b = tmp_path / "salt-and-lanterns.mp3", tmp_path / "salt-and-lanterns.m4b"
    expected = chapters(mp3)
    for source, target, codec in ((mp3, "converted.m4b", ["-c:a", "aac"]), (m4b, "copied.m4b", ["-c", "copy"]),
                                  (mp3, "copied.mp3", ["-c", "copy"]), (m4b, "converted.mp3", ["-c:a", "libmp3lame"])):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), "-map", "0:a", *codec, str(tmp_path / target)],
                       check=True)
        found = chapters(tmp_path / target)
        assert [t for t, *_ in found] == [t for t, *_ in expected], target
        for (_, start, end), (_, want_start, want_end) in zip(found, expected):
            assert abs(start - want_start) <= 2 * AAC_FRAME and abs(end - want_end) <= 0.1, target


def test_split_m4b_is_one_file_a_chapter_numbered_n_of_total(fake_voices, tmp_path):
    from mutagen.mp4 import MP4

    render(DATA / "chapters.txt", fake_voices, tmp_path, "--format", "m4b", "--split")
    files = sorted(tmp_path.glob("*.m4b"))
    assert [f.name for f in files] == ["the-storm-chapter-01.m4b", "the-storm-chapter-02.m4b"]
    assert [MP4(f)["trkn"] for f in files] == [[(1, 2)], [(2, 2)]]
    assert [t for t, *_ in chapters(files[0])] == ["Introduction", "Chapter 1"]
    assert MP4(files[1])["\xa9nam"] == ["Chapter Two: The Storm"]


@pytest.mark.parametrize("audio_format", ["mp3", "m4b"])
def test_a_unit_decodes_to_the_length_predicted_before_encoding(audio_format):
    """The render shortens the pause after each unit by its priming and padding, computed
    before the unit is encoded; a wrong prediction would let the formats drift apart."""
    from ficaudio import defaults
    from ficaudio.encode import Settings, encode_pcm

    settings = Settings(format=audio_format)
    codec = settings.codec
    rng = np.random.default_rng(7)
    # Among them: a unit that fills its last MP3 frame to within 48 samples, and one
    # that is a whole number of AAC frames.
    for samples in [1000, 22050, 44100 - 553, 44100 + 576, 44357, 46080, 99999, 441037]:
        pcm = rng.normal(0, 300, samples).astype("<i2").tobytes()
        data = encode_pcm(pcm, defaults.WORK_RATE, settings)
        out_samples = samples * settings.rate // defaults.WORK_RATE
        assert codec.count_frames(data) * codec.frame_samples == codec.decoded_samples(out_samples), samples


def test_podfic_fields_and_the_reader_from_voices_yaml(fake_voices, tmp_path):
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4

    fake_voices.write_text(fake_voices.read_text() + "reader: Quill Writer's TTS desk\n")
    story = tmp_path / "story.txt"
    story.write_text((DATA / "headers" / "fanficfare.txt").read_text())
    render(story, fake_voices, tmp_path, "--format", "m4b")
    render(story, fake_voices, tmp_path, "--format", "mp3")
    mp4 = MP4(tmp_path / "the-kettle-problem.m4b")
    assert mp4["\xa9wrt"] == ["Quill Writer's TTS desk"]
    assert bytes(mp4["----:com.apple.iTunes:SERIES"][0]) == b"Harbour Lights Shorts"
    assert bytes(mp4["----:com.apple.iTunes:SERIES-PART"][0]) == b"3"
    assert bytes(mp4["----:com.apple.iTunes:FANDOM"][0]) == b"Harbour Lights (TV)"
    id3 = ID3(tmp_path / "the-kettle-problem.mp3")
    assert str(id3["TCOM"]) == "Quill Writer's TTS desk"
    assert str(id3["TXXX:SERIES"]) == "Harbour Lights Shorts" and str(id3["TPOS"]) == "3"
    assert "not a podfic read by a person" in str(id3.getall("COMM")[0])
