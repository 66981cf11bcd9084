"""The command line: parse options, call the library, report problems in one line."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import click

from . import __version__, defaults
from .encode import FORMATS
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
        except OSError as exc:  # a full disk, a folder removed mid-render, a read-only one
            from .cache import os_problem

            where = exc.filename or "a file ficaudio was writing"
            raise click.ClickException(f"{where}: {os_problem(exc)}; nothing was left half-written, "
                                       "fix that and run the same command again") from None
        except KeyboardInterrupt:
            click.echo("\nInterrupted; finished work is cached, run the same command to resume.", err=True)
            sys.exit(130)

    return wrapper


def find_voices(input_path, voices) -> tuple[Path | None, str]:
    """The voices.yaml a story is cast from, and how it was chosen: --voices, else one in
    the current folder, else one beside the story; None for automatic casting."""
    if voices is not None:
        return Path(voices), f"casting from {voices}"
    here = Path(defaults.VOICES_FILE)
    if here.exists():
        return here, f"casting from {here} (current folder)"
    beside = Path(input_path).parent / defaults.VOICES_FILE
    if beside.exists():
        return beside, f"casting from {beside} (beside the story)"
    return None, (f"no {defaults.VOICES_FILE} here or beside the story: characters are cast automatically "
                  f"(`ficaudio cast {input_path}` writes them down to change)")


def _script(input_path, voices, warn=True):
    """The script to voice (see scriptfile.script_of) and its cast."""
    from .fixes import describe_lost
    from .scriptfile import script_of
    from .voices import load_cast

    cast = load_cast(voices, required=voices is not None)
    script, lost = script_of(input_path, cast)
    if lost and warn:
        click.echo(f"warning: {describe_lost(lost)}; the story changed where they were", err=True)
    return script, cast


def plural(n: int, noun: str) -> str:
    """"1 chapter", "3 chapters"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
              help="Folder for the audio, transcript and metadata.")
@click.option("--format", "audio_format", type=click.Choice(FORMATS), default=defaults.FORMAT, show_default=True,
              help="mp3 (ID3 chapters, for podcast apps) or m4b (AAC audiobook, for audiobook players).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--cluster", metavar="ADDRESS",
              help="Synthesize and encode on a Ray cluster: auto (the one this machine belongs to), "
                   "ray://HOST:PORT or HOST:PORT. Needs the cluster extra.")
@click.option("--no-cache", is_flag=True, help="Synthesize and encode everything afresh.")
@click.option("--split", is_flag=True, help="One file per chapter, with track numbers.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, no notes on the casting.")
@_friendly
def render(inputs, voices, out_dir, audio_format, jobs, cluster, no_cache, split, quiet):
    """Render stories to MP3 or M4B with a WebVTT transcript.

    Writes OUT/<title>.mp3 (or .m4b; chaptered, tagged, with cover art) and
    OUT/<title>.vtt. An INPUT may be a script saved from `ficaudio script` with
    speakers fixed by hand.

    \b
    Example:
      ficaudio render seeds/000_653e07ef9e538d7a.txt --out out
      ficaudio render seeds/000_653e07ef9e538d7a.txt --format m4b --split
      ficaudio render fics/*.txt --out library --cluster auto
    """
    for input_path in inputs:
        _render_input(input_path, voices, out_dir, audio_format, jobs, no_cache, split, quiet, cluster=cluster)


