"""The exponential moving average of the generator's weights, which is what gets sampled, and the
BatchNorm statistics recomputed for those averaged weights."""

from __future__ import annotations

import torch
from gan.devices import module_device


@torch.no_grad()
def update_ema(ema_model: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    ema_params, params = list(ema_model.parameters()), list(model.parameters())
    torch._foreach_lerp_(ema_params, params, 1.0 - decay)
    for b_ema, b in zip(ema_model.buffers(), model.buffers()):
        b_ema.copy_(b)


@torch.no_grad()
def recalibrate_batchnorm(generator: torch.nn.Module, num_classes: int, n: int = 2048, batch: int = 256) -> None:
    """Recompute BatchNorm running statistics for these exact weights (EMA weights never saw
    the running stats they inherit). Uses its own RNG so training randomness is untouched."""
    bns = [m for m in generator.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    device = module_device(generator)
    g = torch.Generator().manual_seed(1234)
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all recalibration batches
    generator.train()
    for start in range(0, n, batch):
        z = torch.randn(batch, generator.latent_dim, generator=g).to(device)
        y = torch.randint(0, num_classes, (batch,), generator=g).to(device) if num_classes else None
        generator(z, y)
    for m, momentum in zip(bns, saved):
        m.momentum = momentum
    generator.eval()
