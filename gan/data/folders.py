"""Your own images as a training set: `python -m gan.train --dataset folder:PATH`.

PATH holds image files (PNG, JPEG, WebP, ...), either directly (one unlabelled set) or in
sub-folders, one per class (the folder names become the class names, so --conditional works).
Each image is read defensively (gan/data/pictures.py: no decompression bombs, no half files), turned
grey and centre-cropped and resized to 28x28, like the data sets the models were built for.
Files that are not usable images are skipped and counted, never fatal; a folder with nothing
usable is a clear error.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gan.data.idx import MAX_CLASSES, DataError
from gan.data.pictures import BadPicture, open_picture
from gan.data.prepared import training_picture

PREFIX = "folder:"
MAX_IMAGES = 60_000


def is_folder_dataset(name: str) -> bool:
    return isinstance(name, str) and name.startswith(PREFIX)


def folder_of(name: str) -> Path:
    return Path(name[len(PREFIX):]).expanduser()


def short_name(name: str) -> str:
    """A name for run folders and labels: the folder's own name."""
    return folder_of(name).resolve().name or "images"


def class_folders(root: Path) -> list[Path]:
    """Sub-folders that hold files, sorted: the classes. None: the images sit in root itself."""
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")
                  and any(f.is_file() for f in d.iterdir()))


def class_names(name: str) -> list[str]:
    return [d.name for d in class_folders(folder_of(name))]


def to_28x28(image: Image.Image) -> np.ndarray:
    """[28, 28] uint8 grey: a training picture (gan/data/prepared.py) at the IDX sets' shape."""
    return training_picture(image, 28, 1)[0]


@dataclass
class FolderImages:
    images: torch.Tensor  # [N, 28, 28] uint8
    labels: torch.Tensor  # [N] int64 (all 0 without class folders)
    class_names: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)


def fair_order(per_class: list[list[Path]]) -> list[tuple[Path, int]]:
    """(file, label) taking one file of each class in turn, so that any first N holds every class
    about equally (cutting the files in folder order left the later classes with none)."""
    rounds = itertools.zip_longest(*[[(path, label) for path in paths] for label, paths in enumerate(per_class)])
    return [item for round_ in rounds for item in round_ if item is not None]


def load_folder(name: str, limit: int | None = None, max_images: int = MAX_IMAGES) -> FolderImages:
    root = folder_of(name)
    classes = class_folders(root)
    if len(classes) > MAX_CLASSES:
        raise DataError(f"{root}: {len(classes)} class folders; at most {MAX_CLASSES}")
    per_class = [sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
                 for folder in (classes or [root])]
    images, labels, skipped = [], [], []
    for path, label in fair_order(per_class):
        if len(images) >= min(limit or max_images, max_images):
            break
        try:
            images.append(to_28x28(open_picture(path, first_frame=True)))
            labels.append(label)
        except (BadPicture, OSError, ValueError) as e:
            skipped.append((str(path.relative_to(root)), str(e)))
    if not images:
        raise DataError(f"{root}: no usable images (PNG, JPEG, WebP...); {len(skipped)} file(s) skipped"
                        + (f", e.g. {skipped[0][0]}: {skipped[0][1]}" if skipped else ""))
    return FolderImages(torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.int64, device="cpu"),
                        [d.name for d in classes], skipped)
