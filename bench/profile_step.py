"""Where one training step's time goes, per preset (#45): torch.profiler over real steps on real
MNIST batches, the operators' own (self) CPU time grouped into convolutions, matrix products,
normalisation, activations, the optimiser's updates, the batch fetch, and the rest; what the
operators do not account for is Python and dispatch overhead (the step's wall time minus their sum).

    python bench/profile_step.py [--presets dcgan keras-mlp] [--steps 20] [--precision fp32] [--batch 16] [--top 15]

Run it on an idle machine: the figures are shares of one thread's (or the set thread count's) time.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from gan.data.idx import load_dataset
from gan.models import PRESETS
from gan.sampling.latents import output_range
from gan.training.batches import RealBatches
from gan.training.config import TrainConfig, resolve
from gan.training.loop import build_models, train_step

# operator name fragments -> category, first match wins (backward kernels share their forward's words)
CATEGORIES = [
    ("convolution", ("conv",)),
    ("matrix products", ("addmm", "aten::mm", "bmm", "linear", "matmul")),
    ("normalisation", ("batch_norm", "group_norm", "layer_norm", "instance_norm")),
    ("optimiser", ("_foreach", "adam", "optimizer")),
    ("activations", ("relu", "leaky", "tanh", "sigmoid", "softplus", "gelu", "silu")),
    ("batch fetch", ("fetch batch",)),
]


def category(name: str) -> str:
    lowered = name.lower()
    for label, fragments in CATEGORIES:
        if any(f in lowered for f in fragments):
            return label
    return "other operators"


class TimedBatches(RealBatches):
    """RealBatches whose fetch shows in the profile under its own name."""

    def __getitem__(self, k: int):
        with record_function("fetch batch"):
            return super().__getitem__(k)


def profile_preset(preset: str, steps: int, precision: str, images, labels, batch: int | None = None,
                   top: int = 0) -> tuple[float, dict[str, float]]:
    cfg = resolve(TrainConfig(dataset="mnist", preset=preset, precision=precision, batch_size=batch))
    _, _, G, D, ema_G, opt_g, opt_d = build_models(cfg, 0, torch.device("cpu"))
    batches = TimedBatches(images, labels, cfg.batch_size, 0, output_range(G), torch.device("cpu"))
    for step in range(5):  # warm-up: allocator, oneDNN primitives
        train_step(G, D, opt_g, opt_d, ema_G, batches, step, cfg, False)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        for step in range(steps):
            train_step(G, D, opt_g, opt_d, ema_G, batches, 5 + step, cfg, False)
        wall = (time.perf_counter() - t0) / steps * 1e3
    shares: dict[str, float] = defaultdict(float)
    for event in prof.key_averages():
        shares[category(event.key)] += event.self_cpu_time_total / 1e3 / steps  # ms per step
    shares["Python and dispatch overhead"] = max(0.0, wall - sum(shares.values()))
    if top:  # the heaviest operators themselves, for a closer look
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top))
    return wall, dict(shares)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", nargs="+", default=sorted(PRESETS))
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--batch", type=int, help="batch size (default: each preset's own)")
    ap.add_argument("--top", type=int, default=0, help="also print the N heaviest operators")
    args = ap.parse_args()
    images, labels = load_dataset("mnist", "train")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, precision {args.precision}")
    order = [label for label, _ in CATEGORIES] + ["other operators", "Python and dispatch overhead"]
    print("| preset | ms per step | " + " | ".join(order) + " |")
    print("|---" * (len(order) + 2) + "|")
    for preset in args.presets:
        wall, shares = profile_preset(preset, args.steps, args.precision, images, labels, args.batch, args.top)
        cells = [f"{100 * shares.get(label, 0.0) / wall:.0f}%" for label in order]
        print(f"| {preset} | {wall:.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
