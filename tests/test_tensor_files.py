"""One way to save and load tensors with a sidecar (gan/tensor_files.py), for every kind of file:
each kind refuses the same damage (truncated, random bytes, NaN, a malformed sidecar, mismatched
tensors) with a CheckpointError naming the file, and round-trips what it saved."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gan.checkpoint import CheckpointError, load_generator, save_generator
from gan.evaluation.evaluator_net import Classifier, load_classifier, save_classifier
from gan.fileio import file_sha256
from gan.inversion.encoder_net import Encoder, load_encoder, paths_for, save_encoder
from gan.models import build_generator
from gan.tensor_files import read_tensors, save_tensors


def generator_files(folder: Path) -> tuple[Path, Path, callable]:
    generator = build_generator("mlp", latent_dim=8, hidden=(16,), num_classes=0)
    meta = {"arch": "mlp", "generator_args": {"latent_dim": 8, "hidden": [16], "num_classes": 0}, "latent_dim": 8,
            "num_classes": 0, "dataset": "x", "data_range": [-1, 1]}
    weights = save_generator(folder / "g.safetensors", generator, meta)
    return weights, weights.with_suffix(".json"), lambda: load_generator(weights)


def encoder_files(folder: Path) -> tuple[Path, Path, callable]:
    generator_weights, _, _ = generator_files(folder)
    meta = {"generator_sha256": file_sha256(generator_weights), "latent_dim": 8, "num_classes": 0,
            "config": {"width": 8}}
    weights = save_encoder(generator_weights, Encoder(8, 0, 8), meta)
    return weights, paths_for(generator_weights)[1], lambda: load_encoder(generator_weights)


def evaluator_files(folder: Path) -> tuple[Path, Path, callable]:
    path = folder / "x-classifier.safetensors"
    save_classifier(Classifier(10), {"class_names": [str(i) for i in range(10)]}, path)
    return path, path.with_suffix(".json"), lambda: load_classifier("x", folder)


KINDS = {"generator": generator_files, "encoder": encoder_files, "evaluator": evaluator_files}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_round_trips(tmp_path, kind):
    _, _, load = KINDS[kind](tmp_path)
    assert load() is not None


def with_nan(weights: Path) -> None:
    tensors = read_tensors(weights, finite=False)
    name = next(k for k, v in tensors.items() if v.is_floating_point())
    tensors[name] = tensors[name].clone().fill_(float("nan"))
    save_tensors(weights, tensors)


DAMAGE = {
    "truncated": lambda weights, sidecar: weights.write_bytes(weights.read_bytes()[:100]),
    "random bytes": lambda weights, sidecar: weights.write_bytes(bytes(range(256)) * 8),
    "NaN": lambda weights, sidecar: with_nan(weights),
    "malformed sidecar": lambda weights, sidecar: sidecar.write_text("{not json"),
    "sidecar not an object": lambda weights, sidecar: sidecar.write_text("[1, 2]"),
    "a weight missing": lambda weights, sidecar: save_tensors(weights, {
        k: v for k, v in read_tensors(weights).items() if k != next(n for n in read_tensors(weights) if n.endswith("weight"))}),
    "a tensor mis-shaped": lambda weights, sidecar: save_tensors(weights, {
        k: (torch.zeros(3) if i == 0 else v) for i, (k, v) in enumerate(read_tensors(weights).items())}),
}


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_refuses_each_damage_naming_the_file(tmp_path, kind, damage):
    weights, sidecar, load = KINDS[kind](tmp_path)
    DAMAGE[damage](weights, sidecar)
    with pytest.raises(CheckpointError) as caught:
        load()
    assert weights.name in str(caught.value) or sidecar.name in str(caught.value)


def test_a_sidecar_is_written_after_its_tensors(tmp_path, monkeypatch):
    order = []
    import gan.tensor_files as tensor_files

    monkeypatch.setattr(tensor_files, "atomic_write", lambda path, data: order.append(Path(path).suffix))
    save_tensors(tmp_path / "t.safetensors", {"a": torch.zeros(2)}, tmp_path / "t.json", {"k": 1})
    assert order == [".safetensors", ".json"]


def discriminator_files(folder: Path) -> tuple[Path, Path, callable]:
    from gan.checkpoint import discriminator_meta, load_discriminator, save_discriminator
    from gan.models import build_discriminator

    generator_weights, _, _ = generator_files(folder)
    args = {"num_classes": 0, "hidden": [16]}
    meta = discriminator_meta(generator_weights, arch="mlp", discriminator_args=args, dataset="x",
                              class_names=[], data_range=(-1, 1), steps=1, trained_against="generator")
    weights = save_discriminator(generator_weights, build_discriminator("mlp", **args), meta)
    return weights, weights.with_suffix(".json"), lambda: load_discriminator(generator_weights)


KINDS["discriminator"] = discriminator_files


def test_a_discriminator_for_other_generator_weights_is_not_paired(tmp_path):
    from gan.checkpoint import load_discriminator

    weights, _, load = discriminator_files(tmp_path)
    assert load() is not None
    generator = tmp_path / "g.safetensors"
    generator.write_bytes(generator.read_bytes())  # same bytes: still its critic
    assert load() is not None
    _, _, _ = generator_files(tmp_path)  # retrained: new weights (new random init)
    assert load_discriminator(generator) is None
