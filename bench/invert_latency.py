"""Server-side latency of one inversion, per model and step count (issue #24's latency figure).

    python bench/invert_latency.py --checkpoints checkpoints/mnist-dcgan-cond.safetensors --steps 0 50 100 200

One picture at a time, as the app serves them: MNIST-style preprocessing is not included (about a
millisecond), the encoder (or seeds) start and the optimisation are. Prints p50 / p95 seconds over
the first N test images; run it on an idle machine with the app's thread count (torch default).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from gan.checkpoint import load_generator
from gan.data.idx import load_dataset
from gan.evaluation.evaluator_net import load_classifier
from gan.inversion.encoder_net import load_encoder
from gan.inversion.search import invert


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", nargs="+", required=True)
    ap.add_argument("--steps", type=int, nargs="+", default=[0, 50, 100, 200])
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args()
    print(f"torch threads: {torch.get_num_threads()}, {args.n} pictures each")
    print("| model | start | steps | p50 s | p95 s |")
    print("|---|---|---|---|---|")
    for path in args.checkpoints:
        generator, meta = load_generator(path)
        encoder, classifier = load_encoder(path), load_classifier(meta["dataset"])[0]
        images, _ = load_dataset(meta["dataset"], "test", limit=args.n)
        invert(generator, images[0].numpy(), 5, classifier, encoder)  # warm-up
        for steps in args.steps:
            seconds = []
            for image in images.numpy():
                t0 = time.perf_counter()
                found = invert(generator, image, steps, classifier, encoder)
                seconds.append(time.perf_counter() - t0)
            p95 = statistics.quantiles(seconds, n=20)[18]
            print(f"| {Path(path).stem} | {found.start} | {steps} | {statistics.median(seconds):.2f} | {p95:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
