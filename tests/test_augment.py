"""DiffAugment (gan/training/augment.py): shapes kept, gradients pass, each part does what it says,
and a training step runs with it."""

from __future__ import annotations

import json

import pytest
import torch

from gan.training.augment import brightness_contrast, cutout, diff_augment, translation


def test_shapes_and_gradients_pass_through():
    x = torch.randn(8, 1, 28, 28, requires_grad=True)
    y = diff_augment(x)
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_moves_content_by_at_most_an_eighth_and_fills_zeros():
    torch.manual_seed(0)
    x = torch.zeros(64, 1, 28, 28)
    x[:, :, 14, 14] = 1.0
    moved = translation(x)
    rows, cols = torch.nonzero(moved[:, 0] == 1.0)[:, 1], torch.nonzero(moved[:, 0] == 1.0)[:, 2]
    assert len(rows) == 64  # the dot survives every shift of at most 4 pixels
    assert (rows - 14).abs().max() <= 4 and (cols - 14).abs().max() <= 4
    assert (rows != 14).any() and (cols != 14).any()
    ones = translation(torch.ones(64, 1, 28, 28))
    assert (ones == 0).any() and set(ones.unique().tolist()) <= {0.0, 1.0}


def test_cutout_blanks_at_most_a_quarter_as_one_square():
    torch.manual_seed(1)
    out = cutout(torch.ones(64, 1, 28, 28))
    blank = (out == 0).flatten(1).sum(1)
    assert (blank <= 14 * 14).all() and (blank > 0).all()
    assert (blank == 14 * 14).float().mean() > 0.2  # fully inside often, clipped at the border otherwise


def test_brightness_and_contrast_change_each_image_differently():
    torch.manual_seed(2)
    x = torch.rand(1, 1, 28, 28).expand(16, 1, 28, 28)
    out = brightness_contrast(x)
    assert out.flatten(1).mean(1).std() > 0.05


def test_a_training_run_with_diffaugment(tmp_path, mnist_dir):
    from conftest import run_training

    checkpoint = run_training(tmp_path / "run", steps=6, diffaugment="translation,cutout", limit=256, loss="rpgan",
                              r1=0.5, r2=0.5)
    meta = json.loads(checkpoint.with_suffix(".json").read_text())
    assert meta["config"]["diffaugment"] == "translation,cutout"  # the recipe is in the checkpoint's sidecar


def test_a_policy_names_known_parts_only():
    from gan.training.config import TrainConfig, resolve

    with pytest.raises(ValueError, match="diffaugment"):
        resolve(TrainConfig(dataset="mnist", diffaugment="translation,rotate"))
    with pytest.raises(ValueError, match="policy"):
        diff_augment(torch.zeros(1, 1, 28, 28), "blur")
    torch.manual_seed(3)
    shifted_only = diff_augment(torch.ones(8, 1, 28, 28), "translation")
    assert set(shifted_only.unique().tolist()) <= {0.0, 1.0}  # no colour change without "color"
