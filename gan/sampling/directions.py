"""Latent directions that change images visibly (GANSpace, Härkönen et al., 2020).

Raw latent dimensions of a GAN rarely mean anything on their own. Instead: sample many
latents, run the generator, take the principal components of the *outputs*, and regress the
latents onto the component scores. Each regression row is a latent direction whose movement
produces that principal change in pixel space (stroke width, slant, sleeve length...).
"""

from __future__ import annotations

import torch
from gan.devices import module_device

NUM_DIRECTIONS = 8  # the sliders': the app's and the browser explorer's (gan/export.py)


@torch.inference_mode()
def principal_directions(generator: torch.nn.Module, k: int = NUM_DIRECTIONS, n: int = 2048, seed: int = 0,
                         batch: int = 512) -> torch.Tensor:
    """[k, latent_dim] unit-norm latent directions, strongest pixel-space variation first."""
    g = torch.Generator().manual_seed(seed)
    num_classes = getattr(generator, "num_classes", 0)
    z = torch.randn(n, generator.latent_dim, generator=g)
    labels = torch.randint(0, num_classes, (n,), generator=g) if num_classes else None
    device = module_device(generator)
    generator.eval()
    outputs = []
    for start in range(0, n, batch):
        y = None if labels is None else labels[start:start + batch].to(device)
        outputs.append(generator(z[start:start + batch].to(device), y).flatten(1).float().cpu())
    x = torch.cat(outputs)
    x = x - x.mean(0)
    _, _, v = torch.linalg.svd(x, full_matrices=False)  # rows of v: principal axes in pixel space
    scores = x @ v[:k].T  # [n, k]
    # Least squares: z ~ scores @ W, so W[i] is the latent change per unit of component i.
    w = torch.linalg.lstsq(scores, z).solution  # [k, latent_dim]
    return w / w.norm(dim=1, keepdim=True)
