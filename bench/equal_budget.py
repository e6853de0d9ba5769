"""Equal-budget comparison of recipes (issue #35): each run's quality after 15, 30 and 60 minutes of
training time, read from its snapshots.

    bash scripts/equal_budget.sh                       # the runs (one after another, one thread each)
    python bench/equal_budget.py bench-runs/r3/*       # the table (FD on 10,000 samples per point)

For each budget the last snapshot whose `train_seconds` (training wall time, data loading and
sampling excluded) fits in it is evaluated with `gan.evaluate`'s metrics; results are cached in
<run>/snapshots/eval-n<N>.json, so rerunning is cheap. Runs that have not reached a budget show "-".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gan.evaluation.scores import evaluate_generator

BUDGETS_MIN = (15, 30, 60)
COLUMNS = ("fd", "coverage", "class_kl", "precision", "recall", "class_accuracy")


def snapshot_at(run: Path, minutes: float) -> Path | None:
    """The last snapshot trained for at most `minutes` (within 5%: snapshots fall every few minutes)."""
    best = None
    for meta_path in sorted((run / "snapshots").glob("step_*.json")):
        meta = json.loads(meta_path.read_text())
        if meta["train_seconds"] <= minutes * 60 * 1.05:
            best = meta_path.with_suffix(".safetensors")
    return best


def evaluated(snapshot: Path, n: int) -> dict:
    cache_path = snapshot.parent / f"eval-n{n}.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    if snapshot.name not in cache:
        metrics = evaluate_generator(snapshot, n=n)
        meta = json.loads(snapshot.with_suffix(".json").read_text())
        cache[snapshot.name] = {**{k: metrics.get(k) for k in COLUMNS}, "step": meta["steps"],
                                "minutes": round(meta["train_seconds"] / 60, 1)}
        cache_path.write_text(json.dumps(cache, indent=1))
    return cache[snapshot.name]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="run folders with snapshots/")
    ap.add_argument("--n", type=int, default=10_000, help="samples per evaluation (default 10,000)")
    args = ap.parse_args()
    print("| run | budget | step (min) | FD ↓ | coverage | class KL ↓ | precision | recall | class acc. |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in args.runs:
        for budget in BUDGETS_MIN:
            snapshot = snapshot_at(run, budget)
            if snapshot is None:
                print(f"| {run.name} | {budget} min | - | - | - | - | - | - | - |")
                continue
            r = evaluated(snapshot, args.n)
            acc = "-" if r["class_accuracy"] is None else f"{r['class_accuracy']:.1%}"
            print(f"| {run.name} | {budget} min | {r['step']:,} ({r['minutes']}) | {r['fd']:.2f} | {r['coverage']}/10 | "
                  f"{r['class_kl']:.3f} | {r['precision']:.2f} | {r['recall']:.2f} | {acc} |", flush=True)


if __name__ == "__main__":
    main()
