"""Measure a generator against the real test split, in the evaluator classifier's terms.

    python -m gan.evaluate --checkpoint checkpoints/mnist-dcgan.safetensors [--write]
    python -m gan.evaluate --real --dataset mnist        # the floor: real train vs real test

Metrics (10,000 generated vs the 10,000 test images, fixed seeds, so reruns agree):
- fd:         Fréchet distance between Gaussian fits of the 128-d penultimate features ("FD-classifier")
- is:         Inception Score computed with the domain classifier's softmax (max = number of classes)
- coverage:   classes receiving >= 2% of generated samples (of 10); class_kl: KL(generated || real) of the
              predicted-class histograms (0 = same class balance; large = mode collapse)
- precision / recall: k-NN manifold estimates (Kynkäänniemi et al., 2019, k=3) in the same feature space
- class_accuracy (conditional models): fraction of samples classified as the class they were asked for
- with --per-class (conditional models): FD and accuracy for each requested class against that
  class's test images, beside the same two numbers for real training images (the per-class floor).
  Shows which classes hold a model back, and whether samples are more clear-cut than real images
  (accuracy above the real one: the class boundaries are sharpened, at the cost of FD)
- memorised: share of samples closer to their nearest training image (in the same features) than
  99% of real test images are (real images: ~1% by construction; far above: the model copies);
  nn_ratio: median nearest-training distance of the samples / of the test images (gan/evaluation/training_index.py)
- inception_fid (only with --inception, when pytorch-fid or torch-fidelity and their weights are
  available; see gan/evaluation/inception_fid.py): the ImageNet-Inception FID, for comparison with papers
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import torch

from gan.checkpoint import load_generator
from gan.data import training_sets
from gan.data.idx import DATASETS, DataError, to_model_range
from gan.evaluation.evaluator_net import evaluator_labels
from gan.evaluation.evaluator_net import embed, load_classifier
from gan.evaluation.inception_fid import Extractor, inception_features
from gan.evaluation.training_index import TrainingIndex
from gan.sampling.latents import latent_for_seeds, output_range, to_uint8, to_unit_range
from gan.devices import module_device

NUM_SAMPLES = 10_000
EVAL_SEED = 2**20  # seeds EVAL_SEED.. are used for evaluation, far from the seeds people browse
COVERAGE_SHARE = 0.02


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """|mu_a - mu_b|^2 + tr(Ca + Cb - 2 (Ca Cb)^1/2), with the trace of the square root taken
    from the eigenvalues of the symmetric Ca^1/2 Cb Ca^1/2 (same spectrum, numerically stable)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = torch.cov(a.T), torch.cov(b.T)
    w, v = torch.linalg.eigh(ca)
    sqrt_ca = (v * w.clamp(min=0).sqrt()) @ v.T
    cross = torch.linalg.eigvalsh(sqrt_ca @ cb @ sqrt_ca).clamp(min=0).sqrt().sum()
    return float((mu_a - mu_b).square().sum() + ca.trace() + cb.trace() - 2 * cross)


def inception_score(probs: torch.Tensor, splits: int = 10) -> float:
    scores = []
    for part in probs.chunk(splits):
        marginal = part.mean(0, keepdim=True)
        kl = (part * (part.clamp_min(1e-12).log() - marginal.clamp_min(1e-12).log())).sum(1).mean()
        scores.append(kl.exp())
    return float(torch.stack(scores).mean())


def class_histogram(probs: torch.Tensor, num_classes: int) -> torch.Tensor:
    return torch.bincount(probs.argmax(1), minlength=num_classes).double() / len(probs)


def kth_neighbour_radii(feats: torch.Tensor, k: int = 3, chunk: int = 2000) -> torch.Tensor:
    radii = []
    for start in range(0, len(feats), chunk):
        d = torch.cdist(feats[start:start + chunk], feats)
        radii.append(d.kthvalue(k + 1, dim=1).values)  # +1: a point is its own nearest neighbour
    return torch.cat(radii)


