"""ONNX export (gan/sampling/onnx_graphs.py, gan/export.py): onnxruntime draws what PyTorch draws,
for every shipped generator and encoder, on 64 latents."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from gan.checkpoint import image_shape, load_generator
from gan.export import generator_checkpoints
from gan.export import main as export_main
from gan.inversion.encoder_net import load_encoder
from gan.sampling.directions import principal_directions
from gan.judging.verdict import Critic
from gan.sampling.onnx_graphs import critic_onnx, encoder_onnx, explorer_meta, generator_onnx

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = generator_checkpoints(ROOT / "checkpoints")
TOLERANCE = 1e-4


def session(onnx_bytes: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])


def test_every_shipped_model_is_found():
    assert len(SHIPPED) >= 8
    assert not any("encoder" in p.name for p in SHIPPED)


@pytest.mark.parametrize("checkpoint", SHIPPED, ids=lambda p: p.stem)
def test_generator_graph_matches_pytorch(checkpoint):
    generator, meta = load_generator(checkpoint)
    z = torch.randn(64, generator.latent_dim, generator=torch.Generator().manual_seed(1))
    feed = {"z": z.numpy()}
    labels = None
    if generator.num_classes:
        k = generator.num_classes
        labels = torch.eye(k)[torch.arange(64) % k]
        labels[-1] = torch.full((k,), 1 / k)  # a soft row, as the class morph sends
        feed["labels"] = labels.numpy()
    with torch.inference_mode():
        expected = generator(z, labels).numpy()
    got = session(generator_onnx(generator)).run(None, feed)[0]
    assert got.shape == expected.shape == (64, *image_shape(load_generator(checkpoint)[1]))
    assert np.abs(got - expected).max() <= TOLERANCE


@pytest.mark.parametrize("checkpoint", [p for p in SHIPPED if load_encoder(p) is not None], ids=lambda p: p.stem)
def test_encoder_graph_matches_pytorch(checkpoint):
    generator, _ = load_generator(checkpoint)
    encoder = load_encoder(checkpoint)
    with torch.inference_mode():
        pictures = generator(torch.randn(64, generator.latent_dim, generator=torch.Generator().manual_seed(2)),
                             torch.arange(64) % generator.num_classes if generator.num_classes else None)
        labels = torch.arange(64) % encoder.num_classes if encoder.num_classes else None
        expected = encoder(pictures, labels).numpy()
    feed = {"pictures": pictures.numpy()}
    if labels is not None:
        feed["labels"] = torch.eye(encoder.num_classes)[labels].numpy()
    got = session(encoder_onnx(encoder)).run(None, feed)[0]
    assert np.abs(got - expected).max() <= TOLERANCE


@pytest.mark.parametrize("checkpoint", SHIPPED, ids=lambda p: p.stem)
def test_critic_graph_matches_pytorch(checkpoint):
    """The page judges a drawing with this graph (studio/ui/static/drawing_guess.js): every shipped
    model has a critic, and onnxruntime scores what PyTorch scores, class weights included."""
    critic = Critic.load(checkpoint)
    assert critic is not None
    pictures = torch.rand(64, *critic.net.image_shape, generator=torch.Generator().manual_seed(4)) * 2 - 1
    labels = torch.arange(64) % critic.num_classes if critic.num_classes else None
    expected = critic.scores(pictures, labels).numpy()
    feed = {"pictures": pictures.numpy()}
    if labels is not None:
        feed["labels"] = torch.eye(critic.num_classes)[labels].numpy()
    got = session(critic_onnx(critic.net)).run(None, feed)[0]
    assert got.shape == (64,) and np.abs(got - expected).max() <= TOLERANCE


def test_a_self_conditioned_graph_keeps_each_latents_mode_and_the_ratios_pick_modes():
    checkpoint = next(p for p in SHIPPED if "modes" in p.stem)
    generator, meta = load_generator(checkpoint)
    info = explorer_meta("m", "m", meta, generator, torch.zeros(8, generator.latent_dim), False)
    assert len(info["modes"]) == generator.num_modes >= 2
    z = torch.randn(10, generator.latent_dim, generator=torch.Generator().manual_seed(3))
    for i, mode in enumerate(info["modes"]):  # the page's in_mode: z0 = r |z[1:]| / sqrt(1 - r^2)
        rest = z[:, 1:].norm(dim=1)
        moved = z.clone()
        moved[:, 0] = mode["ratio"] * rest / (1 - mode["ratio"] ** 2) ** 0.5
        assert (generator.modes(moved) == i).all()
    with torch.inference_mode():
        moved_images = generator(moved).numpy()
    got = session(generator_onnx(generator)).run(None, {"z": moved.numpy()})[0]
    assert np.abs(got - moved_images).max() <= TOLERANCE


def test_explorer_meta_holds_what_the_page_needs():
    generator, meta = load_generator(ROOT / "checkpoints" / "mnist-dcgan-cond.safetensors")
    directions = principal_directions(generator, k=8)
    info = explorer_meta("mnist-dcgan-cond", "MNIST", meta, generator, directions, True)
    assert info["latent_dim"] == generator.latent_dim
    assert info["classes"] == meta["class_names"] and info["modes"] == []
    assert info["output_range"] == [-1.0, 1.0]
    assert np.allclose(np.array(info["directions"]), directions.numpy(), atol=1e-6)
    json.dumps(info)


def test_the_export_command_writes_graphs_and_meta(tmp_path, capsys):
    checkpoint = ROOT / "checkpoints" / "mnist-dcgan.safetensors"
    assert export_main(["--checkpoint", str(checkpoint), "--out-dir", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["mnist-dcgan.encoder.onnx", "mnist-dcgan.explorer.json", "mnist-dcgan.onnx"]
    meta = json.loads((tmp_path / "mnist-dcgan.explorer.json").read_text())
    z = np.zeros((1, meta["latent_dim"]), np.float32)
    assert session((tmp_path / "mnist-dcgan.onnx").read_bytes()).run(None, {"z": z})[0].shape == (1, 1, 28, 28)
    assert export_main(["--checkpoint", str(tmp_path / "missing.safetensors")]) == 1
