"""The seed-000 run at the seed's exact settings, timed end to end (#45): the keras-mlp preset (the
Keras GAN example the project grew from), batch 16, 10,000 steps, fp32, on MNIST. The seed took
1,472 s; the target is 30x that, 49 s.

    python bench/seed_run.py [--threads 2] [--precision fp32] [--steps 10000]

Prints the whole command's wall time (start-up and data loading included) and the training time
the run logs (train_seconds), with the speed-up over the seed's 1,472 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

SEED_SECONDS = 1472.0
TARGET = 30


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--steps", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "gan.train", "--dataset", "mnist", "--preset", "keras-mlp", "--batch-size", "16",
               "--steps", str(args.steps), "--precision", args.precision, "--device", "cpu", "--no-progress",
               "--out-dir", out]
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        train_seconds = json.loads(Path(out, "generator.json").read_text())["train_seconds"]
    # A shorter run is scaled to the seed's 10,000 steps: its training time scales, its start-up does not.
    full = wall - train_seconds + train_seconds * 10_000 / args.steps
    print(f"keras-mlp, batch 16, {args.steps} steps, {args.precision}, {args.threads} thread(s): "
          f"{wall:.1f} s wall, {train_seconds:.1f} s training")
    if args.steps != 10_000:
        print(f"scaled to 10,000 steps: about {full:.0f} s wall")
    print(f"speed-up over the seed's {SEED_SECONDS:.0f} s: {SEED_SECONDS / full:.1f}x "
          f"(target {TARGET}x: at most {SEED_SECONDS / TARGET:.0f} s)")


if __name__ == "__main__":
    main()