def manifold_coverage(queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor, chunk: int = 2000) -> float:
    """Fraction of queries inside at least one point's k-NN ball."""
    inside = []
    for start in range(0, len(queries), chunk):
        d = torch.cdist(queries[start:start + chunk], points)
        inside.append((d <= radii[None, :]).any(1))
    return float(torch.cat(inside).double().mean())


def compare(fake_feats, fake_probs, real_feats, real_probs, k: int = 3) -> dict:
    num_classes = real_probs.shape[1]
    hist_fake, hist_real = class_histogram(fake_probs, num_classes), class_histogram(real_probs, num_classes)
    kl = (hist_fake * (hist_fake.clamp_min(1e-12).log() - hist_real.clamp_min(1e-12).log())).sum()
    real_f, fake_f = real_feats.float(), fake_feats.float()
    return {
        "fd": round(frechet_distance(fake_feats, real_feats), 4),
        "is": round(inception_score(fake_probs), 4),
        "coverage": int((hist_fake >= COVERAGE_SHARE).sum()),
        "class_kl": round(float(kl), 5),
        "precision": round(manifold_coverage(fake_f, real_f, kth_neighbour_radii(real_f, k)), 4),
        "recall": round(manifold_coverage(real_f, fake_f, kth_neighbour_radii(fake_f, k)), 4),
    }


@functools.lru_cache(maxsize=4)  # evaluating several checkpoints embeds the test split once per data set
def real_reference(dataset: str, data_dir=None, evaluator_dir=None):
    """(classifier, features, probabilities, labels) of the test split."""
    classifier, _ = load_classifier(dataset, Path(evaluator_dir)) if evaluator_dir else load_classifier(dataset)
    _, _, x_test, y_test, _, _ = evaluator_labels(dataset, data_dir)
    feats, probs = embed(classifier, to_model_range(x_test, (-1.0, 1.0)))
    return classifier, feats, probs, y_test


@functools.lru_cache(maxsize=4)
def real_train_sample(dataset: str, n: int, data_dir=None, evaluator_dir=None):
    """(features, probabilities, labels) of n training images (a fixed random subset): the floor."""
    classifier = real_reference(dataset, data_dir, evaluator_dir)[0]
    x_train, y_train, _, _, _, _ = evaluator_labels(dataset, data_dir)
    idx = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(0))[:n]
    feats, probs = embed(classifier, to_model_range(x_train[idx], (-1.0, 1.0)))
    return feats, probs, y_train[idx]


@functools.lru_cache(maxsize=2)
def real_inception_features(dataset: str, extract: Extractor, data_dir=None) -> torch.Tensor:
    x_test = training_sets.load(dataset, "test", data_dir).images
    return inception_features(extract, to_model_range(x_test, (-1.0, 1.0)))


@torch.inference_mode()
def generated_images(generator, n: int, num_classes: int, batch: int = 1000):
    """n samples with fixed seeds; conditional models get balanced labels i % classes."""
    lo, hi = output_range(generator)
    labels = torch.arange(n, device="cpu") % num_classes if num_classes else None
    out, device = [], module_device(generator)  # the seeds' latents are drawn on the CPU, as everywhere
    for start in range(0, n, batch):
        z = latent_for_seeds(range(EVAL_SEED + start, EVAL_SEED + min(n, start + batch)), generator.latent_dim)
        y = None if labels is None else labels[start:start + batch]
        out.append(to_unit_range(generator(z.to(device), None if y is None else y.to(device)), (lo, hi)).cpu())
    return torch.cat(out), labels


