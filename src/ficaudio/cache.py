"""The render cache: synthesized segments and encoded audio, keyed by content.

A key covers everything that changes the sound (engine and its version, the voice
profile, the text as spoken), so re-casting one character re-synthesizes only that
character's lines. Files are written under a temporary name and renamed, so a killed
render never leaves a half-written entry.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import time
from pathlib import Path

from .errors import CacheError


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ficaudio"


def key(*parts) -> str:
    blob = json.dumps(parts, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# Every entry ends in a trailer: its length and SHA-256, and a magic. An entry is
# believed only when both match, so a truncated, zeroed or foreign file is made again
# instead of being played as full-scale noise or silence.
_MAGIC = b"fca1"
_TRAILER = struct.Struct("<Q32s4s")


class Cache:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else default_dir()

    def path(self, kind: str, k: str, suffix: str) -> Path:
        return self.root / kind / k[:2] / f"{k}{suffix}"

    def has(self, kind: str, k: str, suffix: str) -> bool:
        """Whether an entry is there (read() still checks it)."""
        return self.path(kind, k, suffix).is_file()

    def read(self, kind: str, k: str, suffix: str) -> bytes | None:
        """The entry's data, or None when it is missing or damaged (a damaged one is
        removed, so that it is made again)."""
        p = self.path(kind, k, suffix)
        try:
            blob = p.read_bytes()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            raise self._in_the_way() from None
        except IsADirectoryError:
            raise self._a_folder(p) from None
        except OSError as exc:
            raise CacheError(f"cannot read the render cache at {self.root} ({exc.strerror}); "
                             "clear it with `ficaudio cache --clear`") from None
        data = _checked(blob)
        if data is None:
            try:
                p.unlink()
            except OSError:
                pass
            return None
        try:
            os.utime(p)  # used now: kept over older entries when the cache is trimmed
        except OSError:
            pass
        return data

    def put(self, kind: str, k: str, suffix: str, data: bytes) -> Path:
        p = self.path(kind, k, suffix)
        trailer = _TRAILER.pack(len(data), hashlib.sha256(data).digest(), _MAGIC)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(p, data + trailer)
        except (FileExistsError, NotADirectoryError):
            raise self._in_the_way() from None
        except IsADirectoryError:
            raise self._a_folder(p) from None
        except OSError as exc:
            raise CacheError(f"cannot write to the render cache at {self.root}: {os_problem(exc)}; "
                             "free some space or clear it (`ficaudio cache --clear`), or point "
                             "XDG_CACHE_HOME at another folder") from None
        return p

    def _in_the_way(self) -> CacheError:
        return CacheError(f"the render cache {self.root} is not a folder (a file is in the way); "
                          "remove it, or point XDG_CACHE_HOME elsewhere")

    @staticmethod
    def _a_folder(p: Path) -> CacheError:
        return CacheError(f"the render cache entry {p} is a folder; remove it, or clear the cache "
                          "with `ficaudio cache --clear`")

    def _files(self):
        """(path, size, last used, temporary?) of every file under the root, in one walk."""
        if not self.root.is_dir():
            return
        for dirpath, _, names in os.walk(self.root):
            for n in names:
                if n == LIMIT_FILE:
                    continue
                p = os.path.join(dirpath, n)
                try:
                    st = os.stat(p)
                except OSError:
                    continue  # removed meanwhile by another render
                yield p, st.st_size, st.st_mtime, n.endswith(".part")

    def _entries(self):
        """(path, size, last used) of every entry; temporary files are not entries."""
        return ((p, size, used) for p, size, used, part in self._files() if not part)

    def size(self) -> tuple[int, int]:
        files = total = 0
        for _, size, _ in self._entries():
            files += 1
            total += size
        return files, total

    @property
    def limit(self) -> int:
        """The most the cache may hold, in bytes (`ficaudio cache --limit` sets it)."""
        text = self._limit_text()
        try:
            return parse_size(text) if text is not None else DEFAULT_LIMIT
        except ValueError:
            return DEFAULT_LIMIT

    def set_limit(self, text: str) -> int:
        limit = parse_size(text)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            write_atomic(self.root / LIMIT_FILE, f"{text.strip()}\n".encode())
        except OSError as exc:
            raise CacheError(f"cannot write to the render cache at {self.root}: {os_problem(exc)}") from None
        return limit

    def trim(self, keep_since: float | None = None) -> tuple[int, int]:
        """Remove the least recently used entries until the cache is within its limit,
        never one used since `keep_since` (the render that is finishing); also
        temporary files a killed process left an hour or more ago. Returns the files and
        bytes removed."""
        limit = self.limit
        files = list(self._files())
        stale = time.time() - 3600
        for path, _, used, part in files:
            if part and used < stale:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        entries = sorted(((p, size, used) for p, size, used, part in files if not part), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        removed = freed = 0
        for path, size, used in entries:
            if total <= limit or (keep_since is not None and used >= keep_since):
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size
            removed += 1
            freed += size
        return removed, freed

    def clear(self, older_than_days: float | None = None) -> tuple[int, int]:
        """Remove every entry, or those not used for `older_than_days`; returns the files
        and bytes removed."""
        if self.root.exists() and not self.root.is_dir():
            raise CacheError(f"the render cache {self.root} is not a folder; remove it by hand")
        if older_than_days is None:
            files, size = self.size()
            limit_text = self._limit_text()
            shutil.rmtree(self.root, ignore_errors=True)
            if limit_text:
                self.set_limit(limit_text)
            return files, size
        cutoff = time.time() - older_than_days * 86400
        removed = freed = 0
        for path, size, used in self._entries():
            if used < cutoff:
                try:
                    os.unlink(path)
                except OSError:
                    continue
                removed += 1
                freed += size
        return removed, freed

    def _limit_text(self) -> str | None:
        try:
            return (self.root / LIMIT_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return None


LIMIT_FILE = "limit"
# A laptop's worth: about 20 hours of cached lines at the work rate.
DEFAULT_LIMIT = 4 * 10**9
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)b?\s*$", re.I)


def parse_size(text: str) -> int:
    """ "500M", "4G", "1.5g", "800000" as bytes."""
    m = _SIZE.match(text or "")
    if not m:
        raise ValueError(f"not a size: {text!r} (write e.g. 500M or 4G)")
    return int(float(m.group(1)) * 1000 ** "_kmgt".index(m.group(2).lower() or "_"))


def format_size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def _checked(blob: bytes) -> bytes | None:
    if len(blob) < _TRAILER.size:
        return None
    length, digest, magic = _TRAILER.unpack(blob[-_TRAILER.size:])
    data = blob[: -_TRAILER.size]
    if magic != _MAGIC or length != len(data) or hashlib.sha256(data).digest() != digest:
        return None
    return data


def os_problem(exc: OSError) -> str:
    """What an OS error means for a user, in a few words."""
    return {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
            errno.EROFS: "the disk is read-only", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied", errno.ENOENT: "the folder vanished",
            errno.EIO: "input/output error (a failing disk?)"}.get(exc.errno, exc.strerror or str(exc))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename over it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp makes the file private; outputs are meant to be shared and served.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
