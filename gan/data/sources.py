"""Every source `python -m gan.prepare` reads, each feeding one Collector (gan/data/prepared.py):

- a folder of pictures, or a .zip of one: sub-folders are classes (optional);
- the IDX files of MNIST / Fashion-MNIST (a data set name, or a folder holding the four .gz files);
- CIFAR-10's binary release (`cifar-10-batches-bin`: records of 1 label byte + 3,072 bytes, the
  R, G and B planes of a 32x32 picture). Never the pickled Python release: unpickling runs code.

A file that is not a usable picture is skipped with its reason, never fatal.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from gan.data import idx
from gan.data.folders import class_folders, fair_order
from gan.data.pictures import BadPicture, open_picture
from gan.data.prepared import Collector

CIFAR_RECORD = 1 + 3 * 32 * 32
CIFAR_FILES = {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]}
MAX_ENTRY_BYTES = 64 << 20  # one picture in a zip, inflated


def add_picture(collector: Collector, source, label: int, name: str) -> None:
    """Open one picture (first frame of an animation, EXIF upright) and add it, or skip it with why."""
    try:
        collector.add(open_picture(source, first_frame=True), label, name)
    except (BadPicture, OSError, ValueError) as e:
        collector.skip(name, str(e))


def folder_classes(root: Path) -> list[str]:
    return [d.name for d in class_folders(root)]


def read_folder(root: Path, collector: Collector) -> None:
    classes = class_folders(root)
    per_class = [sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
                 for folder in (classes or [root])]
    for path, label in fair_order(per_class):
        if collector.full:
            break
        add_picture(collector, path, label, str(path.relative_to(root)))


def zip_layout(archive: zipfile.ZipFile) -> tuple[list[tuple[zipfile.ZipInfo, tuple[str, ...]]], list[str]]:
    """(entry, path parts below the root) for each file, and the class names (first-level folders).
    A single top-level folder is taken as the root."""
    files = [(info, PurePosixPath(info.filename).parts) for info in archive.infolist() if not info.is_dir()]
    files = [(info, parts) for info, parts in files if parts and not any(p.startswith(".") or p == "__MACOSX"
                                                                          for p in parts)]
    tops = {parts[0] for _, parts in files if len(parts) > 1}
    if len(tops) == 1 and all(len(parts) > 1 for _, parts in files):
        files = [(info, parts[1:]) for info, parts in files]
    return files, sorted({parts[0] for _, parts in files if len(parts) > 1})


def zip_classes(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return zip_layout(archive)[1]


def read_zip(path: Path, collector: Collector) -> None:
    with zipfile.ZipFile(path) as archive:
        files, classes = zip_layout(archive)
        label_of = {name: i for i, name in enumerate(classes)}
        for info, parts in files:
            if collector.full:
                break
            name = "/".join(parts)
            if info.file_size > MAX_ENTRY_BYTES:
                collector.skip(name, f"larger than {MAX_ENTRY_BYTES >> 20} MB")
                continue
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as e:
                collector.skip(name, f"unreadable in the zip ({e})")
                continue
            add_picture(collector, io.BytesIO(data), label_of[parts[0]] if len(parts) > 1 else 0, name)


def is_cifar(root: Path) -> bool:
    return root.is_dir() and (root / "batches.meta.txt").is_file() and (root / "test_batch.bin").is_file()


def cifar_classes(root: Path) -> list[str]:
    return [line.strip() for line in (root / "batches.meta.txt").read_text().splitlines() if line.strip()]


def read_cifar(root: Path, split: str, collector: Collector) -> None:
    for file in CIFAR_FILES[split]:
        raw = np.fromfile(root / file, dtype=np.uint8)
        if raw.size % CIFAR_RECORD:
            raise idx.DataError(f"{root / file}: {raw.size} bytes is not a whole number of CIFAR-10 records")
        records = raw.reshape(-1, CIFAR_RECORD)
        for i, record in enumerate(records):
            if collector.full:
                return
            picture = record[1:].reshape(3, 32, 32)
            add_array(collector, picture, int(record[0]), f"{file}#{i}")


def read_idx(name_or_folder: str, split: str, collector: Collector) -> None:
    folder = Path(name_or_folder)
    if folder.is_dir():
        images, labels = idx.read_split(folder, split)
    else:
        images, labels = (t.numpy() for t in idx.load_dataset(name_or_folder, split))
    for i, (picture, label) in enumerate(zip(images, labels)):
        if collector.full:
            return
        add_array(collector, picture[None], int(label), f"{split}#{i}")


def add_array(collector: Collector, picture: np.ndarray, label: int, name: str) -> None:
    """A uint8 [C, H, W] picture: added as it is when it already has the collector's shape."""
    c, h, w = picture.shape
    if (h, w) == (collector.size, collector.size) and c == collector.channels:
        collector.add_pixels(np.ascontiguousarray(picture), label, name)
    else:
        mode = "L" if c == 1 else "RGB"
        collector.add(Image.fromarray(picture[0] if c == 1 else picture.transpose(1, 2, 0), mode), label, name)
