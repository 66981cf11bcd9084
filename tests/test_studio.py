"""The studio: its HTTP side (token, loopback, paths) and the page in a real headless
Chromium (Debian's chromium and chromium-driver, driven by Selenium)."""

import io
import json
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import wave

import pytest
from click.testing import CliRunner

from ficaudio import fixes
from ficaudio.errors import VoicesError
from ficaudio.cli import main
from ficaudio.studio import Studio
from ficaudio.studio.server import make_server, url_of
from tests.conftest import FAKE_VOICES, SEED, needs_ffmpeg

VOICES = "# casting for the seed, by hand\n" + FAKE_VOICES.replace(
    "  Lexie:", "  # the lead\n  Lexie:")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def folder(tmp_path):
    story = tmp_path / "story.txt"
    shutil.copy(SEED, story)
    (tmp_path / "voices.yaml").write_text(VOICES, encoding="utf-8")
    return tmp_path


@pytest.fixture
def studio(folder):
    return Studio(folder / "story.txt", folder / "voices.yaml", folder / "out")


@pytest.fixture
def server(studio):
    server = make_server(studio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def request(url, data=None, headers=None, method=None):
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})},
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def first_line_of(studio, speaker):
    return next(i for i, s in enumerate(studio.script.segments()) if s.speaker == speaker and s.kind == "dialogue")


# --- HTTP ----------------------------------------------------------------------------

def test_changes_need_the_page_token_and_a_loopback_host(server, studio, folder):
    url = url_of(server)
    status, page = request(url)
    assert status == 200 and studio.token.encode() in page
    line = first_line_of(studio, "Lexie")
    change = {"lines": [line], "speaker": "April"}
    assert request(url + "api/speaker", change)[0] == 403
    assert request(url + "api/speaker", change, {"X-Studio-Token": "guess"})[0] == 403
    # DNS rebinding: a name that resolves to 127.0.0.1, from another site's page.
    assert request(url + "api/speaker", change, {"X-Studio-Token": studio.token, "Host": "evil.example"})[0] == 403
    assert request(url + "api/state", headers={"Host": "evil.example:80"})[0] == 403
    assert not fixes.path_for(folder / "story.txt").exists()
    assert request(url + "api/speaker", change, {"X-Studio-Token": studio.token})[0] == 200
    assert fixes.path_for(folder / "story.txt").exists()


def test_nothing_outside_the_output_folder_is_served(server, folder):
    url = url_of(server)
    (folder / "out").mkdir()
    (folder / "out" / "x.vtt").write_text("WEBVTT\n")
    assert request(url + "out/x.vtt")[0] == 200
    for path in ("out/../voices.yaml", "out/%2e%2e%2fvoices.yaml", "out/..%2fstory.txt", "page/../../voices.yaml",
                 "out/.x.vtt", "story.txt", "voices.yaml"):
        assert request(url + path)[0] == 404, path


def test_a_line_heard_is_cached_for_the_render(server, studio):
    from ficaudio.assemble import spoken_items
    from ficaudio.cache import Cache

    line = first_line_of(studio, "Mark")
    status, data = request(url_of(server) + f"api/line/{line}.wav")
    assert status == 200 and data[:4] == b"RIFF"
    seg = list(studio.script.segments())[line]
    items = spoken_items(studio.voiced, seg.text, seg.speaker, 0.0)
    from ficaudio.synthesize import cached_pcm

    cached = [cached_pcm(Cache(), item.line.key) for item in items]
    assert all(cached)
    assert wav_seconds(data) == pytest.approx(sum(len(pcm) for pcm in cached) / 2 / 22050, abs=0.3)
    assert request(url_of(server) + "api/line/99999.wav")[0] == 400


def test_a_fix_survives_a_restart_and_reaches_script_and_render(studio, folder):
    line = first_line_of(studio, "Lexie")
    text = list(studio.script.segments())[line].text
    studio.set_speaker([line], "April")
    again = Studio(folder / "story.txt", folder / "voices.yaml", folder / "out")
    assert list(again.script.segments())[line].speaker == "April"
    result = CliRunner().invoke(main, ["script", str(folder / "story.txt"), "--voices", str(folder / "voices.yaml")])
    assert f"April: {text}" in result.output


def test_a_run_of_lines_in_an_edited_script_is_saved_in_the_script(folder):
    out = CliRunner().invoke(main, ["script", str(folder / "story.txt"), "--voices", str(folder / "voices.yaml"),
                                    "--out", str(folder / "story.script")])
    assert out.exit_code == 0
    studio = Studio(folder / "story.script", folder / "voices.yaml", folder / "out")
    lines = [i for i, s in enumerate(studio.script.segments()) if s.speaker == "Mark"][:3]
    studio.set_speaker(lines, "Jackson")
    text = (folder / "story.script").read_text()
    assert text.startswith("# ficaudio script")
    result = CliRunner().invoke(main, ["script", str(folder / "story.script"), "--voices", str(folder / "voices.yaml")])
    assert result.exit_code == 0
    labels = [line.split(":")[0] for line in result.output.splitlines() if line and not line.startswith("#")]
    assert [labels[i] for i in lines] == ["Jackson"] * 3


def test_the_cast_panel_writes_voices_yaml_keeping_comments(studio, folder):
    studio.set_voice("Lexie", {"engine": "fake", "voice": "mid", "rate": "190", "volume": "1"}, "female")
    text = (folder / "voices.yaml").read_text()
    assert text.startswith("# casting for the seed, by hand\n") and "  # the lead\n" in text
    assert studio.voiced.profile_for("Lexie").voice == "mid" and studio.voiced.profile_for("Lexie").rate == 190
    studio.add_alias("Mark", "Dr. Sloan")
    assert "Dr. Sloan" in studio.voiced.character("Mark").aliases
    before = (folder / "voices.yaml").read_text()
    with pytest.raises(VoicesError, match="unknown voice id"):
        studio.set_voice("Mark", {"engine": "fake", "voice": "nobody"}, None)
    assert (folder / "voices.yaml").read_text() == before


