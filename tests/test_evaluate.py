"""Metrics checked against closed forms, then run end to end on a real (small) evaluator."""

import json

import pytest
import torch

from gan.evaluate import main
from gan.evaluation.evaluator_net import evaluator_path, save_classifier, train_classifier
from gan.evaluation.scores import (
    evaluate_by_class,
    evaluate_generator,
    evaluate_real,
    frechet_distance,
    inception_score,
    kth_neighbour_radii,
    manifold_coverage,
)


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


@pytest.mark.slow
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


@pytest.mark.slow
def test_per_class_report_agrees_with_the_overall_accuracy_and_sits_above_its_floor(
        trained_checkpoint, conditional_checkpoint, evaluator_dir, capsys):
    rows = evaluate_by_class(conditional_checkpoint, n=500, evaluator_dir=evaluator_dir)
    assert [r["class"] for r in rows] == [str(i) for i in range(10)]
    overall = evaluate_generator(conditional_checkpoint, n=500, evaluator_dir=evaluator_dir)["class_accuracy"]
    # balanced labels (50 per class): the mean of the per-class shares is the overall share
    assert sum(r["accuracy"] for r in rows) / 10 == pytest.approx(overall, abs=1e-3)
    assert all(r["real_fd"] < r["fd"] for r in rows)  # 20 training steps are far from every class
    assert sum(r["real_accuracy"] for r in rows) / 10 > 0.7  # the evaluator reads real digits
    with pytest.raises(ValueError, match="needs a class-conditional model"):
        evaluate_by_class(trained_checkpoint, n=500, evaluator_dir=evaluator_dir)

    args = ["--n", "300", "--evaluators", str(evaluator_dir), "--per-class"]
    assert main(["--checkpoint", str(trained_checkpoint), str(conditional_checkpoint), *args]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert ["per_class" in line for line in lines] == [False, False, True]  # none for the unconditional model


@pytest.mark.slow
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


@pytest.mark.slow
def test_inception_fid_is_skipped_with_the_reason_when_no_backend_loads(monkeypatch, trained_checkpoint,
                                                                          evaluator_dir, capsys):
    from gan.evaluation import inception_fid

    def missing():
        raise ImportError("no module")

    def no_weights():
        raise OSError("download refused")

    monkeypatch.setattr(inception_fid, "BACKENDS", {"pytorch-fid": missing, "torch-fidelity": no_weights})
    with pytest.raises(inception_fid.InceptionUnavailable, match="pytorch-fid is not installed.*download refused"):
        inception_fid.load_extractor()
    args = ["--checkpoint", str(trained_checkpoint), "--n", "200", "--evaluators", str(evaluator_dir), "--inception"]
    assert main(args) == 0  # the other metrics are still reported
    out, err = capsys.readouterr()
    assert "Inception FID skipped" in err and "inception_fid" not in out


@pytest.mark.slow
def test_inception_fid_uses_the_backend_features(monkeypatch, trained_checkpoint, evaluator_dir):
    """With a stand-in feature extractor (the real ones need downloaded weights), the FD is computed
    between generated and real features: pooled pixels differ, so it is positive and repeatable."""
    from gan.evaluation import inception_fid

    def pooled_pixels(x):
        return torch.nn.functional.avg_pool2d(x, 7).flatten(1)  # 16 features in [0, 1]

    monkeypatch.setattr(inception_fid, "BACKENDS", {"stand-in": lambda: pooled_pixels})
    _, extract = inception_fid.load_extractor()
    first = evaluate_generator(trained_checkpoint, n=300, evaluator_dir=evaluator_dir, inception=extract)
    second = evaluate_generator(trained_checkpoint, n=300, evaluator_dir=evaluator_dir, inception=extract)
    assert first["inception_fid"] > 0 and first["inception_fid"] == second["inception_fid"]
    assert "inception_fid" not in evaluate_generator(trained_checkpoint, n=300, evaluator_dir=evaluator_dir)
