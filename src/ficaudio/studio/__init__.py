"""`ficaudio studio`: review who says what and cast the voices in a browser.

A small HTTP server on loopback and one page (page/, shipped in the package: no network
at run time). Everything it does goes through the library the CLI uses: the script is
scriptfile.script_of, a speaker fix is saved beside the story (fixes.py) or in the
edited .script, a casting change is castedit's edit of voices.yaml, a line is heard
through the render cache, and Render is render.render. So the next `ficaudio render`
or `ficaudio script` from the shell sees whatever was done here.

Every request that changes anything must carry the token this run put in the page;
requests naming another host (DNS rebinding) are refused; the only files served are
the page's own and the audio rendered into the output folder.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
import wave
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from .. import defaults
from ..errors import FicaudioError, ScriptError, VoicesError
from ..model import DIALOGUE, NARRATOR, UNKNOWN

PAGE_FILES = {"studio.js": "text/javascript; charset=utf-8", "studio.css": "text/css; charset=utf-8"}
# Colours for characters, in order of how much they speak; readable on the page's light ground.
COLOURS = ("#1f6fb2", "#b2401f", "#2e8540", "#8a3ab9", "#b8860b", "#0e7c86", "#c2185b", "#5d6d1e",
           "#6d4c41", "#3949ab", "#d84315", "#00796b")


@dataclass
class RenderJob:
    state: str = "idle"  # idle, running, done, failed
    done: int = 0
    total: int = 0
    error: str = ""
    outputs: list = field(default_factory=list)
    started: float = 0.0


class Studio:
    """The state one studio run shows: a story (or an edited script), its casting file
    and output folder. Thread-safe: each browser request runs on its own thread."""

    def __init__(self, input_path: Path, voices_path: Path | None, out_dir: Path):
        from ..scriptfile import is_script

        self.input_path = Path(input_path)
        if not self.input_path.is_file():
            raise ScriptError(f"{input_path}: no such story or script file; check the path")
        self.is_script = is_script(self.input_path)
        # Where casting changes go: the file render would read, else a new one beside the story.
        self.voices_path = Path(voices_path) if voices_path else self.input_path.parent / defaults.VOICES_FILE
        self.out_dir = Path(out_dir)
        self.token = secrets.token_urlsafe(24)
        self.lock = threading.RLock()
        self.version = 0
        self.job = RenderJob()
        self.reload()

    # --- what the page shows ---------------------------------------------------------

    def reload(self) -> None:
        """Read the casting file and the story again and attribute it (after a casting change)."""
        from ..castfile import cast_for
        from ..scriptfile import script_of
        from ..voices import load_cast

        with self.lock:
            cast = load_cast(self.voices_path if self.voices_path.exists() else None)
            script, lost = script_of(self.input_path, cast)
            self.cast, self.script, self.lost = cast, script, lost
            self.voiced = cast_for(script, cast)
            self.version += 1

    def state(self) -> dict:
        from ..castfile import describe

        with self.lock:
            script, voiced = self.script, self.voiced
            lines: dict[str, int] = {}
            for s in script.segments():
                if s.kind == DIALOGUE:
                    lines[s.speaker] = lines.get(s.speaker, 0) + 1
            characters = sorted(voiced.characters, key=lambda c: (-lines.get(c.name, 0), c.name))
            in_file = {c.name for c in self.cast.characters}
            people = []
            for n, c in enumerate(characters):
                profile = voiced.profile_for(c.name)
                people.append({
                    "name": c.name, "aliases": list(c.aliases), "gender": c.gender, "lines": lines.get(c.name, 0),
                    "colour": COLOURS[n % len(COLOURS)], "in_file": c.name in in_file,
                    "voice": _profile_json(profile), "describe": describe(profile),
                })
            speakers = [NARRATOR, UNKNOWN, *(c["name"] for c in people)]
            index = {name: i for i, name in enumerate(speakers)}
            chapters, segments = [], []
            for chapter in script.chapters:
                chapters.append({"title": chapter.title, "first": len(segments)})
                for s in chapter.segments:
                    if s.speaker not in index:
                        index[s.speaker] = len(speakers)
                        speakers.append(s.speaker)
                    segments.append([1 if s.kind == DIALOGUE else 0, index[s.speaker], round(s.confidence, 3),
                                     s.text, s.paragraph])
            return {
                "version": self.version, "title": script.title, "author": script.author,
                "story": self.input_path.name, "voices": _shown(self.voices_path),
                "voices_exists": self.voices_path.exists(), "out": _shown(self.out_dir),
                "speakers": speakers, "characters": people, "chapters": chapters, "segments": segments,
                "narrator": describe(voiced.narrator),
                "lost": [{"speaker": f.speaker, "text": f.text} for f in self.lost],
                "engines": _engine_fields(voiced.engines()), "render": self.render_state(),
            }

    # --- hearing ---------------------------------------------------------------------

    def line_wav(self, index: int) -> bytes:
        """Segment `index` as the book will say it, synthesized through the render cache."""
        from ..assemble import silence, spoken_items
        from ..cache import Cache
        from ..synthesize import Synthesizer
        from ..voices import check_cast

        with self.lock:
            segments = list(self.script.segments())
            voiced = self.voiced
        if not 0 <= index < len(segments):
            raise ScriptError(f"no line {index}; reload the page")
        seg = segments[index]
        items = spoken_items(voiced, seg.text, seg.speaker, 0.0)
        check_cast(voiced.with_characters([c for c in voiced.characters if c.name == seg.speaker]))
        with Synthesizer(Cache(), jobs=1) as synth:
            pcm = b"".join((silence(item.pause) if n else b"") + synth.clip(item.line).pcm
                           for n, item in enumerate(items))
        return wav(pcm)

    def audition_wav(self, name: str, voice: dict | None = None) -> bytes:
        """A sample of the character's own lines, in `voice` (the panel's settings, saved
        or not) or in the voice the character has now."""
        from ..audition import audition

        with self.lock:
            voiced, script = self.voiced, self.script
        if voice:
            profile = _profile_from_json(voice)
            voiced = voiced.with_characters([replace(c, profile=profile) if c.name == name else c
                                             for c in voiced.characters])
        return wav(audition(name, voiced, script=script).pcm)

    # --- changes -----------------------------------------------------------------------

    def set_speaker(self, indices: list[int], speaker: str) -> None:
        """Give the lines to `speaker`, saved where `render` reads it at once."""
        from .. import fixes
        from ..scriptfile import to_text

        with self.lock:
            segments = list(self.script.segments())
            known = {NARRATOR, UNKNOWN, *(c.name for c in self.voiced.characters)}
            if speaker not in known:
                raise ScriptError(f"unknown speaker '{speaker}'; add the character in the cast first")
            if not indices or any(not isinstance(i, int) or not 0 <= i < len(segments) for i in indices):
                raise ScriptError("no such line; reload the page")
            if self.is_script:
                for i in indices:
                    segments[i] = replace(segments[i], speaker=speaker, confidence=1.0)
                edited = self.script.replace_segments(segments)
                text = to_text(edited, self.input_path.parent)
                _write_text(self.input_path, text, "the script")
            else:
                path = fixes.path_for(self.input_path)
                fixes.save(path, fixes.with_fixes(fixes.load(path), self.script, indices, speaker))
            self.reload()

    def _characters(self):
        return list(self.voiced.characters)

    def _ensure_file(self) -> None:
        """A casting change needs a voices.yaml: write the one `ficaudio cast` would."""
        if self.voices_path.exists():
            return
        from ..castfile import cast_stories
        from ..scriptfile import read_script

        source = self.input_path
        if self.is_script:
            source = Path(read_script(self.input_path).work.source)
        cast_stories([source], self.voices_path)
        self.reload()

    def set_voice(self, name: str, voice: dict, gender: str | None) -> None:
        from .. import castedit
        from ..engines import get_engine

        profile = _profile_from_json(voice)
        # A voice the engine does not have is refused before the file is touched.
        try:
            get_engine(profile.engine).check(profile)
        except FicaudioError as exc:
            raise VoicesError(f"{name}: {exc}") from None
        with self.lock:
            self._ensure_file()
            castedit.set_voice(self.voices_path, self.cast, self._characters(), name, profile, gender)
            self.reload()

    def add_alias(self, name: str, alias: str) -> None:
        from .. import castedit

        with self.lock:
            self._ensure_file()
            castedit.add_alias(self.voices_path, self.cast, self._characters(), name, alias)
            self.reload()

    def merge(self, merged: str, into: str) -> None:
        from .. import castedit

        with self.lock:
            self._ensure_file()
            castedit.merge(self.voices_path, self.cast, self._characters(), merged, into)
            self.reload()

    def ignore(self, name: str) -> None:
        from .. import castedit

        with self.lock:
            self._ensure_file()
            castedit.ignore(self.voices_path, self.cast, self._characters(), name)
            self.reload()

    # --- rendering ---------------------------------------------------------------------

    def start_render(self) -> None:
        with self.lock:
            if self.job.state == "running":
                return
            self.job = RenderJob(state="running", started=time.monotonic())
            script, voiced = self.script, self.voiced
        threading.Thread(target=self._render, args=(script, voiced, self.job), daemon=True).start()

    def _render(self, script, voiced, job: RenderJob) -> None:
        from ..render import RenderOptions, render_story

        def progress(done, total):
            job.done, job.total = done, total

        try:
            voices = self.voices_path if self.voices_path.exists() else None
            result = render_story(self.input_path, voices, script, voiced, RenderOptions(out_dir=self.out_dir),
                                  progress=progress)
            job.outputs = [{"audio": o.audio.name, "vtt": o.vtt.name, "duration": o.duration,
                            "chapters": [{"title": c.title, "start": c.start_ms / 1000} for c in o.chapters]}
                           for o in result.outputs]
            job.state = "done"
        except FicaudioError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # shown in the page rather than lost in a thread
            job.error, job.state = f"render failed: {exc!r}", "failed"

    def render_state(self) -> dict:
        job = self.job
        return {"state": job.state, "done": job.done, "total": job.total, "error": job.error,
                "outputs": job.outputs}


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(Path(path).resolve())


def _profile_json(profile) -> dict:
    out = {"engine": profile.engine}
    if profile.engine == defaults.ENGINE:
        out.update(voice=profile.voice, rate=profile.rate, pitch=profile.pitch)
    elif profile.voice:
        out["voice"] = profile.voice
    out.update({k: v for k, v in profile.options})
    out["volume"] = profile.volume
    return out


def _profile_from_json(data: dict):
    from ..engines import engine_class
    from ..voices import VoiceProfile

    if not isinstance(data, dict) or not isinstance(data.get("engine"), str):
        raise VoicesError("a voice needs an engine")
    engine = engine_class(data["engine"])
    known = {"voice", "rate", "pitch", "volume"} | set(engine.extra_keys)
    values, options = {}, {}
    for key, value in data.items():
        if key == "engine" or value in (None, ""):
            continue
        if key not in known:
            raise VoicesError(f"unknown setting '{key}' for engine {data['engine']}")
        if isinstance(value, str) and key not in ("voice", "model"):
            try:
                value = float(value)
            except ValueError:
                raise VoicesError(f"{key} must be a number, not {value!r}") from None
        if isinstance(value, float) and value.is_integer() and key in ("rate", "pitch", "speaker"):
            value = int(value)
        (values if key in ("voice", "rate", "pitch", "volume") else options)[key] = value
    voice = values.pop("voice", None) or getattr(engine, "default_voice", defaults.NARRATOR_VOICE)
    return VoiceProfile(engine=data["engine"], voice=voice, options=tuple(sorted(options.items())), **values)


def _engine_fields(in_use) -> dict:
    """The settings the cast panel offers for each engine (the test engine only where
    the cast already uses it)."""
    from ..engines import engine_class, engine_names

    out = {}
    for name in engine_names():
        if name == "fake" and name not in in_use:
            continue
        cls = engine_class(name)
        keys = ["voice", "rate", "pitch"] if name == defaults.ENGINE else (
            [] if getattr(cls, "default_voice", "x") == "" else ["voice"])
        keys += sorted(k for k in cls.extra_keys if k != "seed")
        out[name] = [*keys, "volume"]
    return out


def wav(pcm: bytes, rate: int = defaults.WORK_RATE) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def _write_text(path: Path, text: str, what: str) -> None:
    from ..cache import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise ScriptError(f"{path}: cannot save {what} ({exc.strerror})") from exc


def page(name: str) -> bytes:
    return resources.files("ficaudio.studio").joinpath("page", name).read_bytes()


def index_html(studio: Studio) -> bytes:
    html = page("index.html").decode("utf-8")
    return html.replace("{{TOKEN}}", studio.token).encode("utf-8")


def as_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
