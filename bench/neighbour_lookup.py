"""Nearest-training-image lookups: index build time, memory, and lookup latency (issue #25's figures).

    python bench/neighbour_lookup.py --dataset mnist [--rebuild]

--rebuild builds the index from the data files into a fresh cache folder (the first-start cost);
otherwise the cached index is loaded. Memory: the process's RSS before and after loading, and the
index's own tensors. Latency: one lookup (evaluator features + exact search in features and in
pixels) for each of N generated images, p50 / p95.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from gan.evaluation.training_index import TrainingIndex


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    if args.rebuild:
        os.environ["GAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="gan-index-")
    print(f"torch threads: {torch.get_num_threads()}")
    before = rss_mb()
    t0 = time.perf_counter()
    index = TrainingIndex.load_or_build(args.dataset)
    seconds = time.perf_counter() - t0
    print(f"{'built' if args.rebuild else 'loaded'} the {args.dataset} index in {seconds:.1f} s; "
          f"tensors {index.nbytes / 2**20:.0f} MB, process RSS +{rss_mb() - before:.0f} MB")
    queries = torch.randint(0, 256, (args.n, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    queries[: args.n // 2] = index.pixels[: args.n // 2]  # half real images, half noise: same cost
    index.lookup(queries[0].numpy())  # warm-up
    times = []
    for q in queries.numpy():
        t0 = time.perf_counter()
        index.lookup(q)
        times.append((time.perf_counter() - t0) * 1000)
    p95 = statistics.quantiles(times, n=20)[18]
    print(f"lookup (features + pixels, 60,000 images): p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
