"""Time to quality: FD-classifier against training wall time, per preset and batch size.

    python bench/time_to_quality.py --presets dcgan keras-mlp --batches 64 256 --images 512000
    python bench/time_to_quality.py --runs runs/mnist-dcgan runs/mnist-dcgan-cond   # already trained

Each (preset, batch) trains the same number of images (so batch sizes compare at equal data)
with `python -m gan.train --snapshot-every`, in bench-runs/<dataset>-<preset>-b<batch>/; rerunning
resumes. Every snapshot is evaluated with `n` samples (default 5,000; fewer than the full
evaluation's 10,000, so values sit slightly above `python -m gan.evaluate`'s). Time to quality is
the training wall time (train_seconds in the snapshot, data loading and sampling excluded) at
which FD first falls below 2x the run's final FD. Writes one chart per batch size,
<--plot>-b<batch>.png.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from gan.evaluation.scores import evaluate_generator
from gan.sampling.plots import line_chart

ROOT = Path(__file__).resolve().parent.parent

SNAPSHOTS_PER_RUN = 12


def train_run(dataset: str, preset: str, batch: int, images: int, out_root: Path, conditional: bool) -> Path:
    out = out_root / f"{dataset}-{preset}{'-cond' if conditional else ''}-b{batch}"
    steps = max(SNAPSHOTS_PER_RUN, images // batch)
    every = max(1, steps // SNAPSHOTS_PER_RUN)
    cmd = [sys.executable, "-m", "gan.train", "--dataset", dataset, "--preset", preset, "--batch-size", str(batch),
           "--steps", str(steps), "--snapshot-every", str(every), "--sample-every", str(every),
           "--checkpoint-every", str(every), "--out-dir", str(out), "--resume", "--no-progress"]
    if conditional:
        cmd.append("--conditional")
    print("$", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return out


def fd_curve(run: Path, n: int) -> list[dict]:
    """[{step, seconds, batch, fd, precision, recall}] for every snapshot of a run, cached in
    snapshots/fd-n<n>.json (entries cached before precision and recall were kept lack them)."""
    cache_path = run / "snapshots" / f"fd-n{n}.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    curve = []
    for path in sorted((run / "snapshots").glob("step_*.safetensors")):
        if path.name not in cache:
            meta = json.loads(path.with_suffix(".json").read_text())
            metrics = evaluate_generator(path, n)
            cache[path.name] = {"step": meta["steps"], "seconds": meta["train_seconds"], "batch": meta["batch_size"],
                                **{k: metrics[k] for k in ("fd", "precision", "recall")}}
            cache_path.write_text(json.dumps(cache, indent=1))
        curve.append(cache[path.name])
    return curve


def time_to_quality(curve: list[dict]) -> float | None:
    """Seconds until FD first falls below 2x the final FD."""
    final = curve[-1]["fd"]
    return next((p["seconds"] for p in curve if p["fd"] < 2 * final), None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="*", default=[], help="run folders with snapshots/ to evaluate as they are")
    ap.add_argument("--presets", nargs="*", default=[], help="presets to train (see python -m gan.train --help)")
    ap.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--images", type=int, default=512_000, help="training images per run (default: ~8.5 epochs)")
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--conditional", action="store_true")
    ap.add_argument("--out-root", default=str(ROOT / "bench-runs"))
    ap.add_argument("--n", type=int, default=5000, help="samples per FD evaluation (default 5000)")
    ap.add_argument("--each", action="store_true", help="print every snapshot's FD, precision and recall")
    ap.add_argument("--plot", default=str(ROOT / "docs" / "fd_vs_time"), help="chart path prefix")
    args = ap.parse_args()
    runs = [Path(r) for r in args.runs]
    for preset in args.presets:
        for batch in args.batches:
            runs.append(train_run(args.dataset, preset, batch, args.images, Path(args.out_root), args.conditional))

    print(f"\n{'run':34s} {'img/s':>7s} {'train min':>9s} {'final FD':>9s} {'best FD':>8s} {'time to 2x final':>17s}"
          f" {'precision':>9s} {'recall':>7s}")
    series: dict[int, dict] = {}
    for run in runs:
        curve = fd_curve(run, args.n)
        if not curve:
            print(f"{run.name:34s} no snapshots (train with --snapshot-every)")
            continue
        last = curve[-1]
        rate = last["step"] * last["batch"] / last["seconds"]
        ttq = time_to_quality(curve)
        print(f"{run.name:34s} {rate:7.0f} {last['seconds'] / 60:9.1f} {last['fd']:9.2f} "
              f"{min(p['fd'] for p in curve):8.2f} {ttq / 60 if ttq else float('nan'):13.1f} min"
              f" {last.get('precision', float('nan')):9.3f} {last.get('recall', float('nan')):7.3f}")
        for p in curve if args.each else []:
            print(f"  step {p['step']:6d}  {p['seconds'] / 60:5.1f} min  FD {p['fd']:7.2f}  "
                  f"precision {p.get('precision', float('nan')):.3f}  recall {p.get('recall', float('nan')):.3f}")
        series.setdefault(last["batch"], {})[run.name] = ([p["seconds"] / 60 for p in curve], [p["fd"] for p in curve])
    for batch, lines in sorted(series.items()):
        path = f"{args.plot}-b{batch}.png"
        line_chart(lines, title=f"FD-classifier vs training time, batch {batch} ({args.n} samples per point)",
                   x_label="training wall time (min)", y_label="FD-classifier", log_y=True).save(path)
        print(f"chart: {path}")


if __name__ == "__main__":
    main()
