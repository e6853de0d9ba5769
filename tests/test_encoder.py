"""The inversion encoders: trained against a frozen generator, tied to its exact weights, shipped
for every model, and a better start than random seeds."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from gan.checkpoint import CheckpointError, load_generator
from gan.encoder import main
from gan.fileio import file_sha256
from gan.inversion.encoder_net import EncoderConfig, load_encoder, paths_for, save_encoder, train_encoder
from gan.inversion.search import invert_many
from gan.sampling.latents import sample

SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints"
SHIPPED_MODELS = sorted(p.stem for p in SHIPPED.glob("*.safetensors") if "." not in p.stem)  # generators only


def test_an_encoder_is_trained_saved_and_only_used_with_its_own_generator(tmp_path, mnist_dir):
    for suffix in (".safetensors", ".json"):
        shutil.copy(SHIPPED / f"mnist-torch-mlp{suffix}", tmp_path / f"g{suffix}")
    generator, meta = load_generator(tmp_path / "g.safetensors")
    encoder, info = train_encoder(generator, meta, EncoderConfig(steps=20), log=lambda line: None)
    assert info["trained_on_real_images"] and info["generated_heldout"]["pixel_error"] > 0
    info["generator_sha256"] = file_sha256(tmp_path / "g.safetensors")
    weights = save_encoder(tmp_path / "g.safetensors", encoder, info)
    assert weights == paths_for(tmp_path / "g.safetensors")[0] and weights.name == "g.encoder.safetensors"
    loaded = load_encoder(tmp_path / "g.safetensors")
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    assert torch.allclose(loaded(x), encoder.eval()(x), atol=0.02)  # float16 on disk
    # Other weights under the same name: the encoder no longer belongs to them, so it is not used.
    shutil.copy(SHIPPED / "mnist-keras-mlp.safetensors", tmp_path / "g.safetensors")
    assert load_encoder(tmp_path / "g.safetensors") is None
    shutil.copy(SHIPPED / "mnist-torch-mlp.safetensors", tmp_path / "g.safetensors")
    weights.write_bytes(weights.read_bytes()[:100])  # a damaged encoder is an error, not a silent fallback
    with pytest.raises(CheckpointError, match="g.encoder.safetensors: not a valid safetensors file"):
        load_encoder(tmp_path / "g.safetensors")


def test_cli_writes_the_encoder_beside_the_checkpoint(tmp_path, mnist_dir, capsys):
    for suffix in (".safetensors", ".json"):
        shutil.copy(SHIPPED / f"mnist-torch-mlp{suffix}", tmp_path / f"m{suffix}")
    assert main(["--checkpoint", str(tmp_path / "m.safetensors"), "--steps", "5"]) == 0
    assert load_encoder(tmp_path / "m.safetensors") is not None and "wrote" in capsys.readouterr().out
    assert main(["--checkpoint", str(tmp_path / "missing.safetensors")]) == 2
    assert main(["--checkpoint", str(tmp_path / "m.safetensors"), "--steps", "0"]) == 2


@pytest.mark.parametrize("name", SHIPPED_MODELS)
def test_every_shipped_model_has_an_encoder_for_its_weights(name):
    assert load_encoder(SHIPPED / f"{name}.safetensors") is not None, f"run scripts/train_encoders.sh {name}"


def test_the_shipped_encoder_starts_closer_than_random_seeds():
    generator, _ = load_generator(SHIPPED / "mnist-dcgan-cond.safetensors")
    encoder = load_encoder(SHIPPED / "mnist-dcgan-cond.safetensors")
    targets = sample(generator, seeds=range(1000, 1030), labels=torch.arange(30) % 10)
    by_encoder = np.mean([f.distance for f in invert_many(generator, targets, 0, encoder=encoder)])
    by_seeds = np.mean([f.distance for f in invert_many(generator, targets, 0, candidates=128)])
    assert by_encoder < 0.04 and by_encoder < 0.7 * by_seeds
