"""The shipped checkpoints/ folder: every generator loads, is small, carries its metrics and
sample grid, and is produced by a command in scripts/train_shipped.sh (and nothing is missing)."""

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from studio.registry import ModelRegistry

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "checkpoints"


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.safetensors") if "." not in p.stem)  # not NAME.encoder/.discriminator


def test_every_shipped_generator_loads_with_metrics_and_a_grid_under_15_mb():
    registry = ModelRegistry(SHIPPED)
    assert registry.skipped == [] and sorted(registry.models) == shipped_names()
    for name in shipped_names():
        assert (SHIPPED / f"{name}.safetensors").stat().st_size < 15 * 2**20, name
        metrics = json.loads((SHIPPED / f"{name}.json").read_text())["metrics"]
        assert {"fd", "is", "coverage", "class_kl", "precision", "recall"} <= set(metrics), name
        assert metrics["samples"] == 10_000, name
        assert Image.open(SHIPPED / f"{name}.png").format == "PNG", name


def test_train_shipped_script_has_a_command_for_exactly_the_shipped_models():
    script = (ROOT / "scripts" / "train_shipped.sh").read_text()
    commands = re.findall(r"^\s*\[([\w-]+)\]=", script, flags=re.M)
    order = re.search(r"ORDER=\(([^)]*)\)", script).group(1).split()
    assert sorted(commands) == sorted(order) == shipped_names()


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_names())
def test_the_metrics_on_a_model_card_are_what_the_evaluation_measures(name, mnist_dir, fashion_dir):
    """The sidecar's metrics, recomputed (python -m gan.evaluate: 10,000 seeded samples): a card that
    drifted from its model, or an evaluation that changed, fails here."""
    from gan.evaluation.scores import evaluate_generator

    stored = json.loads((SHIPPED / f"{name}.json").read_text())["metrics"]
    measured = evaluate_generator(SHIPPED / f"{name}.safetensors", n=stored["samples"])
    for key in ("fd", "precision", "recall", "coverage"):
        assert measured[key] == pytest.approx(stored[key], rel=0.02, abs=0.01), (key, measured[key], stored[key])
