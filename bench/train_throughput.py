"""Training throughput of every preset, against this machine's measured float32 matmul peak.

    python bench/train_throughput.py [--seconds 5] [--presets dcgan keras-mlp] [--batches 64 256]
                                     [--precisions fp32 bf16] [--shapes 1x28x28 3x32x32 3x64x64]

For each preset, batch size and precision (gan.train --precision): images/s over real MNIST
batches, FLOPs per step (counted by torch.utils.flop_counter on one real step), achieved GFLOP/s
as a fraction of the peak of a large torch.mm in the same dtype measured in the same run, and the
share of step time spent fetching the batch (near 0 means the loop is not input-bound). With
--shapes, colour and 32/64 px layouts of the presets (gan/models.py) train on random pictures of that
shape (1x28x28 stays real MNIST): the step's cost does not depend on what the pictures show.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from gan.data.idx import load_dataset
from gan.models import PRESETS
from gan.sampling.latents import output_range
from gan.training.batches import RealBatches
from gan.training.config import PRECISIONS, TrainConfig, resolve
from gan.training.device import cpu_has_native_bf16
from gan.training.loop import build_models, train_step


def matmul_peak_gflops(sizes=(1024, 2048, 3072, 4096), seconds: float = 2.0, dtype=torch.float32) -> float:
    """Best sustained GFLOP/s of torch.mm over several square sizes (one size alone can sit well
    below what the BLAS reaches at another). Sizes go up until one product alone takes longer than
    `seconds`: bfloat16 on a CPU without native support (no AVX512-BF16/AMX) runs below 1 GFLOP/s,
    where a 4096 product would take minutes."""
    best = 0.0
    for n in sizes:
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        t0 = time.perf_counter()
        torch.mm(a, b)
        single = time.perf_counter() - t0
        if single > seconds:
            return max(best, 2 * n**3 / single / 1e9)
        count, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            torch.mm(a, b)
            count += 1
        best = max(best, 2 * n**3 * count / (time.perf_counter() - t0) / 1e9)
    return best


OPTIONS = ("plain", "channels_last", "foreach_adam", "compile", "host_sync")


def apply_option(option: str, G, D, opt_g, opt_d, cfg):
    """One throughput option (#45) on freshly built models (plain: as gan.train builds them, fused
    Adam included): channels_last memory format, the multi-tensor (foreach) Adam used before,
    torch.compile (inductor) of both nets, or the old per-step host sync put back."""
    if option == "channels_last" and any(m.weight.dim() == 4 for m in G.modules() if hasattr(m, "weight") and m.weight is not None):
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    elif option == "foreach_adam":  # what build_models made before #45 (fused is its default now)
        opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), foreach=True)
        opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), foreach=True)
    elif option == "compile":
        G, D = torch.compile(G), torch.compile(D)
    return G, D, opt_g, opt_d


def measure(preset: str, batch: int, images, labels, seconds: float, precision: str = "fp32",
            option: str = "plain") -> dict:
    cfg = resolve(TrainConfig(preset=preset, batch_size=batch, device="cpu", precision=precision))
    torch.manual_seed(0)
    shape = (1, 28, 28) if images.dim() == 3 else tuple(images.shape[1:])
    _, _, G, D, ema_G, opt_g, opt_d = build_models(cfg, 0, torch.device("cpu"), shape)
    G, D, opt_g, opt_d = apply_option(option, G, D, opt_g, opt_d, cfg)
    step_fn = train_step
    if option == "host_sync":  # what the loop did before #45: read finiteness on the host after every step
        def step_fn(*a):
            out = train_step(*a)
            bool(torch.isfinite(out[0]) and torch.isfinite(out[1]))
            return out
    batches = RealBatches(images, labels, batch, 0, output_range(G), torch.device("cpu"))
    t_warm = time.perf_counter()
    for step in range(3):  # a compiled step compiles here
        step_fn(G, D, opt_g, opt_d, ema_G, batches, step, cfg, False)
    warm_up = time.perf_counter() - t_warm
    if option == "compile":
        flops = float("nan")  # the counter cannot see inside compiled graphs
        step_fn(G, D, opt_g, opt_d, ema_G, batches, 3, cfg, False)
    else:
        with FlopCounterMode(display=False) as counter:
            step_fn(G, D, opt_g, opt_d, ema_G, batches, 3, cfg, False)
        flops = counter.get_total_flops()
    steps, t0 = 4, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step_fn(G, D, opt_g, opt_d, ema_G, batches, steps, cfg, False)
        steps += 1
    elapsed = time.perf_counter() - t0
    n = steps - 4
    t1 = time.perf_counter()
    for k in range(n):
        batches[k]
    fetch = (time.perf_counter() - t1) / elapsed
    return {"img_s": n * batch / elapsed, "gflop_step": flops / 1e9, "gflops": flops * n / elapsed / 1e9,
            "fetch_share": fetch, "ms_step": 1000 * elapsed / n, "warm_up_s": warm_up}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", nargs="*", default=list(PRESETS))
    ap.add_argument("--batches", nargs="*", type=int, default=[64, 256])
    ap.add_argument("--precisions", nargs="*", choices=PRECISIONS, default=["fp32"])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--options", nargs="*", choices=OPTIONS, default=["plain"],
                    help="throughput options to compare side by side (#45; default: plain)")
    ap.add_argument("--shapes", nargs="*", default=["1x28x28"], help="CxHxW picture shapes (default: MNIST's)")
    args = ap.parse_args()
    mnist = load_dataset("mnist", "train")
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes]
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16}
    peaks = {p: matmul_peak_gflops(dtype=dtypes[p]) for p in args.precisions}
    print(f"CPU vector extensions: {torch.backends.cpu.get_cpu_capability()}, "
          f"native bfloat16 (AVX512-BF16/AMX): {'yes' if cpu_has_native_bf16() else 'no'}")
    for p, peak in peaks.items():
        print(f"{p} torch.mm peak: {peak:.1f} GFLOP/s on {torch.get_num_threads()} threads")
    width = max(map(len, ["preset", *args.presets]))
    print(f"{'preset':{width}s} {'shape':>8s} {'batch':>5s} {'prec.':>5s} {'option':>13s} {'img/s':>8s} "
          f"{'ms/step':>8s} {'GFLOP/step':>10s} {'GFLOP/s':>8s} {'% peak':>7s} {'fetch %':>7s} {'warm-up':>8s}")
    for shape in shapes:
        if shape == (1, 28, 28):
            images, labels = mnist
        else:
            images = torch.randint(0, 256, (4096, *shape), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
            labels = torch.zeros(4096, dtype=torch.int64)
        for preset in args.presets:
            for batch in args.batches:
                for p in args.precisions:
                    for option in args.options:
                        try:
                            r = measure(preset, batch, images, labels, args.seconds, p, option)
                        except Exception as e:  # noqa: BLE001 - e.g. torch.compile without a C++ compiler: say so, go on
                            print(f"{preset:{width}s} {'x'.join(map(str, shape)):>8s} {batch:5d} {p:>5s} {option:>13s} "
                                  f"failed: {type(e).__name__}: {str(e).splitlines()[0][:80]}")
                            continue
                        print(f"{preset:{width}s} {'x'.join(map(str, shape)):>8s} {batch:5d} {p:>5s} {option:>13s} "
                              f"{r['img_s']:8.0f} {r['ms_step']:8.2f} {r['gflop_step']:10.3f} {r['gflops']:8.1f} "
                              f"{100 * r['gflops'] / peaks[p]:6.1f}% {100 * r['fetch_share']:6.1f}% "
                              f"{r['warm_up_s']:7.1f}s", flush=True)


if __name__ == "__main__":
    main()
