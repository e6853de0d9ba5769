"""One prepared-data format that every source of pictures becomes (as stylegan3's dataset_tool.py).

A prepared set is a folder:
- `images.npy`   uint8 N x C x H x W (C = 1 grey or 3 RGB; H = W = the size);
- `labels.npy`   int64 N (all 0 without classes);
- `dataset.json` the shape, class names, source, and every skipped file with its reason;
- `preview.png`  a grid of the first pictures, to check at a glance what training will see.

Training (`--dataset prepared:PATH`), evaluation, neighbours and the Train tab read it. `python -m
gan.prepare` writes it from a folder or zip of pictures, the IDX files or CIFAR-10's binary release;
`Collector` is the one place a picture becomes a training picture: upright (EXIF), transparency
composited on a background, centre-cropped and resized with LANCZOS, exact duplicates dropped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from gan.data.idx import MAX_CLASSES, DataError
from gan.fileio import atomic_write

PREFIX = "prepared:"
FORMAT = "gan-prepared-1"
SIZES = (28, 32, 64)
MAX_IMAGES = 60_000


def is_prepared_dataset(name: str) -> bool:
    return isinstance(name, str) and name.startswith(PREFIX)


def prepared_folder(name: str) -> Path:
    """Where a prepared set is: its path when that exists, else a folder of the same name under a
    data root (GAN_DATA_DIR, the project's data/), so a checkpoint trained on another machine finds
    the set made again here (scripts/make_colour_sets.py)."""
    path = Path(name[len(PREFIX):] if is_prepared_dataset(name) else name).expanduser()
    if (path / "dataset.json").is_file():
        return path
    for root in data_roots():
        if (root / path.name / "dataset.json").is_file():
            return root / path.name
    return path


def data_roots() -> list[Path]:
    import os

    from gan.paths import downloads_dir

    return [Path(p) for p in (os.environ.get("GAN_DATA_DIR"),) if p] + [downloads_dir()]


def test_folder(name: str) -> Path | None:
    """A prepared set's held-out pictures: the prepared set `<folder>-test` beside it, if made."""
    folder = prepared_folder(name)
    test = folder.with_name(folder.name + "-test")
    return test if (test / "dataset.json").is_file() else None


@dataclass
class PreparedSet:
    images: torch.Tensor  # uint8 [N, C, H, W]
    labels: torch.Tensor  # int64 [N]
    class_names: list[str]
    source: str = ""
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])