def _render_input(input_path, voices, out_dir, audio_format, jobs, no_cache, split, quiet, again=False,
                  cluster=None):
    """Render one story, as `render` does; `again` renders even an up-to-date output
    (after `check --fix` chose lines to make again)."""
    from .encode import Settings
    from .sidecar import fresh_outputs, render_fingerprint

    started = time.monotonic()
    found, how = find_voices(input_path, voices)
    if not quiet:
        click.echo(how, err=True)
    fingerprint = None
    if Path(input_path).is_file():
        fingerprint = render_fingerprint(input_path, found, Settings(format=audio_format), split)
    # Checked before anything heavy is imported: re-rendering unchanged files is instant.
    fresh = fresh_outputs(out_dir, fingerprint) if fingerprint and not no_cache and not again else None
    if fresh is not None:
        for audio in fresh:
            click.echo(f"{audio}: up to date")
        return
    from .castfile import cast_for, cast_warnings
    from .render import RenderOptions, render_story

    script, cast = _script(input_path, found, warn=not quiet)
    for warning in [] if quiet else cast_warnings(script, cast):
        click.echo(f"warning: {warning}", err=True)
    options = RenderOptions(out_dir=out_dir, jobs=jobs, use_cache=not no_cache, split=split,
                            settings=Settings(format=audio_format), cluster=cluster)
    bar = None if quiet else _ProgressBar(Path(input_path).name)
    try:
        result = render_story(input_path, found, script, cast_for(script, cast), options,
                              progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    for o in result.outputs:
        minutes, seconds = divmod(int(round(o.duration)), 60)
        state = "up to date" if result.up_to_date else f"{minutes}:{seconds:02d}, {plural(len(o.chapters), 'chapter')}"
        click.echo(f"{o.audio}  ({state})  transcript: {o.vtt}")
    if not quiet and not result.up_to_date:
        click.echo(f"rendered in {time.monotonic() - started:.1f} s; "
                   f"{plural(result.synthesized, 'line')} synthesized, the rest from the cache", err=True)


class _ProgressBar:
    """Lines done / total, elapsed time and ETA, on stderr."""

    def __init__(self, label):
        self.label, self.bar, self.started = label, None, time.monotonic()

    def _elapsed(self, _item) -> str:
        minutes, seconds = divmod(int(time.monotonic() - self.started), 60)
        return f"elapsed {minutes}:{seconds:02d}"

    def update(self, done, total):
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True,
                                         show_eta=True, item_show_func=self._elapsed)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, current_item=done)

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--voices", type=click.Path(path_type=Path), help=VOICES_HELP)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=defaults.OUT_DIR, show_default=True,
              help="Folder the Render button renders into.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (default: any free port).")
@click.option("--no-browser", is_flag=True, help="Print the address, but do not open a browser.")
@_friendly
def studio(input_path, voices, out_dir, port, no_browser):
    """Review who says what and cast the voices in your browser.

    Opens a page (on this computer only) with every line and its speaker: hear a
    line, give it or a run of lines to another character, change a character's
    voice and audition it, merge characters, then render. Fixes are saved beside the
    story (STORY.fixes.json) or in the .script you opened, and voices go to
    voices.yaml, so `ficaudio render` and `ficaudio script` use them too.

    \b
    Example:
      ficaudio studio seeds/000_653e07ef9e538d7a.txt
      ficaudio studio story.script --port 8765 --no-browser
    """
    from .studio import Studio
    from .studio.server import run

    found, how = find_voices(input_path, voices)
    run(Studio(input_path, found, out_dir), port=port, open_browser=not no_browser,
        announce=lambda text: click.echo(text))


@main.command()
@click.argument("audio", type=click.Path(path_type=Path))
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="List lines whose word error rate is above this.")
@click.option("--model", type=click.Path(file_okay=False, path_type=Path),
              help="A CTranslate2 Whisper model folder (default: the tiny.en weights of the check extra).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Threads for the recognizer (default: all cores).")
