"""Metric keys as a visitor reads them: a name, which way is better, and what real images score.

The floors are `python -m gan.evaluate --real --dataset NAME` (10,000 real training images against
the test split, the same measurement every model gets; docs/evaluation.md), stored with each data
set (gan/data/idx.py DATASETS) so the model card needs no data set. tests/test_metrics_card.py
recomputes every data set's row.
"""

from __future__ import annotations

from gan.data.idx import DATASETS

# key -> (name, which way is better)
METRICS = {
    "fd": ("FD-classifier", "lower is better"),
    "is": ("classifier Inception Score", "higher is better"),
    "coverage": ("classes covered (of 10)", "higher is better"),
    "class_kl": ("class-balance KL", "lower is better"),
    "precision": ("precision (samples that look real)", "higher is better"),
    "recall": ("recall (real variety covered)", "higher is better"),
    "class_accuracy": ("class accuracy (read as the class asked for)", "higher is better"),
    "memorised": ("memorised (samples closer to a training image than 99% of real test images)",
                  "lower is better; a copying model scores far above"),
    "nn_ratio": ("distance to nearest training image, vs real test images (median ratio)",
                 "near 1 or above; far below 1: copying"),
}
# What real test images score, per data set: DatasetInfo.real_scores (memorised and nn_ratio are 0.01
# and 1 by construction, gan/neighbours.py).
REAL_DATA = {name: info.real_scores for name, info in DATASETS.items()}


def number(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def metric_rows(metrics: dict, dataset: str) -> list[tuple[str, str]]:
    """(name, 'value (which way is better; real images: floor)') for each known metric, in order."""
    floor = REAL_DATA.get(dataset, metrics.get("real_floor", {}))  # a prepared set's floor is measured with the model
    rows = []
    for key, (name, better) in METRICS.items():
        if key not in metrics:
            continue
        real = f"; real images: {number(floor[key])}" if key in floor else ""
        rows.append((name, f"{number(metrics[key])} ({better}{real})"))
    if "features" in metrics:
        rows.append(("scores measured in", metrics["features"]))
    if "inception_fid" in metrics:
        rows.append(("Inception FID (ImageNet features)", number(metrics["inception_fid"])))
    if "samples" in metrics:
        rows.append(("measured on", f"{metrics['samples']:,} samples (`python -m gan.evaluate`)"))
    return rows
