"""GAN objectives, all computed from raw discriminator logits (softplus, never log(sigmoid)).

| name    | D minimises                                  | G minimises          |
|---------|----------------------------------------------|----------------------|
| minimax | -log D(x) - log(1 - D(G(z)))                 | log(1 - D(G(z)))     |
| nonsat  | same as minimax                              | -log D(G(z))         |
| lsgan   | (D(x) - 1)^2 / 2 + D(G(z))^2 / 2             | (D(G(z)) - 1)^2 / 2  |
| hinge   | relu(1 - D(x)) + relu(1 + D(G(z)))           | -D(G(z))             |
| wgan-gp | D(G(z)) - D(x) + 10 * (|grad D(x_hat)| - 1)^2 | -D(G(z))             |
| rpgan   | softplus(D(G(z)) - D(x)), pairwise           | softplus(D(x) - D(G(z))) |

`real_target` < 1 is one-sided label smoothing (Salimans et al., 2016) for the BCE and LS losses.
Any loss can add the R1 penalty (gamma / 2) * |grad D(x)|^2 on real images (Mescheder et al., 2018),
and R2, the same on generated images. rpgan is the relativistic pairing loss (Jolicoeur-Martineau,
2018) that R3GAN (Huang et al., 2024) pairs with R1 + R2: each real image is judged against a
generated one, which removes the mode-dropping of the plain loss, and with both penalties the
training provably converges locally.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("minimax", "nonsat", "lsgan", "hinge", "wgan-gp", "rpgan")
PAIRED_LOSSES = ("rpgan",)  # G's loss also needs D(x) on a real batch
GP_WEIGHT = 10.0


def bce_with_logits(logits: torch.Tensor, target: float) -> torch.Tensor:
    # softplus(-x) = -log sigmoid(x); softplus(x) = -log(1 - sigmoid(x)); stable for any x.
    return (target * F.softplus(-logits) + (1 - target) * F.softplus(logits)).mean()


def discriminator_loss(kind: str, real: torch.Tensor, fake: torch.Tensor, real_target: float = 1.0) -> torch.Tensor:
    if kind in ("minimax", "nonsat"):
        return bce_with_logits(real, real_target) + bce_with_logits(fake, 0.0)
    if kind == "lsgan":
        return 0.5 * ((real - real_target) ** 2).mean() + 0.5 * (fake ** 2).mean()
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if kind == "wgan-gp":  # the penalty is added by the caller, which holds D and the images
        return fake.mean() - real.mean()
    if kind == "rpgan":
        return F.softplus(fake - real).mean()
    raise ValueError(f"unknown loss {kind!r}; known: {', '.join(LOSSES)}")


def generator_loss(kind: str, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
    """`real`: D's logits on a real batch, needed by the paired losses only."""
    if kind == "rpgan":
        if real is None:
            raise ValueError("rpgan pairs generated with real images: pass D's logits on a real batch")
        return F.softplus(real - fake).mean()
    if kind == "minimax":
        return -F.softplus(fake).mean()  # log(1 - sigmoid(x)) = -softplus(x)
    if kind == "nonsat":
        return bce_with_logits(fake, 1.0)
    if kind == "lsgan":
        return 0.5 * ((fake - 1) ** 2).mean()
    if kind in ("hinge", "wgan-gp"):
        return -fake.mean()
    raise ValueError(f"unknown loss {kind!r}; known: {', '.join(LOSSES)}")


def gradient_penalty(discriminator, real: torch.Tensor, fake: torch.Tensor,
                     labels: torch.Tensor | None = None) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al., 2017): push |grad D| towards 1 on random real/fake mixes."""
    alpha = torch.rand(real.size(0), 1, 1, 1, device=real.device)
    mixed = alpha * real + (1 - alpha) * fake.detach()
    return ((input_gradient(discriminator, mixed, labels).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(discriminator, real: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """R1 (Mescheder et al., 2018): mean |grad D(x)|^2 on real images; a flat D at the data stops
    D from overshooting there, which damps the oscillations of plain GAN training. Given generated
    images it is R2."""
    return input_gradient(discriminator, real, labels).pow(2).sum(dim=1).mean()


def penalty_scale(step: int, steps: int, end: float) -> float:
    """Cosine schedule of the R1/R2 weight, from 1 at step 0 to `end` at the last step (R3GAN
    anneals gamma by 10x: strong early, when D is erratic, weak late, when it limits detail)."""
    import math

    return end + (1 - end) * 0.5 * (1 + math.cos(math.pi * min(step, steps) / max(steps, 1)))


def input_gradient(discriminator, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """grad of D's logits w.r.t. its input images, flattened per image, kept differentiable (for the
    penalties above, whose own gradient then reaches D's weights)."""
    images = images.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(images, labels).float().sum(), images, create_graph=True)
    return grad.flatten(1)


def mode_seeking_penalty(z: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """MSGAN (Mao et al., 2019): the batch's halves are pairs; the penalty falls as the pictures' distance
    grows relative to their latents' distance, so G cannot map many latents onto one picture."""
    half = len(z) // 2
    ratio = ((fake[:half] - fake[half:2 * half]).abs().mean()
             / (z[:half] - z[half:2 * half]).abs().mean())
    return 1.0 / (ratio + 1e-5)
