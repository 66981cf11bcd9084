"""Every bad input gets a one-line message and a non-zero exit, leaves --out as it was,
and never shows a traceback; the awkward-but-valid inputs just work."""

import json
import os
import time

import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from tests.conftest import DATA, needs_ffmpeg

STORY = '"Is it coming?" Mara asked.\n\n"I think," said Theo, "we should go."\n'


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, *words):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and message.startswith("Error: "), message
    for word in words:
        assert word in message, message


def snapshot(folder):
    return {p.relative_to(folder): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def out(tmp_path):
    """An output folder that already holds an earlier book."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "earlier.mp3").write_bytes(b"ID3\x03\x00earlier book")
    return folder


def _bad_inputs(folder):
    folder.mkdir()
    files = {
        "empty": (b"", "empty"),
        "whitespace": (b"  \n\t \r\n", "empty"),
        "binary": (bytes(range(256)) * 8, "binary"),
        "undecodable": (b"\xef\xbb\xbfok \xff\xfe bad", "cannot be decoded"),
        "undecodable utf-16": (b"\xff\xfe\x00\xd8a\x00", "cannot be decoded"),
    }
    cases = []
    for name, (data, word) in files.items():
        path = folder / f"{name.replace(' ', '_')}.txt"
        path.write_bytes(data)
        cases.append((path, word))
    cases.append((folder / "missing.txt", "no such file"))
    cases.append((folder, "directory"))
    return cases


@pytest.mark.parametrize("command", ["script", "render"])
def test_bad_story_files(tmp_path, out, command, fake_voices):
    for path, word in _bad_inputs(tmp_path / "in"):
        before = snapshot(out)
        args = [command, path, "--voices", fake_voices] + (["--out", out, "--quiet"] if command == "render" else [])
        assert_one_line_error(run(*args), word)
        assert snapshot(out) == before


VOICES = {
    "malformed": ("narrator: {engine: fake, voice: narrator\ncharacters:\n  Mara: [\n", ["voices.yaml:2", "malformed"]),
    "unknown voice": ("narrator: {engine: fake, voice: narrator}\ncharacters:\n  Mara: {engine: fake, voice: nosuch}\n",
                      ["voices.yaml:3", "nosuch", "ficaudio voices"]),
    "python object": ("narrator: !!python/object/apply:os.system ['touch PWNED']\n", ["voices.yaml:1", "not allowed"]),
    "python name": ("narrator: {engine: fake, voice: narrator}\nunknown: !!python/name:os.system\n",
                    ["voices.yaml:2", "not allowed"]),
    "local tag": ("characters:\n  Mara: !character {voice: x}\n", ["voices.yaml:2", "not allowed"]),
}


@pytest.mark.parametrize("case", VOICES)
def test_bad_voices_files(tmp_path, out, case, monkeypatch):
    text, words = VOICES[case]
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    voices = tmp_path / "voices.yaml"
    voices.write_text(text)
    monkeypatch.chdir(tmp_path)
    before = snapshot(out)
    assert_one_line_error(run("render", story, "--voices", voices, "--out", out, "--quiet"), *words)
    assert snapshot(out) == before
    assert not (tmp_path / "PWNED").exists()
    # Nothing was synthesized: the voice is checked before any audio is made.
    assert not list((tmp_path / "cache").rglob("*.pcm*"))


def script_lines(path, *args):
    result = run("script", path, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return [[(s["kind"], s["speaker"], s["text"]) for s in c["segments"]] for c in json.loads(result.output)["chapters"]]


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_other_encodings_give_the_same_dialogue(tmp_path, encoding):
    original = "Storm\n\n\u201cIs it coming?\u201d Mara asked.\n\n\u201cI think,\u201d said Theo, \u201cwe should go.\u201d\n"
    utf8, other = tmp_path / "utf8.txt", tmp_path / "other.txt"
    utf8.write_text(original, encoding="utf-8")
    other.write_bytes(original.encode(encoding))
    assert other.read_bytes()[:2] == b"\xff\xfe" or encoding == "cp1252"
    expected = script_lines(utf8)
    assert [k for k, _, _ in expected[0]].count("dialogue") == 3
    assert script_lines(other) == expected


def test_an_unclosed_quote_ends_at_its_paragraph(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text('Storm\n\n"Wait, Mara said. She never closed it.\n\nThe wind rose. Theo ran for the door.\n\n'
                    'Nobody spoke after that.\n')
    chapter = script_lines(path)[0]
    assert chapter[0] == ("dialogue", chapter[0][1], "Wait, Mara said. She never closed it.")
    assert [k for k, _, _ in chapter[1:]] == ["narration", "narration"]


def test_six_megabytes_on_one_line(tmp_path, fake_voices):
    seed = " ".join((DATA.parent.parent / "seeds" / "000_653e07ef9e538d7a.txt").read_text(encoding="utf-8").split())
    path = tmp_path / "long.txt"
    path.write_text(((seed + " ") * (6_000_000 // len(seed) + 1))[:6_000_000], encoding="utf-8")
    started = time.monotonic()
    result = run("script", path, "--voices", fake_voices)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 60
    assert result.output.count("Lexie:") > 100


@needs_ffmpeg
def test_a_hostile_title_stays_inside_out(tmp_path, fake_voices):
    story = tmp_path / "story.txt"
    story.write_text('Title: ../../etc/pass:wd */?\\ "Storm"\n\n"Run!" Mara said.\n')
    out = tmp_path / "out"
    result = run("render", story, "--voices", fake_voices, "--out", out, "--quiet", "--jobs", "1")
    assert result.exit_code == 0, result.output
    made = sorted(p.name for p in out.iterdir())
    assert made == ["etc-pass-wd-storm.ficaudio.json", "etc-pass-wd-storm.mp3", "etc-pass-wd-storm.vtt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out", "story.txt", "voices.yaml"]


@pytest.mark.parametrize("where", ["under a file", "read-only"])
def test_an_unwritable_out(tmp_path, fake_voices, where):
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    if where == "under a file":
        (tmp_path / "file").write_text("not a folder")
        out = tmp_path / "file" / "out"
    else:
        if os.geteuid() == 0:
            pytest.skip("root can write to a read-only folder")
        out = tmp_path / "ro"
        out.mkdir()
        out.chmod(0o500)
    assert_one_line_error(run("render", story, "--voices", fake_voices, "--out", out, "--quiet"), str(out), "--out")


@needs_ffmpeg
def test_a_failed_render_loses_nothing(tmp_path, fake_voices, monkeypatch):
    from ficaudio.engines.fake import FakeEngine
    from ficaudio.errors import EngineError

    story = tmp_path / "story.txt"
    story.write_text(STORY)
    out = tmp_path / "out"
    first = run("render", story, "--voices", fake_voices, "--out", out, "--quiet", "--jobs", "1")
    assert first.exit_code == 0, first.output
    before = snapshot(out)
    calls = []
    real = FakeEngine.synthesize

    def failing(self, text, profile):
        calls.append(text)
        if len(calls) > 2:
            raise EngineError("the fake engine broke down")
        return real(self, text, profile)

    monkeypatch.setattr(FakeEngine, "synthesize", failing)
    story.write_text(STORY + '\n"Now," Mara said.\n')  # a changed story: the render starts over
    result = run("render", story, "--voices", fake_voices, "--out", out, "--quiet", "--jobs", "1", "--no-cache")
    assert_one_line_error(result, "broke down")
    assert len(calls) == 3
    assert snapshot(out) == before
