"""What a live run's folder says, read back by the page: whether its process still runs, the step of
the generator on disk and of the resumable state (they differ when a run was killed between writing
the two), and why it ended, in words fit for a visitor (paths and tracebacks stay in the server log).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .public_text import public

log = logging.getLogger("gan_studio")


def process_alive(pid: int) -> bool:
    """Whether pid is a live gan.train process (a recycled pid running something else is not)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    if b"gan.train" not in cmdline:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"  # a zombie has exited
    except (OSError, IndexError):
        return True


def failure_reason(out: Path) -> str:
    """Why a run ended, for the page: gan.train's own "error: ..." line, or a plain sentence; paths
    and tracebacks stay in the server log."""
    text = (out / "train.log").read_text(errors="replace") if (out / "train.log").exists() else ""
    errors = [line[len("error: "):] for line in text.splitlines() if line.startswith("error: ")]
    if errors:
        return public(errors[-1])
    if "Traceback (most recent call last)" in text:
        log.warning("live run %s failed:\n%s", out.name, text[-4000:])
        return public(text)
    return "the training process ended without saying why (killed, or out of memory?)"


def saved_step(out: Path) -> int | None:
    """The step of the generator checkpoint on disk: the model the picker gets."""
    try:
        return int(json.loads((out / "generator.json").read_text())["steps"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


_resume_steps: dict[Path, tuple[tuple[int, int], int | None]] = {}


def resume_step(out: Path) -> int | None:
    """The step the resumable state (state.pt) holds, read once per version of the file."""
    path = out / "state.pt"
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _resume_steps.get(path)
    if cached and cached[0] == key:
        return cached[1]
    from gan.checkpoint import CheckpointError, load_training_state

    try:
        step = int(load_training_state(path)["step"])
    except (CheckpointError, KeyError, TypeError, ValueError):
        step = None
    _resume_steps[path] = (key, step)
    return step


def resume_note(saved: int, resumable: int | None, finished: bool) -> str:
    """What Resume will do, when the resumable state is not the checkpoint in the picker (a run
    killed between writing the two)."""
    if finished or resumable == saved:
        return ""
    if resumable is None:
        return " It cannot be resumed: it was ended before its first resumable state (state.pt) was saved."
    return f" Resume continues from step {resumable:,}, its last complete training state."
