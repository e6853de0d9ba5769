"""Draw it, find it: the latent (and class) whose generated image is closest to a given picture.

    python -m gan.invert --checkpoint checkpoints/mnist-dcgan-cond.safetensors --image my.png --out found.png

GAN inversion in two stages, as StyleGAN's projector does it: a good start, then a short
optimisation of the latent. The start comes from the generator's encoder (gan/inversion/encoder_net.py) when
one is saved beside the checkpoint, otherwise it is the best of `candidates` seeded latents.
Conditional models try every class: the encoder's best start decides it, or, starting from
seeds, the TOP_CLASSES best starts are optimised and the best fit wins. Self-conditioned models
(gan/models.py SelfConditioned) try every mode the same way, with the mode held fixed, and the
found latent is then put in its mode.
Adam then moves the latents to minimise the pixel error plus a feature error in the evaluator
classifier's features (what the image looks like, not only where its pixels are), with a prior
term that keeps |z|^2 near its typical value latent_dim, so the result stays an image the model
would draw. Everything is seeded and every picture is optimised on its own (batches only share
the arithmetic): the same picture and steps give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gan.data.idx import to_model_range
from gan.inversion.features import FeatureLoss, fit_loss
from gan.sampling.images import from_display
from gan.sampling.latents import latent_for_seeds, output_range, to_uint8
from gan.devices import module_device

DEFAULT_STEPS = 100
MAX_STEPS = 500
CANDIDATES = 128  # seeded starting latents per class when there is no encoder
TOP_CLASSES = 3  # conditional models without an encoder: the classes of the best few seeded starts are optimised
PRIOR_WEIGHT = 0.02
LEARNING_RATE = 0.05


class Stopped(Exception):
    """`should_stop` said so between two optimisation steps: nobody waits for the result any more."""


@dataclass
class Inversion:
    z: torch.Tensor  # [latent_dim], the found latent
    label: int | None  # the best class, for conditional models
    image: np.ndarray  # uint8 [H, W] or [H, W, 3], the reconstruction
    distance: float  # mean absolute pixel difference to the target, 0-1
    ranking: list[tuple[int, float]]  # (class, distance), best first (conditional models)
    start: str  # "encoder" or "best of N seeds"


def labels_of(generator) -> list[int | None]:
    """What the search runs over: a conditional model's classes; a self-conditioned model's modes
    (its mode is a step function of z[0]/|z| that gradients cannot move, so each mode is searched
    with the mode held fixed); or one unlabelled search."""
    return list(range(generator.num_classes or getattr(generator, "num_modes", 0))) or [None]


def as_labels(labels: list[int | None], n: int, device) -> torch.Tensor | None:
    return None if labels == [None] else torch.tensor(labels, device=device).repeat_interleave(n)


@torch.inference_mode()
def seed_starts(generator, targets: torch.Tensor, candidates: int) -> torch.Tensor:
    """[B, L, d]: per target and label, the seeded latent (seeds 0..candidates-1) nearest in pixels."""
    z = latent_for_seeds(range(candidates), generator.latent_dim).to(targets.device)
    flat = targets.flatten(1)
    best = []
    for label in labels_of(generator):
        images = generator(z, as_labels([label], candidates, z.device)).flatten(1)
        # squared distances by one matrix product: |a|^2 - 2ab + |b|^2
        d2 = images.pow(2).sum(1)[None] - 2 * flat @ images.T
        best.append(z[d2.argmin(1)])
    return torch.stack(best, 1)


@torch.inference_mode()
def encoder_starts(encoder, generator, targets: torch.Tensor) -> torch.Tensor:
    """[B, L, d]: the encoder's latent for each target, once per label (a self-conditioned model's
    encoder is unconditional: its latent starts every mode)."""
    labels = labels_of(generator)
    if not generator.num_classes:
        return encoder(targets, None)[:, None].expand(-1, len(labels), -1)
    return torch.stack([encoder(targets, as_labels([label], len(targets), targets.device)) for label in labels], 1)


def optimise(generator, z: torch.Tensor, labels: torch.Tensor | None, targets: torch.Tensor, steps: int,
             feature_loss: FeatureLoss | None, should_stop=None) -> torch.Tensor:
    """Adam on the latents `z` [R, d]; row r is matched to targets[r]. `should_stop()` is asked
    before every step (Stopped when it says yes)."""
    z = z.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([z], lr=LEARNING_RATE)
    for _ in range(steps):
        if should_stop is not None and should_stop():
            raise Stopped()
        loss = fit_loss(generator(z, labels), targets, feature_loss) + PRIOR_WEIGHT * (z.pow(2).mean(1) - 1).pow(2)
        # The gradient for z only, without touching the shared model's parameters (or their
        # requires_grad), so inversions and sampling can run at once on one loaded model.
        # Each row's loss depends on its own latent only, so the sum optimises every row alone.
        (z.grad,) = torch.autograd.grad(loss.sum(), z)
        optimiser.step()
    return z.detach()


def invert_many(generator, targets_u8: np.ndarray, steps: int = DEFAULT_STEPS, classifier=None, encoder=None,
                candidates: int = CANDIDATES, classes_optimised: int | None = None, should_stop=None) -> list[Inversion]:
    """Invert each uint8 picture of `targets_u8` (display layout: [B, H, W] grey or [B, H, W, 3]) into `generator`.
    `classes_optimised` overrides how many of the best-starting classes are optimised (default: 1
    with an encoder, TOP_CLASSES without; bench/invert_quality.py compares)."""
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must lie in 0-{MAX_STEPS}, got {steps}")
    generator.eval()
    data_range = lo, hi = output_range(generator)
    shown = np.asarray(targets_u8)
    # Everything runs where the generator is (the classifier and encoder must be there too); the
    # found latents come back on the CPU.
    targets = to_model_range(from_display(shown), data_range).to(module_device(generator))
    b, labels = len(targets), labels_of(generator)
    k, labelled, conditional = len(labels), labels != [None], generator.num_classes > 0

    def features_of(t):
        return FeatureLoss(classifier, t, data_range) if classifier is not None else None

    starts = encoder_starts(encoder, generator, targets) if encoder is not None else \
        seed_starts(generator, targets, candidates)  # [B, L, d]
    with torch.inference_mode():
        every_target = targets.repeat_interleave(k, 0)
        start_images = generator(starts.flatten(0, 1), torch.arange(k, device=targets.device).repeat(b) if labelled else None)
        start_score = fit_loss(start_images, every_target, features_of(every_target)).view(b, k)
        start_distance = (start_images - every_target).abs().flatten(1).mean(1).view(b, k) / (hi - lo)
    # With an encoder the class is decided by its starts: optimisation lets a conditional generator bend
    # any class toward the picture (a thin 4 into a 1's bar), so optimising several classes and keeping
    # the closest picks the wrong class more often (mnist-dcgan-cond, 100 test digits: 89% vs 99%,
    # bench/invert_quality.py --methods encoder+opt encoder+opt3). Seeded starts are too coarse to decide it: their best few are optimised.
    top = min(classes_optimised or (1 if encoder is not None else TOP_CLASSES), k)
    kept = start_score.argsort(1)[:, :top]  # [B, top]
    y = kept.flatten() if labelled else None
    targets = targets.repeat_interleave(top, 0)
    feature_loss = features_of(targets)
    z = optimise(generator, starts[torch.arange(b, device=kept.device)[:, None], kept].flatten(0, 1), y, targets, steps, feature_loss,
                 should_stop)
    with torch.inference_mode():
        images = generator(z, y)
        score = fit_loss(images, targets, feature_loss).view(b, top)
        if labelled and not conditional:  # the mode goes into the latent, which then needs no label
            z = generator.in_mode(z, y)
    distance = ((images - targets).abs().flatten(1).mean(1) / (hi - lo)).view(b, top)
    pixels = to_uint8(images, data_range).reshape(b, top, *shown.shape[1:])
    z, kept = z.view(b, top, -1).cpu(), kept.cpu()
    start = "encoder" if encoder is not None else f"best of {candidates} seeds"
    found = []
    for i in range(b):
        order = score[i].argsort().tolist()
        best = order[0]
        ranking = []
        if conditional:  # optimised classes by their final fit, then the others by their start's
            ranking = [(int(kept[i, j]), float(distance[i, j])) for j in order]
            ranking += [(c, float(start_distance[i, c])) for c in start_score[i].argsort().tolist()
                        if c not in kept[i].tolist()]
        found.append(Inversion(z=z[i, best], label=int(kept[i, best]) if conditional else None,
                               image=pixels[i, best], distance=float(distance[i, best]), ranking=ranking,
                               start=start))
    return found


def invert(generator, target_u8: np.ndarray, steps: int = DEFAULT_STEPS, classifier=None, encoder=None,
           candidates: int = CANDIDATES, should_stop=None) -> Inversion:
    """Find the latent (and class) of `generator` whose image is closest to the uint8 picture `target_u8`."""
    return invert_many(generator, np.asarray(target_u8)[None], steps, classifier, encoder, candidates,
                       should_stop=should_stop)[0]
