"""log.jsonl: a run's record, one JSON line per logged step (step, loss_d, loss_g, d_real, d_fake,
img_per_s, train_seconds). The trainer writes it; the Train tab, the loss chart and the time estimate
read it. A line torn by a crash is skipped; --resume drops the lines after the checkpoint it resumes."""

from __future__ import annotations

import json
from pathlib import Path

from gan.fileio import atomic_write


def trim_log(path: Path, step: int) -> None:
    """Drop log lines written after the checkpoint we resume from (they will be redone), and a
    line torn by a crash mid-write."""
    if path.exists():
        lines = path.read_text().splitlines()
        kept = [line for line in lines if (row := parse_log_line(line)) and row["step"] <= step]
        atomic_write(path, "".join(line + "\n" for line in kept).encode())


def parse_log_line(line: str) -> dict | None:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def read_log(path: Path) -> list[dict]:
    """The rows of a run's log.jsonl, skipping a line torn by a crash; [] when there is none yet."""
    if not path.exists():
        return []
    return [row for line in path.read_text().splitlines() if (row := parse_log_line(line))]