@click.option("--fix", is_flag=True, help="Make the lines found again (another seed or noise) and re-assemble.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def check(audio, threshold, model, jobs, fix, quiet):
    """Listen to a render: list the lines the voices did not say as written.

    Runs an offline speech recognizer over every line of AUDIO's transcript (the .vtt
    beside it) and compares the words heard with the words of the line. With --fix,
    the lines above the threshold are synthesized again with another noise seed,
    the book is re-assembled, and those lines are heard again. Needs the check extra:
    pip install 'ficaudio[check]'.

    \b
    Example:
      ficaudio check out/little-greys-anatomy.mp3
      ficaudio check out/little-greys-anatomy.mp3 --fix
    """
    from .check import check as check_audio

    def hear(only=None):
        bar = None if quiet else _ProgressBar(Path(audio).name)
        try:
            return check_audio(audio, model=model, jobs=jobs, progress=bar.update if bar else None, only=only)
        finally:
            if bar:
                bar.close()

    report = hear()
    flagged = report.over(threshold)
    _print_check(flagged)
    words = sum(line.words for line in report.lines)
    click.echo(f"word error rate {report.wer:.1%} over {words} words in {plural(len(report.lines), 'line')}; "
               f"{plural(len(flagged), 'line')} above {threshold:.0%}")
    if fix and flagged:
        from .check import plan_retakes

        meta, fixed, unchanged = plan_retakes(audio, flagged)
        for speaker in unchanged:
            click.echo(f"note: {speaker}'s engine reads a line the same way every time; respell it in "
                       "pronunciations: or give the line another voice", err=True)
        _render_input(meta["input"], meta.get("voices"), Path(audio).parent, meta["settings"].get("format", "mp3"),
                      jobs, False, bool(meta["settings"].get("split")), quiet, again=True)
        again = hear(only=fixed).over(threshold)
        _print_check(again)
        click.echo(f"made {plural(len(fixed), 'line')} again; {plural(len(again), 'line')} still above "
                   f"{threshold:.0%}")


def _print_check(lines) -> None:
    from .transcript import timestamp

    for line in lines:
        click.echo(f"{timestamp(line.cue.start)}  #{line.number}  {line.cue.speaker}  WER {line.wer:.0%}")
        click.echo(f"    said:  {line.cue.text}")
        click.echo(f"    heard: {line.heard or '(nothing)'}")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--voices", type=click.Path(path_type=Path), help=VOICES_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--out", "-o", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout.")
@click.option("--uncertain", type=click.IntRange(min=1), metavar="N",
              help="List the N least certain dialogue lines (line number, confidence, line) instead.")
@click.option("--carry", is_flag=True,
              help="INPUT is a script whose story has changed: script the story as it is now, "
                   "with the script's speakers carried over to the lines that are still there.")
@_friendly
def script(input_path, voices, fmt, out_file, uncertain, carry):
    """Print who says what, without synthesizing.

    The text form has one segment per line, speaker first; JSON adds character
    offsets into the input and a confidence per line. To fix a speaker, save the
    text form as a .script file, change the name before the colon on that line,
    and give the .script file to `render` (or `script`) instead of the story.

    \b
    Example:
      ficaudio script seeds/000_653e07ef9e538d7a.txt --format json
      ficaudio script story.txt > story.script
      ficaudio render story.script
      ficaudio script story.txt --uncertain 10
      ficaudio script story.script --carry --out story.new.script
    """
    from .errors import OutputError, ScriptError
    from .scriptfile import carry_over, is_script, to_json, to_text, uncertain as least_certain

    found = find_voices(input_path, voices)[0]
    if carry:
        if not is_script(input_path):
            raise ScriptError(f"{input_path}: --carry takes an edited script (a .script file), not a story")
        from .voices import load_cast

        result, carried, gone = carry_over(input_path, load_cast(found, required=found is not None))
        click.echo(f"carried the speakers of {plural(carried, 'line')} over; "
                   f"{plural(gone, 'line')} of the old script {'is' if gone == 1 else 'are'} no longer in the story",
                   err=True)
    else:
        result, _ = _script(input_path, found)
    if uncertain:
        text = least_certain(result, uncertain)
    elif fmt == "json":
        text = to_json(result) + "\n"
    else:
        text = to_text(result, out_file.parent if out_file else None)
    if out_file is None:
        click.echo(text, nl=False)
        return
    try:
        out_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{out_file}: cannot write the script ({exc.strerror})") from exc


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--voices", type=click.Path(dir_okay=False, path_type=Path), default=defaults.VOICES_FILE,
              show_default=True, help="Casting file to add to (created if missing).")
@click.option("--dry-run", is_flag=True, help="Print the table, but leave the file alone.")
@_friendly
def cast(inputs, voices, dry_run):
    """Find the characters of stories and give each a voice in voices.yaml.

    New characters are added with their aliases, gender and a voice of their own,
    chosen so that characters who talk to each other sound clearly apart. Everything
    already in the file (comments, order, hand-set voices) is kept as written.

    \b
    Example:
      ficaudio cast seeds/000_653e07ef9e538d7a.txt --voices voices.yaml
    """
    from .castfile import cast_stories, table

    result = cast_stories(inputs, voices, write=not dry_run)
    click.echo(table(result.rows))
    click.echo(f"accent {result.accent} ({result.accent_reason}); set accent: in {result.path} to change it")
    if result.ignored:
        click.echo(f"not characters (ignore: in {result.path}): {', '.join(result.ignored)}")
    added = sum(r.added for r in result.rows)
    if dry_run:
        click.echo(f"{plural(added, 'new character')}; {result.path} left unchanged (--dry-run)")
    elif result.created:
        click.echo(f"wrote {result.path} with {plural(added, 'character')}")
    else:
        click.echo(f"added {plural(added, 'character')} to {result.path}" if added else f"{result.path}: no new characters")


@main.command()
@click.argument("name")
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(path_type=Path))
@click.option("--voices", type=click.Path(path_type=Path), help=VOICES_HELP)
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="MP3 to write (default: audition-NAME.mp3).")
@click.option("--play", "play_it", is_flag=True, help="Play the sample (ffplay, mpv, paplay or aplay).")
@_friendly
def audition(name, input_path, voices, out_file, play_it):
    """Hear a character's voice: a few of their own lines from INPUT (up to about
    30 seconds), or a stock sentence without INPUT.

    \b
    Example:
      ficaudio audition Mark seeds/000_653e07ef9e538d7a.txt --out mark.mp3 --play
    """
    from .audition import audition as make_sample, default_out, play, write_mp3
    from .castfile import describe
    from .voices import load_cast

    cast = load_cast(voices, required=voices is not None)
    sample = make_sample(name, cast, input_path)
    out_file = out_file or default_out(sample.name)
    seconds = write_mp3(sample, out_file)
    said = f"{len(sample.lines)} of {sample.name}'s lines" if input_path else "a stock sentence"
    click.echo(f"{out_file}  ({seconds:.1f} s, {said})  voice: {describe(sample.profile)}")
    if play_it:
        play(sample, out_file)


