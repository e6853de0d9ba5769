"""Loss-curve PNGs for the README: draw runs/<name>/losses.png from each run's log.jsonl and copy it
to docs/losses-<name>.png (training writes losses.png itself at the end; this redraws older runs).

    python scripts/loss_charts.py runs/mnist-dcgan runs/mnist-dcgan-cond
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from gan.training.loop import write_loss_chart

ROOT = Path(__file__).resolve().parent.parent

for run in map(Path, sys.argv[1:]):
    write_loss_chart(run)
    shutil.copy(run / "losses.png", ROOT / "docs" / f"losses-{run.name}.png")
    print(ROOT / "docs" / f"losses-{run.name}.png")
