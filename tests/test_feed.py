import json
import shutil
from email.utils import parsedate_to_datetime
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from tests.conftest import DATA, FAKE_VOICES, SEED, needs_ffmpeg

pytestmark = needs_ffmpeg

BASE = "https://example.org/fics"
PODCAST = "{https://podcastindex.org/namespace/1.0}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The seed as one MP3, a two-chapter story rendered with --split (an MP3 a chapter,
    the introduction in the first) and a three-chapter story as one M4B, in one folder;
    rendered once for the module."""
    root = tmp_path_factory.mktemp("rendered")
    voices = root / "voices.yaml"
    voices.write_text(FAKE_VOICES)
    out = root / "out"
    for extra, story in (([], SEED), (["--split"], DATA / "chapters.txt"),
                         (["--format", "m4b"], DATA / "three_chapters.txt")):
        run("render", "--quiet", "--no-cache", *extra, str(story), "--voices", str(voices), "--out", str(out))
    return out


@pytest.fixture
def out(rendered, tmp_path):
    return Path(shutil.copytree(rendered, tmp_path / "out"))


def items(out):
    return ET.parse(out / "feed.xml").getroot().find("channel").findall("item")


def local(out, url):
    assert url.startswith(BASE + "/")
    return out / url[len(BASE) + 1 :]


def test_feed_reads_cleanly_in_feedparser_and_podcastparser(out):
    run("feed", str(out), "--base-url", BASE)
    parsed = feedparser.parse(str(out / "feed.xml"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    audio = sorted(p.name for p in [*out.glob("*.mp3"), *out.glob("*.m4b")])
    assert len(audio) == 4 and len(parsed.entries) == 4

    with open(out / "feed.xml", "rb") as f:
        podcast = podcastparser.parse(f"{BASE}/feed.xml", f)
    assert sorted(e["enclosures"][0]["url"].rsplit("/", 1)[1] for e in podcast["episodes"]) == audio
    for episode in podcast["episodes"]:
        enclosure = episode["enclosures"][0]
        m4b = enclosure["url"].endswith(".m4b")
        assert enclosure["mime_type"] == ("audio/x-m4a" if m4b else "audio/mpeg")
        assert enclosure["file_size"] == local(out, enclosure["url"]).stat().st_size
        assert episode["total_time"] > 0
        assert episode["guid"]


def test_every_item_has_what_podcast_apps_use(out):
    run("feed", str(out), "--base-url", BASE + "/")
    channel = ET.parse(out / "feed.xml").getroot().find("channel")
    assert channel.find(f"{ITUNES}explicit").text == "false"
    assert channel.find(f"{ITUNES}category").get("text") == "Arts"
    image = local(out, channel.find(f"{ITUNES}image").get("href"))
    assert image.read_bytes()[:4] == b"\x89PNG"
    guids = set()
    for item in items(out):
        mp3 = local(out, item.find("enclosure").get("url"))
        assert int(item.find("enclosure").get("length")) == mp3.stat().st_size
        meta = [json.loads(p.read_text()) for p in out.glob("*.ficaudio.json")]
        duration = next(f["duration"] for m in meta for f in m["files"] if f["audio"] == mp3.name)
        assert int(item.find(f"{ITUNES}duration").text) == round(duration)
        assert item.find("pubDate").text
        guids.add(item.find("guid").text)
        transcript = item.find(f"{PODCAST}transcript")
        assert transcript.get("type") == "text/vtt"
        assert local(out, transcript.get("url")).read_text().startswith("WEBVTT")
        chapters = item.find(f"{PODCAST}chapters")
        assert chapters.get("type") == "application/json+chapters"
        doc = json.loads(local(out, chapters.get("url")).read_text())
        assert doc["version"] == "1.2.0" and doc["chapters"]
        starts = [c["startTime"] for c in doc["chapters"]]
        assert starts == sorted(starts) and starts[0] == 0 and all(c["title"] for c in doc["chapters"])
        assert starts[-1] < duration
    assert len(guids) == 4


def test_guids_stay_the_same_when_a_work_is_rendered_again_differently(out, seed, fake_voices):
    run("feed", str(out), "--base-url", BASE)
    before = {i.find("title").text: i.find("guid").text for i in items(out)}
    lengths = {i.find("title").text: i.find("enclosure").get("length") for i in items(out)}
    fake_voices.write_text(fake_voices.read_text().replace("voice: narrator}", "voice: narrator, rate: 150}"))
    run("render", "--quiet", str(seed), "--voices", str(fake_voices), "--out", str(out))
    run("feed", str(out), "--base-url", BASE)
    after = {i.find("title").text: i.find("guid").text for i in items(out)}
    assert after == before
    seed_title = "Little Grey's Anatomy"
    assert next(i for i in items(out) if i.find("title").text == seed_title).find("enclosure").get("length") \
        != lengths[seed_title]


def test_channel_defaults_for_several_works_and_overrides(out):
    run("feed", str(out), "--base-url", BASE)
    channel = ET.parse(out / "feed.xml").getroot().find("channel")
    assert channel.find("title").text == "Fan fiction audiobooks"
    assert "Little Grey's Anatomy" in channel.find("description").text
    run("feed", str(out), "--base-url", BASE, "--title", "Podfics <& more>", "--author", "Me", "--explicit")
    parsed = feedparser.parse(str(out / "feed.xml"))
    assert not parsed.bozo
    assert parsed.feed.title == "Podfics <& more>" and parsed.feed.author == "Me"
    # Apple's form; feedparser only understands the older yes/no.
    assert ET.parse(out / "feed.xml").getroot().find(f"channel/{ITUNES}explicit").text == "true"


def test_chapter_files_are_episodes_in_order(out):
    run("feed", str(out), "--base-url", BASE)
    split = sorted((i for i in items(out) if "The Storm Chapter" in i.find("title").text),
                   key=lambda i: int(i.find(f"{ITUNES}episode").text))
    assert [i.find("enclosure").get("url").rsplit("/", 1)[1] for i in split] == \
        ["the-storm-chapter-01.mp3", "the-storm-chapter-02.mp3"]
    # The introduction opens the first chapter's file; the episode is named by the chapter.
    assert split[0].find("title").text == "The Storm Chapter: Chapter 1"
    dates = [parsedate_to_datetime(i.find("pubDate").text) for i in split]
    assert dates == sorted(dates) and len(set(dates)) == 2
    assert ET.parse(out / "feed.xml").getroot().find("channel").find(f"{ITUNES}type").text == "serial"


def test_feed_errors_say_how_to_fix_them(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["feed", str(empty), "--base-url", BASE])
    assert result.exit_code == 1 and "ficaudio render" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["feed", str(empty), "--base-url", "example.org"])
    assert result.exit_code == 1 and "--base-url https://" in result.output


def test_an_m4b_is_an_episode_with_its_cover(out):
    run("feed", str(out), "--base-url", BASE)
    item = next(i for i in items(out) if i.find("title").text == "Salt and Lanterns")
    assert item.find("enclosure").get("type") == "audio/x-m4a"
    image = local(out, item.find(f"{ITUNES}image").get("href"))
    assert image.read_bytes()[:4] == b"\x89PNG"
    chapters = json.loads(local(out, item.find(f"{PODCAST}chapters").get("url")).read_text())["chapters"]
    assert [c["title"] for c in chapters][1:] == [
        "Chapter 1: The Very Long Road Down to the Harbour at Night", "Chapter 2", "Chapter 3: Home"]
