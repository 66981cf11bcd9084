"""Which given names are usually a woman's or a man's, for characters the text does not
gender (no pronoun near the name, no title).

The data is the name dictionary of gender-guesser (Jörg Michael's nam_dict: about 48,000
given names from 54 countries), an optional dependency because it is GPL-3.0 and its
data GFDL; without it, names give no evidence. Only the names asked about are looked
up, in one pass of a regular expression over the file, rather than loading all of it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import util
from pathlib import Path

# nam_dict's sex codes: M/F, mostly (1M/1F), leaning (?M/?F), either (?).
_CODES = {"M": "male", "1M": "mostly_male", "?M": "mostly_male", "F": "female", "1F": "mostly_female",
          "?F": "mostly_female", "?": "either"}


@lru_cache(maxsize=1)
def _data_file() -> Path | None:
    spec = util.find_spec("gender_guesser")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "nam_dict.txt"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _read(path: Path) -> str:
    # Discovery asks twice per story (the text's names, then the tags' names): read once.
    return path.read_text(encoding="utf-8")


def _popularity(countries: str) -> tuple[int, int]:
    """As gender-guesser ranks a name's readings: in how many countries, then how common."""
    values = [ord(c) for c in countries if c != " "]
    return len(values), sum(c - 55 if c > 64 else c - 48 for c in values)


def given_name_genders(names) -> dict[str, str]:
    """Lower-cased given name -> male, female, mostly_male, mostly_female or either, for
    the names the dictionary has; {} without gender-guesser."""
    wanted = {n.lower() for n in names if n and n.isalpha()}
    path = _data_file()
    if not wanted or path is None:
        return {}
    pattern = re.compile(r"^(\S{1,2})\s+(%s)[ \t]+(.*)\$?$" % "|".join(sorted(map(re.escape, wanted))),
                         re.M | re.I)
    readings: dict[str, list[tuple[tuple[int, int], str]]] = {}
    for m in pattern.finditer(_read(path)):
        code, name, rest = m.group(1), m.group(2).lower(), m.group(3)
        if code in _CODES:
            readings.setdefault(name, []).append((_popularity(rest[:-1] if rest.endswith("$") else rest), _CODES[code]))
    return {name: max(found)[1] for name, found in readings.items()}
