"""The live runs folder: a unique folder per run, and the disk cap over all of them.

Run folders are created exclusively (`mkdir` fails if the name exists) under a name with a random
part, so two Starts in the same second, in one app or two sharing the folder, can never share one.

The cap (GAN_RUNS_MB) is kept with sizes measured once per settled run (a run that has ended
never grows again) plus the current run measured afresh, so checking it costs no walk over every
old run. Room is made by removing the oldest settled runs, each first taken out of the model
picker; the current run (running, being evaluated or resumable) is never removed. When that is
not enough the new run is refused, and the folder never stays over the cap because of a Start.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from pathlib import Path

log = logging.getLogger("gan_studio")

RUN_RESERVE_MB = 40  # what one run writes besides its images: state.pt, checkpoints, grids, logs


def new_run_folder(parent: Path, prefix: str) -> Path:
    """A fresh, empty, exclusively created folder `<prefix>-<date>-<time>-<random>`."""
    parent.mkdir(parents=True, exist_ok=True)
    while True:
        folder = parent / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:  # a one-in-16-million clash: draw again
            continue


def folder_mb(path: Path) -> float:
    """Size of the files under `path` in MB; files that vanish meanwhile count 0."""
    total = 0
    for f in path.rglob("*"):
        try:
            if f.is_file() and not f.is_symlink():
                total += f.stat().st_size
        except OSError:
            pass
    return total / 2**20


class RunsQuota:
    def __init__(self, cap_mb: int):
        self.cap_mb = cap_mb
        self._settled: dict[Path, float] = {}  # size of runs that have ended, measured once

    def size_mb(self, run: Path, settled: bool) -> float:
        if not settled:
            self._settled.pop(run, None)
            return folder_mb(run)
        if run not in self._settled:
            self._settled[run] = folder_mb(run)
        return self._settled[run]

    def used_mb(self, runs: list[Path], active: set[Path]) -> float:
        return sum(self.size_mb(r, r not in active) for r in runs)

    def make_room(self, runs: list[Path], active: set[Path], needed_mb: float, evict) -> None:
        """Remove the oldest runs not in `active` until `needed_mb` more fit under the cap;
        `evict(run)` is called first (it takes the run's model out of the picker). Raises
        RunsFolderFull when even that is not enough (nothing is removed then)."""
        used = self.used_mb(runs, active)
        removable = [r for r in runs if r not in active]  # oldest first
        freeable = sum(self._settled.get(r, 0.0) for r in removable)
        if used - freeable + needed_mb > self.cap_mb:
            raise RunsFolderFull(used, self.cap_mb, needed_mb)
        for run in removable:
            if used + needed_mb <= self.cap_mb:
                break
            log.info("removing old live run %s (runs folder over %d MB)", run.name, self.cap_mb)
            evict(run)
            shutil.rmtree(run, ignore_errors=True)
            used -= self._settled.pop(run, 0.0)


class RunsFolderFull(Exception):
    def __init__(self, used_mb: float, cap_mb: int, needed_mb: float):
        super().__init__(f"the runs folder is full: the runs that cannot be removed (the current one) use "
                         f"{used_mb:.0f} MB of {cap_mb} MB and this run needs about {needed_mb:.0f} MB more")
