"""Which recipe gives the cleanest digits within minutes? FD-classifier at 1, 2, 3 and 5 minutes of
training for candidate recipes of the Train tab (issue #26's measurement).

    python bench/live_recipe.py --minutes 5 --candidates dcgan-fp32 fast fast-cond

Each candidate trains with `python -m gan.train` on all cores (the default threads) for the given
wall minutes, keeping a snapshot every --every steps, then is stopped (SIGTERM, as the Stop
button does). The snapshots nearest 1, 2, 3 and 5 minutes of training time (train_seconds:
training steps only, not start-up, k-means or sample grids) are evaluated on 10,000 samples.
Run it on an otherwise idle machine, one candidate after another; it prints a markdown table and
each run's start-up and wall overhead.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from gan.evaluation.scores import evaluate_generator
from studio.training import recipe_flags

ROOT = Path(__file__).resolve().parent.parent

CANDIDATES = {  # name: (flags, conditional)
    "dcgan-fp32": (["--preset", "dcgan", "--precision", "fp32"], False),  # the shipped models' recipe
    "dcgan-bf16": (["--preset", "dcgan", "--precision", "bf16"], False),
    "fast": (recipe_flags("fast", False), False),  # the Train tab's default, unconditional
    "fast-cond": (recipe_flags("fast", True), True),
    "fast-modes20": ([f if f != "40" else "20" for f in recipe_flags("fast", False)], False),
    # issue #35: R3GAN's objective (RpGAN + R1 + R2, annealed) on the fast recipe
    "fast-rpgan": (recipe_flags("fast", False) + ["--loss", "rpgan", "--r1", "0.5", "--r2", "0.5",
                                                  "--penalty-end", "0.1"], False),
}
MARKS = (1, 2, 3, 5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", nargs="+", choices=list(CANDIDATES), default=["dcgan-fp32", "fast", "fast-cond"])
    ap.add_argument("--minutes", type=float, default=5.2)
    ap.add_argument("--every", type=int, default=250, help="steps between snapshots")
    ap.add_argument("--out-root", default=str(ROOT / "bench-runs" / "live"))
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args()
    rows = []
    for name in args.candidates:
        flags, conditional = CANDIDATES[name]
        out = Path(args.out_root) / name
        cmd = [sys.executable, "-m", "gan.train", "--dataset", "mnist", *flags, "--steps", "1000000",
               "--snapshot-every", str(args.every), "--sample-every", str(args.every), "--checkpoint-every", "100000",
               "--out-dir", str(out), "--no-progress"] + (["--conditional"] if conditional else [])
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
        print(f"{name}: wall {wall:.0f} s, of which training {trained:.0f} s", flush=True)
    print("| recipe | " + " | ".join(f"FD at {m} min" for m in MARKS) + " |")
    print("|---|" + "---|" * len(MARKS))
    for name, fds, wall, trained in rows:
        print(f"| {name} | " + " | ".join(fds) + " |")


if __name__ == "__main__":
    main()
