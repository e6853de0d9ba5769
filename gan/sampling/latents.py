"""Latent vectors and generated images, reproducible per seed.

Each image's latent comes from its own `torch.Generator` seeded with that image's seed, so
seed 7 gives the same picture whether it is drawn alone or as the 8th image of a grid, and
whatever was sampled before. A grid of N from seed S uses seeds S, S+1, ..., S+N-1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from gan.devices import module_device


def latent_for_seeds(seeds: Sequence[int], latent_dim: int) -> torch.Tensor:
    return torch.stack([torch.randn(latent_dim, generator=torch.Generator().manual_seed(int(s))) for s in seeds])


def format_latent(z: torch.Tensor) -> str:
    """A latent as text (4 decimals), the form the app's latent inputs and API take."""
    return ", ".join(f"{v:.4f}" for v in z.tolist())


def seed_range(seed: int, n: int) -> list[int]:
    return list(range(int(seed), int(seed) + int(n)))


def output_range(generator: torch.nn.Module) -> tuple[float, float]:
    return (0.0, 1.0) if getattr(generator, "output", "tanh") == "sigmoid" else (-1.0, 1.0)


def to_unit_range(images: torch.Tensor, data_range: tuple[float, float]) -> torch.Tensor:
    """A generator's output in its data range -> [-1, 1], the range the evaluator and critics read."""
    lo, hi = data_range
    return (images.clamp(lo, hi) - lo) / (hi - lo) * 2 - 1


def to_uint8(images: torch.Tensor, data_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """[N,C,H,W] float in data_range -> display pictures: [N,H,W] (grey) or [N,H,W,3] (RGB) uint8."""
    lo, hi = data_range
    scaled = ((images.float() - lo) / (hi - lo)).clamp(0, 1) * 255
    pixels = scaled.round().to(torch.uint8)
    return (pixels.squeeze(1) if pixels.shape[1] == 1 else pixels.permute(0, 2, 3, 1)).cpu().numpy()


def class_labels(labels, n: int, num_classes: int) -> torch.Tensor | None:
    """None for unconditional models; an int, a sequence of ints, or soft weights otherwise."""
    if not num_classes:
        return None
    if labels is None:
        raise ValueError("this model is class-conditional: choose a class")
    t = torch.as_tensor(labels, device=labels.device if isinstance(labels, torch.Tensor) else "cpu")
    if t.is_floating_point():
        return t.reshape(-1, num_classes).float().expand(n, num_classes) if t.numel() == num_classes else t.float()
    t = t.long().reshape(-1)
    if ((t < 0) | (t >= num_classes)).any():
        raise ValueError(f"class index out of range 0-{num_classes - 1}")
    return t.expand(n) if t.numel() == 1 else t


@torch.inference_mode()
def generate(generator: torch.nn.Module, z: torch.Tensor, labels=None) -> np.ndarray:
    """Run the generator in eval mode on latents `z` (and labels); return uint8 images."""
    device = module_device(generator)
    y = class_labels(labels, len(z), getattr(generator, "num_classes", 0))
    if y is not None and len(y) != len(z):
        raise ValueError(f"{len(y)} labels for {len(z)} latents")
    generator.eval()
    out = generator(z.to(device), None if y is None else y.to(device))
    return to_uint8(out, output_range(generator))


def sample(generator: torch.nn.Module, seeds: Sequence[int] | None = None, z: torch.Tensor | None = None,
           labels=None, truncation: float = 1.0) -> np.ndarray:
    """Images for given seeds (or explicit latents). `truncation` < 1 scales z towards the
    mean for cleaner, less varied samples; > 1 for wilder ones."""
    if z is None:
        if seeds is None:
            raise ValueError("pass seeds or z")
        z = latent_for_seeds(seeds, generator.latent_dim)
    return generate(generator, z * truncation, labels)


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation, which keeps intermediate latents at a typical Gaussian norm."""
    n0, n1 = z0 / z0.norm(), z1 / z1.norm()
    omega = torch.acos((n0 * n1).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    if omega.abs() < 1e-4:
        return torch.lerp(z0, z1, t)
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * z0 + (torch.sin(t * omega) / so) * z1


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, mode: str = "lerp") -> torch.Tensor:
    """`steps` points from z0 to z1 inclusive, shape [steps, *z0.shape]."""
    if steps < 2:
        raise ValueError("interpolation needs at least 2 steps")
    t = torch.linspace(0, 1, steps, device=z0.device).view(-1, *([1] * z0.dim()))
    if mode == "lerp":
        return torch.lerp(z0.unsqueeze(0), z1.unsqueeze(0), t)
    if mode == "slerp":
        return torch.stack([slerp(z0, z1, ti) for ti in t])
    raise ValueError(f"unknown interpolation mode {mode!r}; use 'lerp' or 'slerp'")
