"""How well gan.invert finds real test images in a model, by starting method (issue #24's measurement).

    python bench/invert_quality.py --checkpoints checkpoints/mnist-dcgan-cond.safetensors --n 1000

For each model: the first N test images of its data set (never trained on), drawn the way a person
would bring them (dark ink on white, 5x larger, colour) and brought back by gan.preprocess; then
inverted by each method on the same images:
  seeds-1000   best of 1,000 seeded latents (per class), no optimisation
  encoder      the model's encoder alone (gan/encoder.py), no optimisation
  seeds+opt    best of 128 seeds, then the default optimisation (the fallback without an encoder)
  encoder+opt  the encoder, then the default optimisation of the best-starting class (what the app does)
  encoder+opt3 the same, but the 3 best-starting classes are optimised and the best final fit wins
               (how the class was chosen before: it shows why the app decides it from the starts)
Prints a markdown row per model and method: how often the evaluator reads the reconstruction as the
input's true class, how often a conditional model's chosen class is the true label, and the mean
pixel distance (mean absolute difference, 0-1). Latency: bench/invert_latency.py.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gan.checkpoint import load_generator
from gan.data.idx import load_dataset
from gan.data.pictures import mnist_style
from gan.evaluation.evaluator_net import embed, load_classifier
from gan.inversion.encoder_net import load_encoder
from gan.inversion.search import CANDIDATES, DEFAULT_STEPS, invert_many

METHODS = {  # name: (use the encoder, seeded candidates, optimisation steps, classes optimised)
    "seeds-1000": (False, 1000, 0, None),
    "encoder": (True, 0, 0, None),
    "seeds+opt": (False, CANDIDATES, DEFAULT_STEPS, None),
    "encoder+opt": (True, 0, DEFAULT_STEPS, None),
    "encoder+opt3": (True, 0, DEFAULT_STEPS, 3),
}
DEFAULT_METHODS = ["seeds-1000", "encoder", "seeds+opt", "encoder+opt"]


def as_a_user_brings_it(digit: np.ndarray, dataset: str) -> np.ndarray:
    drawn = Image.fromarray(255 - digit).resize((140, 140), Image.BILINEAR).convert("RGB")
    return mnist_style(drawn, dataset)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", nargs="+", required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=100, help="pictures inverted together (each on its own)")
    ap.add_argument("--methods", nargs="+", choices=list(METHODS), default=DEFAULT_METHODS)
    args = ap.parse_args()
    print(f"torch threads: {torch.get_num_threads()}, {args.n} test images per model")
    print("| model | method | class agreement | chosen class = label | mean distance | seconds |")
    print("|---|---|---|---|---|---|")
    for path in args.checkpoints:
        generator, meta = load_generator(path)
        encoder = load_encoder(path)
        classifier = load_classifier(meta["dataset"])[0]
        images, labels = load_dataset(meta["dataset"], "test", limit=args.n)
        targets = np.stack([as_a_user_brings_it(d, meta["dataset"]) for d in images.numpy()])
        for method in args.methods:
            use_encoder, candidates, steps, classes_optimised = METHODS[method]
            if use_encoder and encoder is None:
                print(f"| {Path(path).stem} | {method} | no encoder file | | | |", flush=True)
                continue
            t0 = time.perf_counter()
            found = []
            for start in range(0, len(targets), args.batch):
                found += invert_many(generator, targets[start:start + args.batch], steps, classifier,
                                     encoder if use_encoder else None, candidates or CANDIDATES,
                                     classes_optimised)
            seconds = time.perf_counter() - t0
            recon = torch.tensor(np.stack([f.image for f in found]), dtype=torch.float32)[:, None] / 127.5 - 1
            read_as = embed(classifier, recon)[1].argmax(1)
            agree = (read_as == labels).float().mean().item()
            chosen = np.mean([f.label == y for f, y in zip(found, labels.tolist())]) if meta["num_classes"] else None
            chosen_text = f"{chosen:.1%}" if chosen is not None else "–"
            print(f"| {Path(path).stem} | {method} | {agree:.1%} | {chosen_text} | "
                  f"{np.mean([f.distance for f in found]):.4f} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
