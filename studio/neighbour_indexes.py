"""Is it copying? The app's side of gan/neighbours.py: one training-set index per data set, built in
the background at start-up (the page never waits for it), and the question asked of any image.

Until an index is ready, or where the data set is not on the machine (a container without the
data), a request gets a plain message instead of neighbours, and everything else works as before.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

from gan.data.idx import DATASETS, DataError
from gan.data.prepared import is_prepared_dataset
from gan.data.training_sets import short_name
from gan.evaluation.training_index import TrainingIndex
from gan.memory import release_freed_memory
from studio.validation import InvalidInput

log = logging.getLogger("gan_studio")
ROOT = Path(__file__).resolve().parent.parent


def has_index(dataset: str) -> bool:
    """The project's data sets and prepared sets have an index; a folder read as it is has none."""
    return dataset in DATASETS or is_prepared_dataset(dataset)


class NeighbourIndexes:
    def __init__(self, datasets, data_dir=None, evaluator_dir=None):
        self.datasets = sorted(set(d for d in datasets if has_index(d)))
        self.data_dir, self.evaluator_dir = data_dir, evaluator_dir
        self._ready: dict[str, TrainingIndex] = {}
        self._failed: dict[str, str] = {}
        self._lock = threading.Lock()

    def build_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.build_all, name="neighbour-index", daemon=True)
        thread.start()
        return thread

    def load_cached(self) -> None:
        """Loads the indexes already in the cache (0.1-0.2 s each) on the calling thread. Called before
        the server starts its threads, the two indexes add 127 MB to the app; loaded on the background
        thread they added 137-164 MB, start to start (bench/app_memory.py, docs/memorisation.md)."""
        self.build_all([d for d in self.datasets if self.is_cached(d)])

    def is_cached(self, dataset: str) -> bool:
        try:
            return TrainingIndex.cache_path(dataset, self.data_dir, self.evaluator_dir).exists()
        except DataError:
            return False

    def build_all(self, datasets=None) -> None:
        for dataset in datasets if datasets is not None else self.datasets:
            with self._lock:
                if dataset in self._ready:
                    continue
            try:
                self.build_elsewhere(dataset)
                index = TrainingIndex.load_or_build(dataset, self.data_dir, self.evaluator_dir, log=log.info)
                with self._lock:
                    self._ready[dataset] = index
                release_freed_memory()
                log.info("%s training-set index ready (%.0f MB)", dataset, index.nbytes / 2**20)
            except Exception as e:  # no data, no evaluator, a full disk: the feature says so, the app goes on
                reason = str(e) if isinstance(e, DataError) else f"{type(e).__name__}: {e}"
                with self._lock:
                    self._failed[dataset] = reason
                log.warning("no %s training-set index: %s", dataset, reason)

    def build_elsewhere(self, dataset: str) -> None:
        """A missing index is built by a child process (`python -m gan.neighbours --build`): the
        build's ~400 MB of temporary memory then goes back to the system instead of staying in
        the app's heap (docs/memorisation.md). Failures fall through to load_or_build, which says why."""
        if self.is_cached(dataset):
            return
        log.info("building the %s training-set index in a child process (once)", dataset)
        command = [sys.executable, "-m", "gan.neighbours", "--build", dataset]
        command += ["--data-dir", str(self.data_dir)] if self.data_dir else []
        subprocess.run(command, cwd=ROOT, capture_output=True, timeout=1800)

    def get(self, dataset: str) -> TrainingIndex:
        with self._lock:
            if dataset in self._ready:
                return self._ready[dataset]
            if dataset in self._failed:
                raise InvalidInput(f"nearest training images are not available here: {self._failed[dataset]}")
            if not has_index(dataset):
                raise InvalidInput("nearest training images are available for MNIST, Fashion-MNIST and prepared "
                                   "sets (python -m gan.prepare), not for a folder read as it is")
            if dataset not in self.datasets:  # a model of another data set arrived (trained from the page)
                self.datasets = sorted(self.datasets + [dataset])
                threading.Thread(target=self.build_all, args=([dataset],), daemon=True).start()
        raise InvalidInput(f"the {short_name(dataset)} training-set index is still being built (about a minute after the "
                           "first start, seconds after that); try again shortly")

    def status(self) -> str:
        with self._lock:
            parts = [f"{d}: ready" if d in self._ready else f"{d}: not available ({self._failed[d]})"
                     if d in self._failed else f"{d}: index building…" for d in self.datasets]
        return "Training-set index — " + "; ".join(parts) if parts else "No models loaded."

    def all_settled(self) -> bool:
        with self._lock:
            return all(d in self._ready or d in self._failed for d in self.datasets)
