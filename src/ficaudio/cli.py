"""The command line: parse options, call the library, report problems in one line."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import click

from . import __version__, defaults
from .errors import FicaudioError

VOICES_HELP = "Casting file (default: ./voices.yaml if present)."


def _friendly(func):
    """Our own errors become one-line messages; Ctrl-C exits 130 without a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FicaudioError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("\nInterrupted; finished work is cached, run the same command to resume.", err=True)
            sys.exit(130)

    return wrapper


def _script(input_path, voices):
    from .attribute import attribute
    from .ingest import ingest
    from .split import split
    from .voices import load_cast

    cast = load_cast(voices, required=voices is not None)
    work = ingest(input_path)
    include_notes = dict(cast.reading).get("notes", False)
    return attribute(split(work, include_notes=bool(include_notes)), cast), cast


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ficaudio")
def main():
    """Turn fan fiction into chaptered, tagged, multi-voice audiobooks.

    \b
    Example:
      ficaudio render seeds/000_653e07ef9e538d7a.txt
    """


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--voices", type=click.Path(path_type=Path), help=VOICES_HELP)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=defaults.OUT_DIR, show_default=True,
              help="Folder for the MP3, transcript and metadata.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--no-cache", is_flag=True, help="Synthesize and encode everything afresh.")
@click.option("--split", is_flag=True, help="One MP3 per chapter, with track numbers.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def render(inputs, voices, out_dir, jobs, no_cache, split, quiet):
    """Render stories to MP3 with a WebVTT transcript.

    Writes OUT/<title>.mp3 (chaptered, tagged, with cover art) and OUT/<title>.vtt.

    \b
    Example:
      ficaudio render seeds/000_653e07ef9e538d7a.txt --out out
    """
    from .render import RenderOptions, render as render_script
    from .voices import check_cast

    options = RenderOptions(out_dir=out_dir, jobs=jobs, use_cache=not no_cache, split=split)
    for input_path in inputs:
        script, cast = _script(input_path, voices)
        check_cast(cast)
        started = time.monotonic()
        bar = None if quiet else _ProgressBar(f"{Path(input_path).name}")
        try:
            result = render_script(script, cast, options, progress=bar.update if bar else None)
        finally:
            if bar:
                bar.close()
        if result.up_to_date:
            click.echo(f"{result.outputs[0].mp3}: up to date", err=True)
        for o in result.outputs:
            minutes, seconds = divmod(int(round(o.duration)), 60)
            click.echo(f"{o.mp3}  ({minutes}:{seconds:02d}, {len(o.chapters)} chapters)  transcript: {o.vtt}")
        if not quiet and not result.up_to_date:
            click.echo(f"rendered in {time.monotonic() - started:.1f} s; "
                       f"{result.synthesized} lines synthesized, the rest from the cache", err=True)


class _ProgressBar:
    """segments done / total, elapsed, ETA, on stderr."""

    def __init__(self, label):
        self.label, self.bar = label, None

    def update(self, done, total):
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True,
                                         show_eta=True, item_show_func=None)
            self.bar.__enter__()
            self.started = time.monotonic()
        self.bar.update(done - self.bar.pos)

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--voices", type=click.Path(path_type=Path), help=VOICES_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_friendly
def script(input_path, voices, fmt):
    """Print who says what, without synthesizing.

    The text form has one segment per line, speaker first; JSON adds character
    offsets into the input and a confidence per line.

    \b
    Example:
      ficaudio script seeds/000_653e07ef9e538d7a.txt --format json
    """
    from .scriptfile import to_json, to_text

    result, _ = _script(input_path, voices)
    click.echo(to_json(result) if fmt == "json" else to_text(result), nl=fmt == "json")


@main.command()
@click.option("--engine", default=defaults.ENGINE, show_default=True, help="Engine whose voices to list.")
@click.option("--all", "show_all", is_flag=True, help="Every language, not just English.")
@_friendly
def voices(engine, show_all):
    """List the voice ids an engine offers (use them in voices.yaml).

    For Piper, the installed voice models, with language and speakers.

    \b
    Example:
      ficaudio voices
      ficaudio voices --all
      ficaudio voices --engine piper
    """
    from .engines import get_engine

    eng = get_engine(engine)
    listed = [v for v in eng.voices() if show_all or (v.language or v.id).lower().startswith("en")]
    for v in listed:
        click.echo(f"{v.id:<22} {v.name}")
    variants = getattr(eng, "variant_names", None)
    if variants:
        click.echo("\nVariants (append with +, e.g. en-us+f3):")
        click.echo("  " + " ".join(variants()))


@main.command()
@click.option("--clear", is_flag=True, help="Delete everything in the cache.")
@_friendly
def cache(clear):
    """Show the render cache's size, or clear it.

    \b
    Example:
      ficaudio cache
      ficaudio cache --clear
    """
    from .cache import Cache

    store = Cache()
    files, size = store.size()
    if clear:
        store.clear()
        click.echo(f"cleared {store.root}: {files} files, {size / 1e6:.1f} MB")
    else:
        click.echo(f"{store.root}: {files} files, {size / 1e6:.1f} MB")
