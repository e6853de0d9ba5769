"""Atomic file writes: a temp file in the target's folder, fsync, then rename into place.

A crash at any moment leaves either the old file or the new one, never half of one. The temp
file gets the permissions a plain open() would (0666 minus the umask), not mkstemp's 0600, so
other users (e.g. a container's non-root user) can read what was written.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_file(path: str | Path):
    """Yield (binary file, temp path); the temp file replaces `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_UMASK)
            yield f, Path(tmp)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write(path: str | Path, data: bytes) -> None:
    with atomic_file(path) as (f, _):
        f.write(data)


def file_sha256(*paths: str | Path) -> str:
    """Hex sha256 of the files' bytes, one after another: what identifies weights or data."""
    h = hashlib.sha256()
    for path in paths:  # streamed: a file read whole would leave its size in the heap of a long-lived app
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def cache_dir() -> Path:
    """GAN_CACHE_DIR, else the user's cache folder: training-set indexes, the browser runtime, exported
    graphs. Shared by every checkout on the machine."""
    if os.environ.get("GAN_CACHE_DIR"):
        return Path(os.environ["GAN_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gan-studio"
