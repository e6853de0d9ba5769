"""Draw it, find it: the latent (and class) whose generated image is closest to a given picture.

    python -m gan.invert --checkpoint checkpoints/mnist-dcgan-cond.safetensors --image my.png --out found.png

GAN inversion in two stages, as StyleGAN's projector does it: a good start, then a short
optimisation of the latent. The start is the best of `candidates` seeded latents (per class, for
conditional models, which try every class, optimise the TOP_CLASSES best starts and rank them
all). Then Adam moves the latents to minimise
the pixel error plus a feature error in the evaluator classifier's features (what the image looks
like, not only where its pixels are), with a prior term that keeps |z|^2 near its typical value
latent_dim, so the result stays an image the model would draw. Everything is seeded: the same
picture and steps give the same result.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .data import to_model_range
from .sampling import class_labels, latent_for_seeds, output_range, to_uint8

DEFAULT_STEPS = 100
MAX_STEPS = 1000
CANDIDATES = 128  # seeded starting latents per class
TOP_CLASSES = 3  # conditional models: every class gets a start, the best few are optimised
FEATURE_WEIGHT = 0.5
PRIOR_WEIGHT = 0.02
LEARNING_RATE = 0.05


@dataclass
class Inversion:
    z: torch.Tensor  # [latent_dim], the found latent
    label: int | None  # the best class, for conditional models
    image: np.ndarray  # [28, 28] uint8, the reconstruction
    distance: float  # mean absolute pixel difference to the target, 0-1
    ranking: list[tuple[int, float]]  # (class, distance), best first (conditional models)


class FeatureLoss:
    """Squared distance in the evaluator's 128-d features, relative to the target's own size."""

    def __init__(self, classifier, target: torch.Tensor, data_range: tuple[float, float]):
        lo, hi = data_range
        self.classifier, self.lo, self.hi = classifier.eval(), lo, hi
        with torch.no_grad():
            self.target = classifier(self.to_evaluator(target))[0]
        self.scale = self.target.pow(2).mean().clamp(min=1e-6)

    def to_evaluator(self, x: torch.Tensor) -> torch.Tensor:  # the evaluator reads [-1, 1]
        return (x - self.lo) / (self.hi - self.lo) * 2 - 1

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        feats = self.classifier(self.to_evaluator(images))[0]
        return (feats - self.target).pow(2).mean(dim=1) / self.scale


def best_starts(generator, target: torch.Tensor, labels: list[int | None],
                candidates: int) -> tuple[torch.Tensor, list[float]]:
    """Per label, the seeded latent (seeds 0..candidates-1) whose image is nearest the target in
    pixels, and that mean absolute error (in the generator's range)."""
    z = latent_for_seeds(range(candidates), generator.latent_dim)
    starts, errors = [], []
    with torch.inference_mode():
        for label in labels:
            y = class_labels(label, candidates, generator.num_classes)
            error = (generator(z, y) - target).abs().flatten(1).mean(1)
            starts.append(z[error.argmin()])
            errors.append(float(error.min()))
    return torch.stack(starts), errors


def invert(generator, target_u8: np.ndarray, steps: int = DEFAULT_STEPS, classifier=None,
           candidates: int = CANDIDATES) -> Inversion:
    """Find the latent (and class) of `generator` whose image is closest to the 28x28 uint8 `target_u8`."""
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must lie in 0-{MAX_STEPS}, got {steps}")
    generator.eval()
    target = to_model_range(torch.as_tensor(target_u8).view(1, 28, 28), output_range(generator))
    lo, hi = output_range(generator)
    all_labels: list[int | None] = list(range(generator.num_classes)) or [None]
    starts, start_errors = best_starts(generator, target, all_labels, candidates)
    kept = sorted(range(len(all_labels)), key=lambda i: start_errors[i])[:TOP_CLASSES]
    labels = [all_labels[i] for i in kept]
    y = None if labels == [None] else torch.tensor(labels)
    z = starts[kept].clone().requires_grad_(True)
    feature_loss = FeatureLoss(classifier, target, output_range(generator)) if classifier is not None else None
    optimiser = torch.optim.Adam([z], lr=LEARNING_RATE)
    frozen = [p for p in generator.parameters() if p.requires_grad]
    for p in frozen:  # gradients for z only
        p.requires_grad_(False)
    try:
        for _ in range(steps):
            images = generator(z, y)
            loss = (images - target).pow(2).flatten(1).mean(1)
            if feature_loss is not None:
                loss = loss + FEATURE_WEIGHT * feature_loss(images)
            loss = loss + PRIOR_WEIGHT * (z.pow(2).mean(1) - 1).pow(2)
            optimiser.zero_grad(set_to_none=True)
            loss.sum().backward()  # each row's loss depends on its own latent only
            optimiser.step()
    finally:
        for p in frozen:
            p.requires_grad_(True)
    with torch.inference_mode():
        images = generator(z.detach(), y)
    distances = ((images - target).abs().flatten(1).mean(1) / (hi - lo)).tolist()
    best = min(range(len(labels)), key=lambda i: distances[i])
    # Ranking: the optimised classes by their final distance, then the others by their start's.
    ranking = sorted(zip(labels, distances), key=lambda r: r[1]) + sorted(
        ((all_labels[i], start_errors[i] / (hi - lo)) for i in range(len(all_labels)) if i not in kept),
        key=lambda r: r[1])
    return Inversion(z=z.detach()[best], label=labels[best], image=to_uint8(images[best:best + 1], (lo, hi))[0],
                     distance=distances[best], ranking=ranking if y is not None else [])


def main(argv: list[str] | None = None) -> int:
    from .checkpoint import CheckpointError, load_generator
    from .classifier import load_classifier
    from .images import make_grid
    from .preprocess import BadPicture, mnist_style, open_picture

    ap = argparse.ArgumentParser(prog="python -m gan.invert", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="generator .safetensors (with its .json)")
    ap.add_argument("--image", required=True, help="a picture: PNG/JPEG/WebP, any size, colour or grey")
    ap.add_argument("--out", default="found.png", help="writes [input as the model sees it | reconstruction]")
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"optimisation steps (default {DEFAULT_STEPS})")
    args = ap.parse_args(argv)
    try:
        generator, meta = load_generator(args.checkpoint)
        with open(args.image, "rb") as file:
            target = mnist_style(open_picture(file), meta["dataset"])
        try:
            classifier = load_classifier(meta["dataset"])[0]
        except CheckpointError:
            classifier = None
        found = invert(generator, target, args.steps, classifier)
    except (CheckpointError, OSError, BadPicture, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    make_grid(np.stack([target, found.image]), nrow=2, scale=8).save(args.out)
    names = meta.get("class_names", [])
    print(f"distance {found.distance:.4f} (mean absolute pixel difference, 0-1)")
    if found.ranking:
        print("classes, best first: " + ", ".join(f"{names[c] if c < len(names) else c} {d:.4f}"
                                                  for c, d in found.ranking))
    print("latent: " + ", ".join(f"{v:.4f}" for v in found.z.tolist()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
