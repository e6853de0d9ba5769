"""The seed-000 run at the seed's exact settings, timed end to end (#45): the keras-mlp preset (the
Keras GAN example the project grew from), batch 16, 10,000 steps, fp32, on MNIST. The seed took
1,472 s; the target is 30x that, 49 s.

    python bench/seed_run.py [--threads 2] [--precision fp32] [--steps 10000]

Prints the whole command's wall time (start-up and data loading included) and the training time
the run logs (train_seconds), with the speed-up over the seed's 1,472 s. Then, in this process at
the same thread count, what bounds it: the project's step against the least an eager PyTorch step
of the same nets can do (a hand-written step with nothing but the two updates), its forward and
backward passes alone, and Adam alone, each as seconds per 10,000 steps.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

SEED_SECONDS = 1472.0
TARGET = 30


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--steps", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "gan.train", "--dataset", "mnist", "--preset", "keras-mlp", "--batch-size", "16",
               "--steps", str(args.steps), "--precision", args.precision, "--device", "cpu", "--no-progress",
               "--out-dir", out]
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        train_seconds = json.loads(Path(out, "generator.json").read_text())["train_seconds"]
    # A shorter run is scaled to the seed's 10,000 steps: its training time scales, its start-up does not.
    full = wall - train_seconds + train_seconds * 10_000 / args.steps
    print(f"keras-mlp, batch 16, {args.steps} steps, {args.precision}, {args.threads} thread(s): "
          f"{wall:.1f} s wall, {train_seconds:.1f} s training")
    if args.steps != 10_000:
        print(f"scaled to 10,000 steps: about {full:.0f} s wall")
    print(f"speed-up over the seed's {SEED_SECONDS:.0f} s: {SEED_SECONDS / full:.1f}x "
          f"(target {TARGET}x: at most {SEED_SECONDS / TARGET:.0f} s)")
    torch.set_num_threads(args.threads)
    floor(args.precision)


def per_10k(step, repeats: int = 500) -> float:
    """Seconds that 10,000 calls of step(k) take, after a warm-up."""
    for k in range(20):
        step(k)
    t0 = time.perf_counter()
    for k in range(repeats):
        step(k)
    return (time.perf_counter() - t0) / repeats * 10_000


def floor(precision: str) -> None:
    """The project's step against the least an eager step of the same keras-mlp nets at batch 16 costs."""
    from gan.data.idx import load_dataset
    from gan.sampling.latents import output_range
    from gan.training.batches import RealBatches
    from gan.training.config import TrainConfig, resolve
    from gan.training.device import autocast
    from gan.training.loop import build_models, train_step

    cpu = torch.device("cpu")
    cfg = resolve(TrainConfig(dataset="mnist", preset="keras-mlp", precision=precision, batch_size=16))
    _, _, G, D, ema_G, opt_g, opt_d = build_models(cfg, 0, cpu)
    images, labels = load_dataset("mnist", "train")
    batches = RealBatches(images, labels, 16, 0, output_range(G), cpu)
    ones, targets = torch.ones(16, device=cpu), torch.cat([torch.ones(16, device=cpu), torch.zeros(16, device=cpu)])

    def passes(k: int, update: bool = False) -> None:  # D on real+fake, then G through D: the minimax step
        x, _ = batches[k]
        with torch.no_grad(), autocast(cpu, precision):
            fake = G(torch.randn(16, G.latent_dim, device=cpu)).float()
        with autocast(cpu, precision):
            loss_d = F.binary_cross_entropy_with_logits(D(torch.cat([x, fake])).float(), targets)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        if update:
            opt_d.step()
        D.requires_grad_(False)
        with autocast(cpu, precision):
            loss_g = F.binary_cross_entropy_with_logits(D(G(torch.randn(16, G.latent_dim, device=cpu))).float(), ones)
        D.requires_grad_(True)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        if update:
            opt_g.step()

    rows = [("the project's step (gan/training/loop.py: train_step)",
             per_10k(lambda k: train_step(G, D, opt_g, opt_d, ema_G, batches, k, cfg, False))),
            ("a hand-written eager step, nothing but the two updates", per_10k(lambda k: passes(k, update=True))),
            ("its forward and backward passes alone", per_10k(passes))]
    passes(0)  # gradients in place for Adam alone
    rows.append(("Adam alone (both nets)", per_10k(lambda k: (opt_d.step(), opt_g.step()))))
    print(f"what bounds it ({precision}, {torch.get_num_threads()} thread(s), seconds per 10,000 steps):")
    for name, seconds in rows:
        print(f"  {seconds:6.1f} s  {name}")
    print(f"  forward+backward plus Adam, with no overhead at all: {rows[2][1] + rows[3][1]:.1f} s")


if __name__ == "__main__":
    main()
