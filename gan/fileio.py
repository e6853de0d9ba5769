"""Atomic file writes: a temp file in the target's folder, fsync, then rename into place.

A crash at any moment leaves either the old file or the new one, never half of one. The temp
file is created with mode 0666 and the kernel applies the process's umask, as a plain open() does
(not mkstemp's 0600), so other users (e.g. a container's non-root user) can read what was written.
The umask is never read by setting it (umask 0 and back would leave a window in which another
thread's files were created world-writable).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

@contextlib.contextmanager
def atomic_file(path: str | Path):
    """Yield (binary file, temp path); the temp file replaces `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
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
