"""The render cache: synthesized segments and encoded audio, keyed by content.

A key covers everything that changes the sound (engine and its version, the voice
profile, the text as spoken), so re-casting one character re-synthesizes only that
character's lines. Files are written under a temporary name and renamed, so a killed
render never leaves a half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ficaudio"


def key(*parts) -> str:
    blob = json.dumps(parts, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Cache:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else default_dir()

    def path(self, kind: str, k: str, suffix: str) -> Path:
        return self.root / kind / k[:2] / f"{k}{suffix}"

    def get(self, kind: str, k: str, suffix: str) -> Path | None:
        p = self.path(kind, k, suffix)
        return p if p.exists() else None

    def put(self, kind: str, k: str, suffix: str, data: bytes) -> Path:
        p = self.path(kind, k, suffix)
        p.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(p, data)
        return p

    def size(self) -> tuple[int, int]:
        files = total = 0
        if self.root.exists():
            for dirpath, _, names in os.walk(self.root):
                for n in names:
                    files += 1
                    total += os.path.getsize(os.path.join(dirpath, n))
        return files, total

    def clear(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)


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