def evaluate_generator(path, n: int = NUM_SAMPLES, data_dir=None, evaluator_dir=None,
                       inception: Extractor | None = None, per_class: bool = False, device="cpu") -> dict:
    """The metrics of one checkpoint; with per_class, conditional models also get "per_class"
    rows (see class_report), from the same samples."""
    t0 = time.perf_counter()
    generator, meta = load_generator(path, device)
    classifier, real_feats, real_probs, _ = real_reference(meta["dataset"], data_dir, evaluator_dir)
    images, labels = generated_images(generator, n, meta["num_classes"])
    feats, probs = embed(classifier, images)
    metrics = compare(feats, probs, real_feats, real_probs)
    if labels is not None:
        metrics["class_accuracy"] = round(float((probs.argmax(1) == labels).double().mean()), 4)
        if per_class:
            metrics["per_class"] = class_report(meta, feats, probs, labels, n, data_dir, evaluator_dir)
    try:
        if not training_sets.has_test_split(meta["dataset"]):  # no unseen pictures to measure copying against
            raise DataError("no test split")
        index = TrainingIndex.load_or_build(meta["dataset"], data_dir, evaluator_dir)
        metrics.update(index.memorisation(torch.from_numpy(to_uint8(images))))
    except DataError:  # the index needs the training images; the other metrics only the test split
        pass
    if inception is not None:
        real = real_inception_features(meta["dataset"], inception, data_dir)
        metrics["inception_fid"] = round(frechet_distance(inception_features(inception, images), real), 3)
    metrics["features"] = features_used(meta["dataset"], evaluator_dir)
    if meta["dataset"] not in DATASETS:  # no stored floor for this set: measure what real pictures score
        metrics["real_floor"] = {k: v for k, v in evaluate_real(meta["dataset"], n, data_dir, evaluator_dir).items()
                                 if k != "samples"}
    metrics["samples"] = n
    metrics["eval_seconds"] = round(time.perf_counter() - t0, 1)
    return metrics


def features_used(dataset: str, evaluator_dir=None) -> str:
    """What the scores were measured in, as the model card says it."""
    import json

    from gan.evaluation.evaluator_net import evaluator_path

    path = evaluator_path(dataset, Path(evaluator_dir) if evaluator_dir else None).with_suffix(".json")
    labels = json.loads(path.read_text()).get("labels", "classes")
    name = training_sets.short_name(dataset)
    return (f"128-d features of the {name} evaluator CNN, trained on its classes" if labels == "classes"
            else f"128-d features of the {name} evaluator CNN, trained on its {labels} (the set has no classes)")


def evaluate_real(dataset: str, n: int = NUM_SAMPLES, data_dir=None, evaluator_dir=None) -> dict:
    """The floor any generator is compared against: real training images vs the test split."""
    _, real_feats, real_probs, _ = real_reference(dataset, data_dir, evaluator_dir)
    feats, probs, _ = real_train_sample(dataset, n, data_dir, evaluator_dir)
    return {**compare(feats, probs, real_feats, real_probs), "samples": n}


def class_report(meta: dict, feats, probs, labels, n: int, data_dir=None, evaluator_dir=None) -> list[dict]:
    """Per requested class of a conditional model: FD to that class's test images and the share
    classified as that class, next to the same for real training images. Per-class FDs rest on
    ~n/10 samples in 128 dimensions, so they sit above the whole-set FD even for real data:
    compare a class with its own floor, not with the overall one. The real accuracy is on training
    images, which the evaluator learned from, so it runs a little above its test accuracy."""
    _, test_feats, _, test_labels = real_reference(meta["dataset"], data_dir, evaluator_dir)
    train_feats, train_probs, train_labels = real_train_sample(meta["dataset"], n, data_dir, evaluator_dir)
    rows = []
    for c, name in enumerate(meta["class_names"]):
        fake, train, test = labels == c, train_labels == c, test_labels == c
        rows.append({
            "class": name,
            "fd": round(frechet_distance(feats[fake], test_feats[test]), 3),
            "accuracy": round(float((probs[fake].argmax(1) == c).double().mean()), 4),
            "real_fd": round(frechet_distance(train_feats[train], test_feats[test]), 3),
            "real_accuracy": round(float((train_probs[train].argmax(1) == c).double().mean()), 4),
        })
    return rows


def evaluate_by_class(path, n: int = NUM_SAMPLES, data_dir=None, evaluator_dir=None) -> list[dict]:
    """class_report for one conditional checkpoint."""
    if not load_generator(path)[1]["num_classes"]:
        raise ValueError(f"{path}: --per-class needs a class-conditional model")
    return evaluate_generator(path, n, data_dir, evaluator_dir, per_class=True)["per_class"]
