"""Edits of one character in voices.yaml (the studio's casting panel): its voice and
settings, its aliases and gender, merging two characters, marking a name as not a
character. Like `ficaudio cast`, every byte of the file outside the lines edited stays
as written, comments and order included; the edited lines keep their end-of-line
comments. Each edit is checked by reading the file back before it is written.
"""

from __future__ import annotations

from pathlib import Path

from . import defaults
from .castfile import _read, _scalar, _write, add_characters
from .errors import VoicesError
from .voices import CHARACTER_KEYS, Cast, Character, VoiceProfile, parse_cast, round_trip_yaml


def _format(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(str(v)) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    return _scalar(str(value))


def profile_keys(profile: VoiceProfile) -> dict:
    """The keys that write `profile` into a character's entry, whatever the defaults say."""
    keys = {"engine": profile.engine}
    if profile.voice:
        keys["voice"] = profile.voice
    for key, default in (("rate", defaults.RATE), ("pitch", defaults.PITCH)):
        if profile.engine == defaults.ENGINE or getattr(profile, key) != default:
            keys[key] = getattr(profile, key)
    keys.update(dict(profile.options))
    if profile.volume != defaults.VOLUME:
        keys["volume"] = profile.volume
    return keys


class _File:
    """voices.yaml as lines, with the parsed tree telling where each entry is."""

    def __init__(self, path: Path, cast: Cast):
        self.path, self.cast = path, cast
        raw, self.bom = _read(path)
        self.raw = raw

    def tree(self):
        return round_trip_yaml().load(self.raw) if self.raw.strip() else None

    def nl(self) -> str:
        return "\r\n" if "\r\n" in self.raw else "\n"

    def ensure(self, character: Character) -> None:
        """Give `character` an entry of its own in the file, with the voice it has now."""
        data = self.tree()
        section = data.get("characters") if isinstance(data, dict) else None
        if isinstance(section, dict) and character.name in section:
            return
        profile = self.cast.profile_for(character.name)
        self.raw = add_characters(self.raw, [(character, profile)], self.cast)
        self.check()

    def span(self, name: str) -> tuple[int, int, dict | None, int]:
        """Lines [start, end) of a character's entry, its mapping (None when it is not a
        block mapping) and the column of its name."""
        data = self.tree()
        section = data["characters"]
        if not hasattr(section, "lc") or section.fa.flow_style():
            raise VoicesError(f"{self.path}: `characters:` is written in flow style ({{...}}); "
                              "write it as one entry per line to edit it here")
        names = list(section)
        start, col = section.lc.key(name)
        lines = self.raw.splitlines(keepends=True)
        later = [section.lc.key(n)[0] for n in names if section.lc.key(n)[0] > start]
        later += [data.lc.key(k)[0] for k in data if data.lc.key(k)[0] > start]
        end = min(later, default=len(lines))
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1
        node = section[name]
        block = node if isinstance(node, dict) and node and not node.fa.flow_style() else None
        return start, end, block, col

    def set_keys(self, name: str, values: dict, drop: set[str] = frozenset()) -> None:
        start, end, node, col = self.span(name)
        lines = self.raw.splitlines(keepends=True)
        nl = self.nl()
        if node is None:  # `Name:`, `Name: en-us+f3` or `Name: {...}`: rewritten as a block
            old = self.cast.character(name) or Character(name)
            entry = {"aliases": list(old.aliases), "gender": old.gender, **values}
            entry = {k: v for k, v in entry.items() if (k in values or k not in drop) and v not in (None, [])}
            body = [f"{' ' * col}{_scalar(name)}:{nl}"] + [f"{' ' * (col + 2)}{k}: {_format(v)}{nl}"
                                                        for k, v in entry.items()]
            self.raw = "".join(lines[:start] + body + lines[end:])
            self.check()
            return
        keys = list(node)
        rows = {k: node.lc.key(k)[0] for k in keys}
        indent = " " * node.lc.key(keys[0])[1]
        edits: dict[int, list[str]] = {}  # first line of a key -> its new lines
        removed: set[int] = set()
        for i, k in enumerate(keys):
            first = rows[k]
            last = rows[keys[i + 1]] if i + 1 < len(keys) else end
            if k in drop and k not in values:
                removed.update(range(first, last))
            elif k in values:
                comment = _comment(lines[first]) if last == first + 1 else ""
                edits[first] = [f"{indent}{k}: {_format(values[k])}{comment}{nl}"]
                removed.update(range(first + 1, last))
        added = [f"{indent}{k}: {_format(v)}{nl}" for k, v in values.items() if k not in node]
        out = []
        for n, line in enumerate(lines):
            if n == end and added:
                out.extend(added)
                added = []
            if n in edits:
                out.extend(edits[n])
            elif n not in removed:
                out.append(line if n != end - 1 or line.endswith(("\n", "\r")) else line + nl)
        out.extend(added)
        self.raw = "".join(out)
        self.check()

    def remove(self, name: str) -> None:
        start, end, _, _ = self.span(name)
        lines = self.raw.splitlines(keepends=True)
        self.raw = "".join(lines[:start] + lines[end:])
        self.check()

    def add_ignored(self, name: str) -> None:
        data = self.tree()
        nl = self.nl()
        lines = self.raw.splitlines(keepends=True)
        ignore = data.get("ignore") if isinstance(data, dict) else None
        if not isinstance(data, dict) or "ignore" not in data or not ignore:
            if isinstance(data, dict) and "ignore" in data:
                at = data.lc.key("ignore")[0]
                lines[at] = f"ignore: [{_scalar(name)}]{_comment(lines[at])}{nl}"
                self.raw = "".join(lines)
            else:
                self.raw = (self.raw if not self.raw or self.raw.endswith(("\n", "\r")) else self.raw + nl)
                self.raw += f"{nl}ignore: [{_scalar(name)}]   # names in the story that are not characters{nl}"
        elif ignore.fa.flow_style():
            at = data.lc.key("ignore")[0]
            if data.lc.value("ignore")[0] != at or (len(ignore) and ignore.lc.item(len(ignore) - 1)[0] != at):
                raise VoicesError(f"{self.path}: `ignore:` spans several lines; add {name} to it by hand")
            lines[at] = f"ignore: {_format([*ignore, name])}{_comment(lines[at])}{nl}"
            self.raw = "".join(lines)
        else:
            row, col = ignore.lc.item(len(ignore) - 1)
            lines.insert(row + 1, f"{' ' * max(0, col - 2)}- {_scalar(name)}{nl}")
            self.raw = "".join(lines)
        self.check()

    def check(self) -> None:
        try:
            self.cast = parse_cast(self.raw, str(self.path))
        except VoicesError as exc:
            raise VoicesError(f"{self.path}: this change would break the file ({exc}); nothing was written") from None

    def write(self) -> Cast:
        _write(self.path, ("\ufeff" if self.bom else "") + self.raw)
        return self.cast


def _comment(line: str) -> str:
    """The end-of-line comment of a `key: value` line (with its spacing), or ""."""
    body = line.rstrip("\r\n")
    quote = None
    for i, ch in enumerate(body):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and i and body[i - 1] in " \t":
            j = i
            while j and body[j - 1] in " \t":
                j -= 1
            return body[j:]
    return ""


def _open(path, cast: Cast, characters) -> _File:
    f = _File(Path(path), cast.with_characters(characters))
    if not f.raw.strip():
        raise VoicesError(f"{path}: no voices file yet; write one first with `ficaudio cast STORY`")
    return f


def _find(characters, name: str) -> Character:
    for c in characters:
        if c.name == name:
            return c
    raise VoicesError(f"no character called '{name}'")


def set_voice(path, cast: Cast, characters, name: str, profile: VoiceProfile, gender: str | None = None) -> Cast:
    """Give `name` the voice `profile` (and a gender), written into its entry."""
    f = _open(path, cast, characters)
    character = _find(characters, name)
    f.ensure(character)
    values = profile_keys(profile)
    if gender is not None:
        values["gender"] = gender
    keep = {"aliases", "gender"}
    f.set_keys(name, values, drop=(CHARACTER_KEYS | set(_option_keys(f.cast, name))) - keep)
    return f.write()


def _option_keys(cast: Cast, name: str) -> list[str]:
    c = cast.character(name)
    return [k for k, _ in (c.profile.options if c and c.profile else ())]


def add_alias(path, cast: Cast, characters, name: str, alias: str) -> Cast:
    alias = alias.strip()
    if not alias:
        raise VoicesError("an alias needs at least one letter")
    f = _open(path, cast, characters)
    character = _find(characters, name)
    f.ensure(character)
    current = f.cast.character(name)
    if alias.casefold() in (n.casefold() for n in current.names):
        return f.cast
    f.set_keys(name, {"aliases": [*current.aliases, alias]})
    return f.write()


def merge(path, cast: Cast, characters, merged: str, into: str) -> Cast:
    """`merged` is another name of `into`: its names become aliases, its entry goes."""
    if merged == into:
        raise VoicesError("a character cannot be merged into itself")
    f = _open(path, cast, characters)
    gone, kept = _find(characters, merged), _find(characters, into)
    f.ensure(kept)
    current = f.cast.character(into)
    aliases = list(dict.fromkeys(a for a in (*current.aliases, *gone.names) if a.casefold() != into.casefold()))
    data = f.tree()
    if merged in (data.get("characters") or {}):
        f.remove(merged)
    f.set_keys(into, {"aliases": aliases})
    return f.write()


def ignore(path, cast: Cast, characters, name: str) -> Cast:
    """`name` is not a character (a place, a pet rock): listed under `ignore:`."""
    f = _open(path, cast, characters)
    data = f.tree()
    if name in ((data.get("characters") or {}) if isinstance(data, dict) else {}):
        f.remove(name)
    if name not in f.cast.ignore:
        f.add_ignored(name)
    return f.write()
