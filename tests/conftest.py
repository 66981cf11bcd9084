import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED = ROOT / "seeds" / "000_653e07ef9e538d7a.txt"


def _have_espeak() -> bool:
    try:
        from ficaudio.engines import get_engine

        get_engine("pyttsx3").voices()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not usable here"
        return False


HAVE_FFMPEG = shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
HAVE_ESPEAK = _have_espeak()

needs_ffmpeg = pytest.mark.skipif(not HAVE_FFMPEG, reason="needs ffmpeg and ffprobe (apt-get install ffmpeg)")
needs_espeak = pytest.mark.skipif(not HAVE_ESPEAK, reason="needs espeak-ng for pyttsx3 (apt-get install espeak-ng)")


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def all_end(pids, seconds: float = 10) -> bool:
    """Whether every one of `pids` has ended within `seconds`."""
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(alive(p) for p in pids)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own render cache, so tests never see each other's audio."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def seed() -> Path:
    return SEED


FAKE_VOICES = """narrator: {engine: fake, voice: narrator}
unknown: {engine: fake, voice: mid}
defaults:
  female: {engine: fake, voice: female}
  male: {engine: fake, voice: male}
  unknown: {engine: fake, voice: mid}
characters:
  Lexie: {aliases: [Lex, Lexie Grey, Little Grey], gender: female, engine: fake, voice: high}
  Mark: {aliases: [Mark Sloan, Sloan], gender: male, engine: fake, voice: low}
  Jackson: {aliases: [Jackson Avery, Avery], gender: male, engine: fake, voice: male}
  April: {aliases: [April Kepner, Kepner], gender: female, engine: fake, voice: female}
"""


@pytest.fixture
def fake_voices(tmp_path) -> Path:
    """The seed's cast on the fake engine: fast, and each voice a distinct tone."""
    path = tmp_path / "voices.yaml"
    path.write_text(FAKE_VOICES, encoding="utf-8")
    return path
