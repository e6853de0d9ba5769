"""What a --dataset name means, for every kind of name: a data set of the project ("mnist"), your
folder of pictures ("folder:PATH", made 28x28 grey as it is read) or a prepared set
("prepared:PATH", gan/data/prepared.py, in its own shape). Training, evaluation and the app ask
here rather than each telling the kinds apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from gan.data import folders, prepared
from gan.data.idx import DATASETS, DataError, load_dataset

GREY_28 = (1, 28, 28)


@dataclass
class TrainingSet:
    images: torch.Tensor  # uint8 [N, H, W] (the IDX sets and folders) or [N, C, H, W] (prepared sets)
    labels: torch.Tensor  # int64 [N]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    held_out: bool = True  # False: a "test" split of a set that has none (its training pictures)


def is_own(name: str) -> bool:
    """A visitor's or user's own pictures (not one of the project's data sets)."""
    return folders.is_folder_dataset(name) or prepared.is_prepared_dataset(name)


def location(name: str) -> Path:
    return folders.folder_of(name) if folders.is_folder_dataset(name) else prepared.prepared_folder(name)


def short_name(name: str) -> str:
    """A name for run folders and labels: the data set's name, or the folder's own."""
    return (location(name).name or location(name).resolve().name or "images") if is_own(name) else name


def absolute(name: str) -> str:
    """The name with an absolute path, so that a --resume elsewhere finds the same pictures."""
    if folders.is_folder_dataset(name):
        return folders.PREFIX + str(folders.folder_of(name).resolve())
    if prepared.is_prepared_dataset(name):
        return prepared.PREFIX + str(prepared.prepared_folder(name).resolve())
    return name


def class_names(name: str) -> list[str]:
    if folders.is_folder_dataset(name):
        return folders.class_names(name)
    if prepared.is_prepared_dataset(name):
        return prepared.prepared_class_names(name)
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}, "
                        "folder:PATH for your own pictures or prepared:PATH for a prepared set")
    return list(DATASETS[name].class_names)


def image_shape(name: str) -> tuple[int, int, int]:
    """(channels, height, width) of the set's pictures."""
    return prepared.prepared_shape(name) if prepared.is_prepared_dataset(name) else GREY_28


def has_test_split(name: str) -> bool:
    if prepared.is_prepared_dataset(name):
        return prepared.test_folder(name) is not None
    return not folders.is_folder_dataset(name)


def load(name: str, split: str = "train", data_dir: str | None = None, limit: int | None = None,
         allow_download: bool = True) -> TrainingSet:
    """A split's pictures and labels. A prepared set's test split is the set `<folder>-test` beside
    it; without one, and for a folder of pictures, "test" gives the training pictures (held_out False)."""
    if folders.is_folder_dataset(name):
        folder = folders.load_folder(name, limit)
        return TrainingSet(folder.images, folder.labels, folder.skipped, held_out=split == "train")
    if prepared.is_prepared_dataset(name):
        test = prepared.test_folder(name) if split == "test" else None
        data = prepared.read_prepared(test or prepared.prepared_folder(name), limit)
        return TrainingSet(data.images, data.labels, data.skipped, held_out=split == "train" or test is not None)
    images, labels = load_dataset(name, split, data_dir, allow_download, limit=limit)
    return TrainingSet(images, labels)
