"""How well, and how fast, gan.invert finds test images in a model (issue #24's measurement, first part).

    python bench/invert_quality.py --checkpoints checkpoints/mnist-dcgan-cond.safetensors --n 20 --steps 100

For each model: the first N test images of its data set (never trained on), drawn the way a person
would bring them (dark ink on white, 5x larger, colour) and brought back by gan.preprocess; then
inverted. Prints how often the evaluator reads the reconstruction as the input's true class, how
often a conditional model's chosen class is the true label, the mean pixel distance, and the
latency per image (p50 / p95, this process's threads).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan.checkpoint import load_generator  # noqa: E402
from gan.classifier import embed, load_classifier  # noqa: E402
from gan.data import load_dataset  # noqa: E402
from gan.invert import DEFAULT_STEPS, invert  # noqa: E402
from gan.preprocess import mnist_style  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", nargs="+", required=True)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    args = ap.parse_args()
    print(f"torch threads: {torch.get_num_threads()}")
    for path in args.checkpoints:
        generator, meta = load_generator(path)
        classifier = load_classifier(meta["dataset"])[0]
        images, labels = load_dataset(meta["dataset"], "test", limit=args.n)
        agree, chosen, distances, seconds = 0, 0, [], []
        for digit, label in zip(images.squeeze(1).numpy(), labels.tolist()):
            drawn = Image.fromarray(255 - digit).resize((140, 140), Image.BILINEAR).convert("RGB")
            t0 = time.perf_counter()
            found = invert(generator, mnist_style(drawn, meta["dataset"]), args.steps, classifier)
            seconds.append(time.perf_counter() - t0)
            _, probs = embed(classifier, torch.tensor(found.image, dtype=torch.float32).view(1, 1, 28, 28) / 127.5 - 1)
            agree += int(probs.argmax()) == label
            chosen += found.label == label
            distances.append(found.distance)
        q = statistics.quantiles(seconds, n=20) if len(seconds) > 1 else seconds * 19
        cls = f", chosen class = label {chosen}/{args.n}" if meta["num_classes"] else ""
        print(f"{Path(path).stem}: reconstruction read as the input's class {agree}/{args.n}{cls}, "
              f"mean distance {np.mean(distances):.4f}, latency p50 {statistics.median(seconds):.2f} s, "
              f"p95 {q[18]:.2f} s ({args.steps} steps)", flush=True)


if __name__ == "__main__":
    main()
