"""What the critic says of one picture, in terms a visitor can read.

A raw logit means nothing to a visitor, so a verdict is two percentiles, read off the tables
fitted with the critic (gan/judging/fit.py): the share of real test pictures, and of the
generator's own samples, that the critic scores lower. The saliency map is SmoothGrad
(Smilkov et al., 2017): the magnitude of the score's gradient with respect to the pixels, averaged
over noisy copies of the picture, which shows where the critic looks rather than single-pixel noise.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gan.checkpoint import load_discriminator
from gan.judging.fit import score
from gan.devices import module_device

SMOOTHGRAD_COPIES = 16
SMOOTHGRAD_NOISE = 0.15  # of the [-1, 1] range's width, as in SmoothGrad's 10-20 %


def percentile(table: list[float], value: float) -> float:
    """Percent of the tabled pictures scoring below value (linear between the table's quantiles)."""
    if value <= table[0]:
        return 0.0
    if value >= table[-1]:
        return 100.0
    i = bisect.bisect_right(table, value)
    lo, hi = table[i - 1], table[i]
    frac = 0.5 if hi == lo else (value - lo) / (hi - lo)
    return (i - 1 + frac) / (len(table) - 1) * 100


@dataclass(frozen=True)
class Verdict:
    logit: float
    real_percentile: float       # % of real test pictures the critic scores lower
    generated_percentile: float  # % of the generator's samples the critic scores lower

    def sentence(self) -> str:
        return (f"The critic scores this picture above {self.real_percentile:.0f}% of real test pictures "
                f"and above {self.generated_percentile:.0f}% of the generator's own samples.")


class Critic:
    """A loaded critic with its calibration tables; pictures are float [N, 1, H, W] in [-1, 1]."""

    def __init__(self, net: torch.nn.Module, meta: dict):
        self.net, self.meta = net, meta
        self.tables = meta.get("critic") or {}
        self.num_classes = meta["discriminator_args"].get("num_classes", 0)

    @classmethod
    def load(cls, generator_path: str | Path, device="cpu") -> Critic | None:
        """The critic beside a generator, or None (no critic, or one fitted to other weights)."""
        loaded = load_discriminator(generator_path, device)
        if loaded is None or "real_quantiles" not in (loaded[1].get("critic") or {}):
            return None
        return cls(*loaded)

    def _labels(self, labels, n: int) -> torch.Tensor | None:
        if not self.num_classes:
            return None
        if labels is None:
            raise ValueError("this critic judges a picture together with its class: pass labels")
        device = module_device(self.net)
        return torch.as_tensor(labels, dtype=torch.long, device=device).reshape(-1).expand(n) \
            if np.ndim(labels) == 0 else torch.as_tensor(labels, dtype=torch.long, device=device)

    def scores(self, images: torch.Tensor, labels=None) -> torch.Tensor:
        return score(self.net, images, self._labels(labels, len(images)))

    def verdicts(self, images: torch.Tensor, labels=None) -> list[Verdict]:
        return [Verdict(float(s), percentile(self.tables["real_quantiles"], float(s)),
                        percentile(self.tables["generated_quantiles"], float(s))) for s in self.scores(images, labels)]

    def saliency(self, image: torch.Tensor, label=None, copies: int = SMOOTHGRAD_COPIES,
                 noise: float = SMOOTHGRAD_NOISE, seed: int = 0) -> np.ndarray:
        """[H, W] in [0, 1]: SmoothGrad of the score for one [1, C, H, W] picture (seeded: the
        same picture always gets the same map)."""
        g = torch.Generator().manual_seed(seed)
        x = image.detach().cpu().expand(copies, *image.shape[1:]).clone()
        x = (x + torch.randn(x.shape, generator=g) * noise * 2).to(module_device(self.net)).requires_grad_(True)
        y = self._labels(label, copies)
        with torch.enable_grad():
            grad, = torch.autograd.grad(self.net(x, y).sum(), x)
        heat = grad.abs().mean(dim=(0, 1))
        top = torch.quantile(heat.flatten(), 0.99)  # one hot pixel should not wash out the rest
        return (heat / top.clamp_min(1e-12)).clamp(0, 1).cpu().numpy()


def saliency_picture(picture_u8: np.ndarray, heat: np.ndarray, scale: int = 8) -> Image.Image:
    """The picture beside itself with the saliency laid over it (hot = where the critic looks)."""
    grey = np.repeat(picture_u8[..., None], 3, axis=2).astype(np.float32) if picture_u8.ndim == 2 \
        else picture_u8.astype(np.float32)
    hot = np.stack([np.ones_like(heat), heat ** 0.5, np.zeros_like(heat)], axis=2) * 255  # red -> yellow
    alpha = (0.75 * heat)[..., None]
    laid = grey * 0.55 * (1 - alpha) + hot * alpha
    gap = np.full((picture_u8.shape[0], 2, 3), 255, np.float32)
    both = np.concatenate([grey, gap, laid], axis=1).clip(0, 255).round().astype(np.uint8)
    return Image.fromarray(both).resize((both.shape[1] * scale, both.shape[0] * scale), Image.NEAREST)
