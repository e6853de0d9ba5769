"""Sampling latency of every shipped generator for 1, 64 and 256 images.

    python bench/sampling_latency.py [--checkpoints checkpoints] [--sizes 1 64 256] [--repeats 30]

Times `gan.sampling.sample` (latents from per-image seeds + one forward pass under
inference_mode + conversion to uint8), which is the model side of every app request; grid
assembly and PNG encoding are in bench/app_latency.py. Prints p50 / p95 in milliseconds and
the p50 throughput at the largest size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from bench.app_latency import timed
from gan.checkpoint import load_generator
from gan.export import generator_checkpoints
from gan.sampling.latents import sample, seed_range

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 64, 256])
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; p50 / p95 in ms")
    print(f"{'model':22s} {'params':>9s} " + " ".join(f"{f'{n} image(s)':>17s}" for n in args.sizes)
          + f" {f'img/s @{args.sizes[-1]}':>12s}")
    for path in generator_checkpoints(Path(args.checkpoints)):  # not the encoders and critics beside them
        generator, meta = load_generator(path)
        label = 0 if meta["num_classes"] else None
        cells, last_p50 = [], 0.0
        for n in args.sizes:
            p50, p95 = timed(lambda n=n: sample(generator, seed_range(0, n), labels=label), args.repeats)
            cells.append(f"{p50:8.2f} /{p95:7.2f}")
            last_p50 = p50
        print(f"{path.stem:22s} {meta['parameters']:9,d} " + " ".join(cells)
              + f" {args.sizes[-1] / last_p50 * 1000:12,.0f}")


if __name__ == "__main__":
    main()
