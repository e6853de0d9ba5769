"""DiffAugment (Zhao, Liu, Lin, Zhu, Han, "Differentiable Augmentation for Data-Efficient GAN
Training", NeurIPS 2020): every image the discriminator sees, real or generated, is changed at
random by the policy's parts, in order: `color` (brightness and contrast; grey images have no
saturation), `translation` (a shift of up to 1/8 of the size) and `cutout` (a square of half the
size blanked). The changes are differentiable, so the generator still learns through them, and D
cannot memorise a small training set (a visitor's zip of a few hundred pictures).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def brightness_contrast(x: torch.Tensor) -> torch.Tensor:
    n = len(x)
    x = x + (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) - 0.5)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) + 0.5) + mean


def translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size, filling with zeros (as the paper's code)."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (n, 1, 1), device=x.device)
    dx = torch.randint(-sw, sw + 1, (n, 1, 1), device=x.device)
    rows = (torch.arange(h, device=x.device)[None, :, None] + dy).clamp(-1, h)  # -1 and h: the zero border
    cols = (torch.arange(w, device=x.device)[None, None, :] + dx).clamp(-1, w)
    padded = F.pad(x, (1, 1, 1, 1))
    index = (rows + 1) * (w + 2) + (cols + 1)  # [n, h, w] into the padded image, flattened
    flat = padded.flatten(2)
    return flat.gather(2, index.flatten(1)[:, None].expand(-1, x.shape[1], -1)).view_as(x)


def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h + 1 - ch % 2, (n, 1, 1), device=x.device) - ch // 2
    left = torch.randint(0, w + 1 - cw % 2, (n, 1, 1), device=x.device) - cw // 2
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
    return x * (~inside)[:, None].to(x.dtype)


PARTS = {"color": brightness_contrast, "translation": translation, "cutout": cutout}


def is_policy(policy: str) -> bool:
    parts = [p.strip() for p in policy.split(",")]
    return bool(parts) and all(p in PARTS for p in parts)


def parse_policy(policy: str) -> list[str]:
    if not is_policy(policy):
        raise ValueError(f"DiffAugment policy {policy!r}: use a comma-separated list of {', '.join(PARTS)}")
    return [p.strip() for p in policy.split(",")]


def diff_augment(x: torch.Tensor, policy: str = "color,translation,cutout") -> torch.Tensor:
    x = x.float()  # the random parts are drawn in float32, whatever precision the generator ran in
    for part in parse_policy(policy):
        x = PARTS[part](x)
    return x
