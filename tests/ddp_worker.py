"""Run under torchrun by test_distributed.py: a few real training steps, then each rank saves
its first-step gradients and final parameters to OUT/rank{R}-of-{N}.safetensors."""

import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from gan.data.idx import load_dataset
from gan.training.batches import RealBatches
from gan.training.config import TrainConfig, resolve
from gan.training.distributed import setup, teardown, unwrap, wrap
from gan.training.loop import build_models, train_step

out, steps = Path(sys.argv[1]), int(sys.argv[2])
# numpy-mlp: no BatchNorm and no dropout, so sharding cannot change the maths, only the rounding.
cfg = resolve(TrainConfig(preset="numpy-mlp", batch_size=64, device="cpu"))
ctx = setup(torch.device("cpu"))
device = ctx.device
torch.manual_seed(cfg.seed)
_, _, G, D, ema_G, opt_g, opt_d = build_models(cfg, 0, device)
G, D = wrap(G, ctx, device), wrap(D, ctx, device)
images, labels = load_dataset("mnist", "train", limit=2000)
batches = RealBatches(images, labels, cfg.batch_size, cfg.seed, (0.0, 1.0), device, ctx.rank, ctx.world_size)
tensors = {}
for step in range(steps):
    train_step(G, D, opt_g, opt_d, ema_G, batches, step, cfg, False)
    if step == 0:
        for net, module in (("G", G), ("D", D)):
            for name, p in unwrap(module).named_parameters():
                tensors[f"grad.{net}.{name}"] = p.grad.detach().clone()
for net, module in (("G", G), ("D", D)):
    for name, p in unwrap(module).named_parameters():
        tensors[f"param.{net}.{name}"] = p.detach().clone()
save_file(tensors, str(out / f"rank{ctx.rank}-of-{ctx.world_size}.safetensors"))
teardown(ctx)