def training_picture(image: Image.Image, size: int, channels: int, background=(255, 255, 255)) -> np.ndarray:
    """uint8 [C, size, size]: transparency composited on `background`, the centre square cut out and
    resized with LANCZOS (a picture already upright: gan/data/pictures.py open_picture turns it)."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (*background, 255)), rgba)
    image = ImageOps.fit(image.convert("RGB" if channels == 3 else "L"), (size, size), Image.LANCZOS)
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1).copy()


class Collector:
    """Training pictures in, a PreparedSet out: each is shaped once, exact duplicates (the same
    pixels after shaping) are dropped, and every refusal is kept with its reason. Memory is the
    prepared pixels alone (12 kB a picture at 64x64 RGB): sources hand over one picture at a time."""

    def __init__(self, size: int, channels: int, class_names: list[str], background=(255, 255, 255),
                 max_images: int = MAX_IMAGES, source: str = ""):
        if size not in SIZES or channels not in (1, 3):
            raise ValueError(f"a prepared set is {', '.join(map(str, SIZES))} px, grey (1) or colour (3)")
        if len(class_names) > MAX_CLASSES:
            raise DataError(f"{len(class_names)} classes; at most {MAX_CLASSES}")
        self.size, self.channels, self.background = size, channels, tuple(background)
        self.class_names, self.max_images, self.source = list(class_names), max_images, source
        self.pictures: list[np.ndarray] = []
        self.labels: list[int] = []
        self.skipped: list[tuple[str, str]] = []
        self._seen: dict[bytes, str] = {}

    @property
    def full(self) -> bool:
        return len(self.pictures) >= self.max_images

    def add(self, image: Image.Image, label: int, name: str) -> bool:
        return self.add_pixels(training_picture(image, self.size, self.channels, self.background), label, name)

    def add_pixels(self, pixels: np.ndarray, label: int, name: str) -> bool:
        """Add one shaped uint8 [C, H, W] picture; False when it was a duplicate or the set is full."""
        if self.full:
            self.skip(name, f"past the {self.max_images:,}-picture limit")
            return False
        digest = hashlib.blake2b(pixels.tobytes(), digest_size=16).digest()
        if digest in self._seen:
            self.skip(name, f"an exact duplicate of {self._seen[digest]}")
            return False
        self._seen[digest] = name
        self.pictures.append(pixels)
        self.labels.append(label)
        return True

    def skip(self, name: str, why: str) -> None:
        self.skipped.append((name, why))

    def finish(self) -> PreparedSet:
        if not self.pictures:
            first = f", e.g. {self.skipped[0][0]}: {self.skipped[0][1]}" if self.skipped else ""
            raise DataError(f"{self.source or 'the source'}: no usable pictures; {len(self.skipped)} skipped{first}")
        images = torch.from_numpy(np.stack(self.pictures))
        self.pictures = []
        return PreparedSet(images, torch.tensor(self.labels, dtype=torch.int64, device="cpu"), self.class_names, self.source,
                           self.skipped)


def preview(images: torch.Tensor, n: int = 64) -> Image.Image:
    from gan.sampling.images import make_grid, to_display

    return make_grid(to_display(images[:n].numpy()), nrow=8, scale=2 if images.shape[-1] <= 32 else 1)


def write_prepared(folder: str | Path, data: PreparedSet) -> Path:
    """Write `data` as a prepared set in `folder` (created; its files replaced atomically)."""
    import io

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in (("images.npy", data.images.numpy()), ("labels.npy", data.labels.numpy())):
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        atomic_write(folder / name, buffer.getvalue())
    from gan.sampling.images import png_bytes

    atomic_write(folder / "preview.png", png_bytes(preview(data.images)))
    atomic_write(folder / "dataset.json", json.dumps({
        "format": FORMAT, "image_shape": list(data.image_shape), "count": len(data.images),
        "class_names": data.class_names, "source": data.source,
        "skipped": [{"file": f, "why": why} for f, why in data.skipped]}, indent=1).encode())
    return folder


def read_description(folder: str | Path) -> dict:
    path = Path(folder) / "dataset.json"
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{folder}: not a prepared set (no dataset.json; make one with python -m gan.prepare)") from None
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: unreadable ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DataError(f"{path}: not a {FORMAT} description")
    return meta


def read_prepared(folder: str | Path, limit: int | None = None) -> PreparedSet:
    """A prepared set, checked against its description (never unpickling anything)."""
    folder = Path(folder)
    meta = read_description(folder)
    try:
        images = np.load(folder / "images.npy", mmap_mode="r", allow_pickle=False)
        labels = np.load(folder / "labels.npy", allow_pickle=False)
    except (OSError, ValueError) as e:
        raise DataError(f"{folder}: unreadable arrays ({e})") from None
    shape, names = tuple(meta.get("image_shape", ())), meta.get("class_names", [])
    if (images.dtype != np.uint8 or images.ndim != 4 or tuple(images.shape[1:]) != shape
            or labels.shape != (len(images),) or shape[0] not in (1, 3) or shape[1] not in SIZES):
        raise DataError(f"{folder}: images {images.dtype} {images.shape} and labels {labels.shape} do not match "
                        f"dataset.json (shape {list(shape)})")
    if len(labels) and (labels.min() < 0 or labels.max() >= max(1, len(names))):
        raise DataError(f"{folder}: labels outside the {len(names)} class names")
    n = len(images) if limit is None else min(limit, len(images))
    return PreparedSet(torch.from_numpy(np.array(images[:n])), torch.from_numpy(labels[:n].astype(np.int64)),
                       list(names), meta.get("source", ""), [(s["file"], s["why"]) for s in meta.get("skipped", [])])


def prepared_shape(name: str) -> tuple[int, int, int]:
    return tuple(read_description(prepared_folder(name))["image_shape"])


def prepared_class_names(name: str) -> list[str]:
    return list(read_description(prepared_folder(name)).get("class_names", []))
