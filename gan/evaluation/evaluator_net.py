"""The evaluation network: a small CNN classifier per data set, trained on the real training split.

Inception-v3 features (FID) need downloaded weights and were built for 299x299 colour photos;
for 28x28 grayscale digits and clothes a classifier trained on the domain itself is the standard
substitute. Its 128-d penultimate layer is the feature space for the Fréchet distance and
precision/recall, and its softmax gives Inception Score, class coverage and conditional accuracy.

    python -m gan.classifier --dataset mnist      # -> checkpoints/evaluators/mnist-classifier.*
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from gan.data import training_sets
from gan.data.idx import to_model_range
from gan.paths import evaluators_dir
from gan.tensor_files import CheckpointError, load_into, read_sidecar, read_tensors, save_tensors
from gan.devices import module_device

FEATURE_DIM = 128


class Classifier(nn.Module):
    """Two conv stages, each halving the size (a third at 64 px, so the dense layer sees 7x7 or 8x8)."""

    def __init__(self, num_classes: int = 10, image_shape=(1, 28, 28)):
        super().__init__()
        channels, size, _ = image_shape
        extra = [nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2)] if size >= 64 else []
        side = size // (8 if extra else 4)
        self.features = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2), *extra,
            nn.Flatten(), nn.Linear(64 * side * side, FEATURE_DIM), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, num_classes))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x in [-1, 1], [N, C, H, W] -> (features [N, 128], logits [N, classes])."""
        h = self.features(x)
        return h, self.head(h)


@torch.inference_mode()
def embed(model: Classifier, images: torch.Tensor, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and class probabilities of [N, C, H, W] images in [-1, 1]."""
    model.eval()
    device = module_device(model)
    feats, probs = [], []
    for start in range(0, len(images), batch):
        h, logits = model(images[start:start + batch].to(device))
        feats.append(h.cpu())
        probs.append(F.softmax(logits, dim=1).cpu())
    return torch.cat(feats).double(), torch.cat(probs).double()


def accuracy(model: Classifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    _, probs = embed(model, images)
    return (probs.argmax(1) == labels).double().mean().item()


MODES_FOR_UNLABELLED = 10


def evaluator_labels(dataset: str, data_dir: str | None = None, limit: int | None = None):
    """(train images, train labels, test images, test labels, class names, what the labels are).
    A set with classes is judged by them. A set without (your own pictures, emoji) is judged by its
    label-free modes: the k-means modes a --modes run trains on (gan/data/modes.py, same k and seed),
    with a tenth of the pictures held out when the set has no test split."""
    from gan.data.modes import cluster_images

    train, test = training_sets.load(dataset, "train", data_dir, limit), training_sets.load(dataset, "test", data_dir)
    names = training_sets.class_names(dataset)
    if len(names) >= 2:
        if not test.held_out:
            train, test = hold_out(train.images, train.labels)
        else:
            train, test = (train.images, train.labels), (test.images, test.labels)
        return (*train, *test, names, "classes")
    modes, _ = cluster_images(train.images, MODES_FOR_UNLABELLED, seed=0)
    train_xy, test_xy = hold_out(train.images, modes)
    return (*train_xy, *test_xy, [f"mode {i + 1}" for i in range(MODES_FOR_UNLABELLED)],
            f"k-means modes (k={MODES_FOR_UNLABELLED}, seed 0) of the pixels")


def hold_out(images, labels, share: float = 0.1):
    """A fixed tenth of the pictures as the test split, the rest for training."""
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    cut = max(1, int(len(images) * share))
    return (images[order[cut:]], labels[order[cut:]]), (images[order[:cut]], labels[order[:cut]])


def train_classifier(dataset: str, epochs: int, batch_size: int = 128, lr: float = 2e-3, seed: int = 0,
                     data_dir: str | None = None, limit: int | None = None, device="cpu") -> tuple[Classifier, dict]:
    """Train on `device` (the pictures stay in host memory, a batch at a time goes over); returns the
    classifier on the CPU, as the app and the scores use it."""
    torch.manual_seed(seed)
    x_train, y_train, x_test, y_test, names, labelled_by = evaluator_labels(dataset, data_dir, limit)
    x_train, x_test = to_model_range(x_train, (-1, 1)), to_model_range(x_test, (-1, 1))
    model = Classifier(len(names), tuple(x_train.shape[1:])).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = max(1, len(x_train) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=epochs * steps_per_epoch)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x_train), device="cpu")
        for i in range(steps_per_epoch):
            idx = perm[i * batch_size:(i + 1) * batch_size]
            x = x_train[idx].to(device)
            # Random shifts of up to 2 px: cheap augmentation that adds ~0.2-0.5% test accuracy.
            dx, dy = torch.randint(-2, 3, (2,), device="cpu").tolist()
            x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(x)[1], y_train[idx].to(device), label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(model, x_test, y_test)
        print(f"epoch {epoch + 1}/{epochs}: test accuracy {acc:.4f} ({time.perf_counter() - t0:.0f} s)",
              file=sys.stderr)
    meta = {"kind": "classifier", "dataset": training_sets.short_name(dataset), "class_names": names,
            "image_shape": list(x_train.shape[1:]), "labels": labelled_by,
            "test_accuracy": round(acc, 4), "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
            "train_seconds": round(time.perf_counter() - t0, 1), "feature_dim": FEATURE_DIM,
            "command": f"python -m gan.classifier --dataset {training_sets.short_name(dataset) if not training_sets.is_own(dataset) else dataset} --epochs {epochs}"}
    return model.cpu().eval(), meta


def evaluator_path(dataset: str, folder: Path | None = None) -> Path:
    """Where `dataset`'s evaluator lives: `folder`, by default evaluators/ in the checkpoint folder
    (gan/paths.py), named by the set's short name (a prepared set's folder name)."""
    return Path(folder or evaluators_dir()) / f"{training_sets.short_name(dataset)}-classifier.safetensors"


def save_classifier(model: Classifier, meta: dict, path: Path) -> None:
    save_tensors(path, model.state_dict(), path.with_suffix(".json"), meta)


def load_classifier(dataset: str, folder: Path | None = None) -> tuple[Classifier, dict]:
    path = evaluator_path(dataset, folder)
    if not path.exists() or not path.with_suffix(".json").exists():
        raise CheckpointError(f"no evaluator for {training_sets.short_name(dataset)!r} at {path}; train it with "
                              f"`python -m gan.classifier --dataset {dataset}`")
    meta = read_sidecar(path.with_suffix(".json"), ("class_names",))
    model = load_into(Classifier(len(meta["class_names"]), tuple(meta.get("image_shape", (1, 28, 28)))), read_tensors(path), path, path.with_suffix(".json").name)
    return model.eval(), meta
