"""Print the README's model table from the metrics stored in checkpoints/*.json.

    python -m gan.evaluate --checkpoint checkpoints/*.safetensors --write   # measure first
    python -m gan.evaluate --real --dataset mnist                            # the floor rows
    python bench/metrics_table.py [--checkpoints checkpoints]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    args = ap.parse_args()
    print("| model | data set | preset | cond. | FD-classifier ↓ | IS ↑ | coverage | class KL ↓ | precision | recall "
          "| class acc. | steps | train min | img/s | samples |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for sidecar in sorted(Path(args.checkpoints).glob("*.json")):
        meta = json.loads(sidecar.read_text())
        if meta.get("kind", "generator") != "generator":
            continue
        m = meta.get("metrics", {})
        minutes = meta.get("train_seconds", 0) / 60
        images = meta.get("steps", 0) * meta.get("batch_size", 0)
        rate = images / meta["train_seconds"] if meta.get("train_seconds") else 0
        acc = f"{m['class_accuracy']:.3f}" if "class_accuracy" in m else "–"
        grid = sidecar.with_suffix(".png")
        grid_link = f"[grid]({grid.relative_to(ROOT)})" if grid.exists() and grid.is_relative_to(ROOT) else "–"
        print(f"| {sidecar.stem} | {meta['dataset']} | {meta.get('preset')} | {'yes' if meta['num_classes'] else 'no'} "
              f"| {m.get('fd', float('nan')):.2f} | {m.get('is', float('nan')):.2f} | {m.get('coverage', '?')}/10 "
              f"| {m.get('class_kl', float('nan')):.3f} | {m.get('precision', float('nan')):.3f} "
              f"| {m.get('recall', float('nan')):.3f} | {acc} | {meta.get('steps')} | {minutes:.1f} | {rate:.0f} | {grid_link} |")


if __name__ == "__main__":
    main()
