"""Training throughput with 1 and N torchrun processes (gloo on CPU, NCCL on GPUs).

    python bench/ddp_scaling.py [--nproc 1 2] [--steps 300] [--preset dcgan] [--batch-size 128]

Runs the real CLI (`torchrun -m gan.train`) and reads images/s from the run's log.jsonl,
skipping the first logged interval (start-up). Same global batch in every run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(nproc: int, args) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
               "-m", "gan.train", "--preset", args.preset, "--batch-size", str(args.batch_size),
               "--steps", str(args.steps), "--out-dir", out, "--log-every", "20", "--sample-every", "100000",
               "--checkpoint-every", "100000", "--no-progress", "--device", args.device]
        subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
        rates = [json.loads(line)["img_per_s"] for line in (Path(out) / "log.jsonl").read_text().splitlines()]
        return statistics.median(rates[1:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nproc", nargs="*", type=int, default=[1, 2])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--preset", default="dcgan")
    ap.add_argument("--batch-size", type=int, default=128, help="global batch")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    base = None
    for n in args.nproc:
        rate = run(n, args)
        base = base or rate
        print(f"{n} process(es): {rate:7.0f} img/s  ({rate / base:.2f}x)")


if __name__ == "__main__":
    main()
