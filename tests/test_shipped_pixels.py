"""Every shipped model draws as it did: seeds 0-63 (class i % K for conditional models) and, for
self-conditioned models, the mode of seeds 0-9,999, against a record taken before the refactors of
issues #41, #43 and #45 (tests/data/shipped_samples.npz). Samples may differ by 1/255 where another
CPU's kernels round differently; modes are integers and must match exactly.

    python tests/test_shipped_pixels.py --write    # record anew (only when a checkpoint is meant to change)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
RECORD = Path(__file__).resolve().parent / "data" / "shipped_samples.npz"
SEEDS = list(range(64))


def shipped() -> list[Path]:
    from gan.checkpoint import is_generator_sidecar

    return sorted(p.with_suffix(".safetensors") for p in (ROOT / "checkpoints").glob("*.json") if is_generator_sidecar(p))


def draw(path: Path) -> dict[str, np.ndarray]:
    from gan.checkpoint import load_generator
    from gan.sampling.latents import latent_for_seeds, sample

    generator, meta = load_generator(path)
    k = meta.get("num_classes", 0)
    labels = torch.tensor([s % k for s in SEEDS]) if k else None
    out = {f"{path.stem}/samples": sample(generator, seeds=SEEDS, labels=labels)}
    if hasattr(generator, "modes"):
        with torch.no_grad():
            out[f"{path.stem}/modes"] = generator.modes(latent_for_seeds(range(10_000), generator.latent_dim)).numpy()
    return out


def test_the_record_covers_every_shipped_model():
    record = np.load(RECORD)
    assert {p.stem for p in shipped()} == {key.split("/")[0] for key in record.files}


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.stem)
def test_a_shipped_model_draws_as_recorded(path):
    record = np.load(RECORD)
    for key, now in draw(path).items():
        before = record[key]
        assert now.shape == before.shape, key
        if key.endswith("/modes"):
            assert (now == before).all(), f"{key}: {(now != before).sum()} of {len(now)} seeds changed mode"
        else:
            assert np.abs(now.astype(int) - before.astype(int)).max() <= 1, key


if __name__ == "__main__" and "--write" in sys.argv:
    arrays = {}
    for p in shipped():
        arrays.update(draw(p))
    RECORD.parent.mkdir(exist_ok=True)
    np.savez_compressed(RECORD, **arrays)
    print(f"{len(arrays)} arrays -> {RECORD} ({RECORD.stat().st_size / 1024:.0f} KB)")
