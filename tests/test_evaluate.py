"""Metrics checked against closed forms, then run end to end on a real (small) evaluator."""

import json

import pytest
import torch

from gan.classifier import evaluator_path, save_classifier, train_classifier
from gan.evaluate import (evaluate_generator, evaluate_real, frechet_distance, inception_score,
                          kth_neighbour_radii, main, manifold_coverage)


def test_frechet_distance_closed_forms():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20000, 4, generator=g, dtype=torch.float64)
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    shifted = a + torch.tensor([3.0, 0, 0, 4.0], dtype=torch.float64)
    assert frechet_distance(a, shifted) == pytest.approx(25, rel=1e-6)  # |mean shift|^2, same covariance
    scaled = a * 2  # diagonal covariances: sum (sigma_a - sigma_b)^2 = 4 * (1 - 2)^2
    assert frechet_distance(a, scaled) == pytest.approx(4, rel=0.05)


def test_inception_score_extremes():
    confident_uniform = torch.eye(10).repeat(100, 1).double()
    assert inception_score(confident_uniform) == pytest.approx(10, rel=1e-6)
    collapsed = torch.zeros(1000, 10, dtype=torch.float64)
    collapsed[:, 3] = 1
    assert inception_score(collapsed) == pytest.approx(1, rel=1e-6)


def test_precision_recall_extremes():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(500, 8, generator=g)
    assert manifold_coverage(real + 1e-4, real, kth_neighbour_radii(real)) == 1.0
    far = real + 100
    assert manifold_coverage(far, real, kth_neighbour_radii(real)) == 0.0
    half = torch.cat([real[:250] + 1e-4, far[:250]])
    assert manifold_coverage(half, real, kth_neighbour_radii(real)) == pytest.approx(0.5, abs=0.01)


@pytest.fixture(scope="module")
def evaluator_dir(tmp_path_factory, mnist_dir):
    folder = tmp_path_factory.mktemp("evaluators")
    model, meta = train_classifier("mnist", epochs=1, limit=3000)
    save_classifier(model, meta, evaluator_path("mnist", folder))
    assert meta["test_accuracy"] > 0.7  # even 3,000 images and one epoch learn digits
    return folder


def test_evaluate_generator_is_deterministic_and_sane(trained_checkpoint, conditional_checkpoint, evaluator_dir):
    first = evaluate_generator(trained_checkpoint, n=500, evaluator_dir=evaluator_dir)
    second = evaluate_generator(trained_checkpoint, n=500, evaluator_dir=evaluator_dir)
    for key in ("fd", "is", "coverage", "class_kl", "precision", "recall"):
        assert first[key] == second[key]
    assert first["fd"] > 0 and 1 <= first["is"] <= 10 and 0 <= first["precision"] <= 1
    real = evaluate_real("mnist", n=500, evaluator_dir=evaluator_dir)
    assert real["fd"] < first["fd"]  # 30 training steps are far from real data
    assert real["coverage"] == 10 and real["class_kl"] < 0.05 and real["precision"] > 0.5
    cond = evaluate_generator(conditional_checkpoint, n=500, evaluator_dir=evaluator_dir)
    assert 0 <= cond["class_accuracy"] <= 1


def test_evaluate_cli_writes_metrics(trained_checkpoint, tmp_path, evaluator_dir, capsys):
    import shutil

    for suffix in (".safetensors", ".json"):
        shutil.copy(trained_checkpoint.with_suffix(suffix), tmp_path / f"m{suffix}")
    args = ["--n", "300", "--evaluators", str(evaluator_dir)]
    assert main(["--checkpoint", str(tmp_path / "m.safetensors"), "--write", *args]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    stored = json.loads((tmp_path / "m.json").read_text())["metrics"]
    assert stored["fd"] == printed["fd"] and stored["samples"] == 300
    assert main(["--checkpoint", str(tmp_path / "missing.safetensors"), *args]) == 2
    assert main(["--checkpoint", str(tmp_path / "m.safetensors"), "--evaluators", str(tmp_path)]) == 2