def test_studio_prints_its_address_first(folder):
    proc = subprocess.Popen([sys.executable, "-m", "ficaudio", "studio", str(folder / "story.txt"), "--no-browser",
                             "--voices", str(folder / "voices.yaml")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=folder)
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("http://127.0.0.1:") and first.endswith("/")
        assert request(first)[0] == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_missing_story_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["studio", str(tmp_path / "nope.txt"), "--no-browser"])
    assert result.exit_code == 1 and "no such story" in result.output


# --- the page, in a real browser -----------------------------------------------------

needs_browser = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                   reason="needs chromium and chromium-driver (apt-get install chromium chromium-driver)")


@pytest.fixture
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def wait(driver, condition, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def css(driver, selector):
    return driver.find_elements("css selector", selector)


def text_of(driver, selector) -> str:
    """An element's text, read in the page: the page redraws when another tab changes
    something, so an element found a moment ago may be gone."""
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.textContent : ''",
                                 selector)


def open_page(browser, server):
    browser.get(url_of(server))
    wait(browser, lambda d: css(d, ".row"))


@needs_browser
def test_page_plays_a_line_of_the_right_length(browser, server, studio):
    open_page(browser, server)
    line = first_line_of(studio, "Lexie")
    row = css(browser, f'.row[data-i="{line}"]')[0]
    row.find_element("css selector", ".play").click()
    duration = wait(browser, lambda d: d.execute_script(
        "const a = document.getElementById('line-audio'); return a.duration > 0 && isFinite(a.duration) ? a.duration : null"))
    status, data = request(url_of(server) + f"api/line/{line}.wav")
    assert duration == pytest.approx(wav_seconds(data), abs=0.05)


@needs_browser
def test_page_changes_a_speaker_and_a_second_tab_sees_it(browser, server, studio, folder):
    from selenium.webdriver.support.ui import Select

    open_page(browser, server)
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    open_page(browser, server)
    second = browser.current_window_handle
    browser.switch_to.window(first)
    line = first_line_of(studio, "Lexie")
    row = css(browser, f'.row[data-i="{line}"]')[0]
    row.find_element("css selector", "button.speaker").click()
    Select(row.find_element("css selector", "select.speaker")).select_by_value("April")
    wait(browser, lambda d: "given to April" in text_of(d, "#message"))
    saved = json.loads(fixes.path_for(folder / "story.txt").read_text())["fixes"]
    assert [f["speaker"] for f in saved] == ["April"]
    result = CliRunner().invoke(main, ["script", str(folder / "story.txt"), "--voices", str(folder / "voices.yaml")])
    assert f"April: {saved[0]['text']}" in result.output
    browser.switch_to.window(second)
    wait(browser, lambda d: text_of(d, f'.row[data-i="{line}"] button.speaker').startswith("April"), timeout=10)


@needs_browser
def test_page_changes_a_voice_keeping_the_files_comments(browser, server, folder):
    open_page(browser, server)
    card = css(browser, '.person[data-name="Lexie"]')[0]
    card.find_element("css selector", "summary").click()
    field = card.find_element("css selector", 'input[name="voice"]')
    field.clear()
    field.send_keys("mid")
    card.find_element("css selector", "button.primary").click()
    wait(browser, lambda d: "voice saved" in text_of(d, "#message"))
    text = (folder / "voices.yaml").read_text()
    assert text.startswith("# casting for the seed, by hand\n") and "  # the lead\n" in text
    assert "Lexie:" in text and "voice: mid" in text.split("Lexie:")[1].split("Mark:")[0]
    wait(browser, lambda d: "fake mid" in text_of(d, '.person[data-name="Lexie"] summary'))


@needs_browser
@needs_ffmpeg
def test_page_renders_the_book_with_a_player(browser, server, folder):
    open_page(browser, server)
    browser.find_element("id", "render").click()
    wait(browser, lambda d: css(d, ".player audio"), timeout=120)
    audio = folder / "out" / "little-greys-anatomy.mp3"
    assert audio.exists() and audio.stat().st_size > 10_000
    duration = wait(browser, lambda d: d.execute_script(
        "const a = document.querySelector('.player audio'); return a.duration > 0 ? a.duration : null"))
    assert duration > 60
    assert len(css(browser, ".player li")) >= 1
    # The shell's render sees the same inputs: nothing to do.
    result = CliRunner().invoke(main, ["render", str(folder / "story.txt"), "--voices", str(folder / "voices.yaml"),
                                       "--out", str(folder / "out")])
    assert "up to date" in result.output


def test_audition_plays_the_panels_settings_before_they_are_saved(server, studio, folder):
    import urllib.parse

    before = (folder / "voices.yaml").read_text()
    url = url_of(server) + "api/audition.wav?name=Lexie"
    status, saved = request(url)
    voice = urllib.parse.quote(json.dumps({"engine": "fake", "voice": "low", "rate": "120"}))
    status2, unsaved = request(url + "&voice=" + voice)
    assert status == status2 == 200 and saved[:4] == unsaved[:4] == b"RIFF"
    assert unsaved[44:] != saved[44:]  # another voice (the test engine's tones differ by voice)
    assert (folder / "voices.yaml").read_text() == before