@main.command()
@click.option("--engine", default=defaults.ENGINE, show_default=True, help="Engine whose voices to list.")
@click.option("--all", "show_all", is_flag=True, help="Every language, not just English.")
@_friendly
def voices(engine, show_all):
    """List the voice ids an engine offers (use them in voices.yaml).

    For Piper, the installed voice models, with language and speakers; for
    hibari, its voices and which of them are on this machine.

    \b
    Example:
      ficaudio voices
      ficaudio voices --all
      ficaudio voices --engine piper
      ficaudio voices --engine hibari
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
@click.option("--clear", is_flag=True, help="Delete everything in the cache (with --older-than: what was not used since).")
@click.option("--older-than", type=click.FloatRange(min=0), metavar="DAYS",
              help="With --clear: only entries not used for this many days.")
@click.option("--limit", metavar="SIZE", help="Set the most the cache may hold, e.g. 500M or 10G.")
@_friendly
def cache(clear, older_than, limit):
    """Show the render cache's size and limit, clear it, or set its limit.

    After each render the least recently used entries beyond the limit are removed
    (never those the render used).

    \b
    Example:
      ficaudio cache
      ficaudio cache --clear --older-than 30
      ficaudio cache --limit 10G
    """
    from .cache import Cache, format_size
    from .errors import CacheError

    store = Cache()
    if older_than is not None and not clear:
        raise CacheError("--older-than goes with --clear: `ficaudio cache --clear --older-than DAYS`")
    if limit is not None:
        try:
            store.set_limit(limit)
        except ValueError as exc:
            raise CacheError(f"--limit {limit}: {exc}") from None
        removed, freed = store.trim()
        if removed:
            click.echo(f"removed {plural(removed, 'least recently used file')}, {format_size(freed)}")
    if clear:
        files, size = store.clear(older_than)
        since = f" not used for {older_than:g} days" if older_than is not None else ""
        click.echo(f"cleared {store.root}: {plural(files, 'file')}{since}, {format_size(size)}")
        return
    files, size = store.size()
    click.echo(f"{store.root}: {plural(files, 'file')}, {format_size(size)} (limit {format_size(store.limit)})")


def _feed_options(function):
    """--title, --author ... shared by `feed` and `serve`."""
    for option in reversed([
        click.option("--title", help="Podcast title (default: the work's title, for one work)."),
        click.option("--author", help="Podcast author (default: the works' author, if they share one)."),
        click.option("--description", help="Podcast description (default: the summary, for one work)."),
        click.option("--language", help="Language code, e.g. en or en-gb (default: the first work's)."),
        click.option("--explicit", is_flag=True, help="Mark the podcast and its episodes explicit."),
    ]):
        function = option(function)
    return function


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--base-url", required=True, help="Public web address of OUT_DIR, where the files will be served.")
@_feed_options
@_friendly
def feed(out_dir, base_url, title, author, description, language, explicit):
    """Write OUT_DIR/feed.xml, a podcast feed of what was rendered into OUT_DIR.

    One episode per rendered work (per chapter with --split), with its transcript,
    chapters and cover. Upload OUT_DIR to BASE_URL, then subscribe to BASE_URL/feed.xml.

    \b
    Example:
      ficaudio feed out --base-url https://example.org/fics
    """
    from .feed import FeedOptions, write_feed

    path = write_feed(out_dir, FeedOptions(base_url, title, author, description, language, explicit))
    click.echo(f"{path}  (subscribe to {base_url.rstrip('/')}/{path.name})")


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets a phone on the same network in.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free port).")
@_feed_options
@_friendly
def serve(out_dir, host, port, title, author, description, language, explicit):
    """Serve OUT_DIR's feed and audio to podcast apps, read-only.

    Prints the feed address to paste into the app. Seeking works (HTTP Range requests).

    \b
    Example:
      ficaudio serve out
      ficaudio serve out --host 0.0.0.0 --port 8000
    """
    from .feed import FeedOptions
    from .serve import ServeOptions, serve as serve_folder

    feed_options = FeedOptions("http://localhost", title, author, description, language, explicit)
    serve_folder(out_dir, ServeOptions(host, port, feed_options), announce=lambda text: click.echo(text, err=True))
