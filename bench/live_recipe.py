"""Which recipe gives the cleanest digits within minutes? FD-classifier at 1, 2, 3 and 5 minutes of
training for candidate recipes of the Train tab (issue #26's measurement).

    python bench/live_recipe.py --minutes 5 --candidates dcgan-fp32 fast fast-cond

Each candidate trains with `python -m gan.train` on all cores (the default threads) for the given
wall minutes, keeping a snapshot every --every x 64 images (so that every candidate pays the
same snapshot overhead per image, whatever its batch size), then is stopped (SIGTERM, as the Stop
button does). The snapshots nearest 1, 2, 3 and 5 minutes of training time (train_seconds:
training steps only, not start-up, k-means or sample grids) are evaluated on 10,000 samples.
Run it on an otherwise idle machine, one candidate after another; it prints a markdown table and
each run's start-up and wall overhead. --plot also evaluates every snapshot (on --plot-n samples,
cached beside them) and draws FD against training time, one line per candidate:

    python bench/live_recipe.py --minutes 3.2 --candidates fast-b64 fast --plot docs/fd_vs_time-recipe
    python bench/live_recipe.py --dataset fashion --minutes 3.2 --candidates fast-b64 fast
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from gan.evaluation.scores import evaluate_generator
from gan.sampling.plots import line_chart
from studio.recipes import command_batch, recipe_flags

sys.path.insert(0, str(Path(__file__).resolve().parent))
from time_to_quality import fd_curve  # noqa: E402  (a sibling bench script)

ROOT = Path(__file__).resolve().parent.parent


def with_batch(flags: list[str], batch: int) -> list[str]:
    """The flags with --batch-size set to `batch`."""
    if "--batch-size" in flags:
        at = flags.index("--batch-size")
        flags = flags[:at] + flags[at + 2:]
    return flags + ["--batch-size", str(batch)]


FAST = recipe_flags("fast", False)  # the Train tab's default, unconditional: steps of 32 since #45
FAST_B64 = with_batch(FAST, 64)  # the same before #45: the dcgan preset's steps of 64
CANDIDATES = {  # name: (flags, conditional)
    "dcgan-fp32": (["--preset", "dcgan", "--precision", "fp32"], False),  # the shipped models' recipe
    "dcgan-bf16": (["--preset", "dcgan", "--precision", "bf16"], False),
    "fast": (FAST, False),
    "fast-cond": (recipe_flags("fast", True), True),
    "fast-modes20": ([f if f != "40" else "20" for f in FAST], False),
    # issue #35: R3GAN's objective (RpGAN + R1 + R2, annealed) on the fast recipe
    "fast-rpgan": (FAST + ["--loss", "rpgan", "--r1", "0.5", "--r2", "0.5", "--penalty-end", "0.1"], False),
    # issue #45: shaped for a 3-minute budget
    "fast-b64": (FAST_B64, False),
    "fast-b16": (with_batch(FAST, 16), False),
    "fast-b64-lr8e-4": (FAST_B64 + ["--lr", "8e-4"], False),
    "fast-lr8e-4": (FAST + ["--lr", "8e-4"], False),
    "fast-modes100": ([f if f != "40" else "100" for f in FAST_B64], False),
}
MARKS = (1, 2, 3, 5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", nargs="+", choices=list(CANDIDATES), default=["dcgan-fp32", "fast", "fast-cond"])
    ap.add_argument("--minutes", type=float, default=5.2)
    ap.add_argument("--every", type=int, default=250, help="steps of 64 images between snapshots")
    ap.add_argument("--out-root", default=str(ROOT / "bench-runs" / "live"))
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--dataset", default="mnist", choices=["mnist", "fashion"])
    ap.add_argument("--plot", help="also chart FD against training time for every snapshot: path prefix")
    ap.add_argument("--plot-n", type=int, default=5000, help="samples per charted snapshot")
    args = ap.parse_args()
    rows, lines = [], {}
    for name in args.candidates:
        flags, conditional = CANDIDATES[name]
        out = Path(args.out_root) / (name if args.dataset == "mnist" else f"{args.dataset}-{name}")
        every = str(max(1, args.every * 64 // command_batch(flags)))
        cmd = [sys.executable, "-m", "gan.train", "--dataset", args.dataset, *flags, "--steps", "1000000",
               "--snapshot-every", every, "--sample-every", every, "--checkpoint-every", "100000",
               "--out-dir", str(out), "--no-progress"] + (["--conditional"] if conditional else [])
        shutil.rmtree(out, ignore_errors=True)  # a fresh run: no snapshots (or cached FDs) left from an older one
        print("$", " ".join(cmd[1:]), flush=True)
        started = time.time()
        proc = subprocess.Popen(cmd, cwd=ROOT)
        time.sleep(args.minutes * 60)
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        wall = time.time() - started
        snaps = []
        for sidecar in sorted((out / "snapshots").glob("step_*.json")):
            snaps.append((json.loads(sidecar.read_text())["train_seconds"], sidecar.with_suffix(".safetensors")))
        trained = max(s for s, _ in snaps) if snaps else 0
        fds = []
        for mark in MARKS:
            near = [s for s in snaps if s[0] <= mark * 60 * 1.05]
            if not near or mark * 60 > trained * 1.05:
                fds.append("–")
                continue
            seconds, path = near[-1]
            fd = evaluate_generator(path, n=args.n)["fd"]
            fds.append(f"{fd:.2f} ({seconds / 60:.1f} min)")
        rows.append((name, fds, wall, trained))
        if args.plot:
            curve = fd_curve(out, args.plot_n)
            lines[name] = ([p["seconds"] / 60 for p in curve], [p["fd"] for p in curve])
        print(f"{name}: wall {wall:.0f} s, of which training {trained:.0f} s", flush=True)
    print("| recipe | " + " | ".join(f"FD at {m} min" for m in MARKS) + " |")
    print("|---|" + "---|" * len(MARKS))
    for name, fds, wall, trained in rows:
        print(f"| {name} | " + " | ".join(fds) + " |")
    if args.plot:
        path = f"{args.plot}-{args.dataset}.png"
        line_chart(lines, title=f"{args.dataset}: FD-classifier vs training time ({args.plot_n} samples per point)",
                   x_label="training time (min)", y_label="FD-classifier", log_y=True).save(path)
        print(f"chart: {path}")


if __name__ == "__main__":
    main()
