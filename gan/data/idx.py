"""MNIST / Fashion-MNIST straight from the IDX `.gz` files: find, verify, download, parse.

No torchvision: the IDX format is a 4-byte magic, big-endian dimension sizes, then raw
uint8 values, so numpy reads it in one call. Every malformed file becomes a `DataError`
that names the file and the problem, never a numpy traceback.

A data set's folder is resolved in this order: explicit `data_dir` argument
(`--data-dir`), the `GAN_DATA_DIR` environment variable, the project's `data/<name>`,
well-known shared locations, and finally a verified download into `data/<name>`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan.fileio import atomic_file
from gan.paths import downloads_dir, source_root

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
IDX_DTYPE_UBYTE = 0x08
MAX_CLASSES = 100  # labels 0-99: a conditional model's class count, for the IDX sets and your own folders


class DataError(RuntimeError):
    """A data file is missing, malformed or fails verification."""


@dataclass(frozen=True)
class DatasetInfo:
    """Everything the project knows about one data set; the one list of data sets is DATASETS."""
    name: str
    label: str  # as the page and the API name it (the Train tab's choice)
    title: str  # as a model card names it
    folder: str  # folder name under a data root
    class_names: tuple[str, ...]
    picture_rule: str  # how a visitor's picture is made like these (gan/data/pictures.py): "digit" or "product"
    classifier_epochs: int  # the evaluator's training (python -m gan.classifier)
    real_scores: dict  # what real test images score (python -m gan.evaluate --real): the floors the card shows
    mirrors: tuple[str, ...]  # base URLs, tried in order
    # Two digests per file: md5 of the official .gz, sha256 of the decompressed bytes.
    # The second accepts re-compressed copies (e.g. Debian's dataset-fashion-mnist).
    gz_md5: dict[str, str]
    raw_sha256: dict[str, str]
    extra_dirs: tuple[str, ...] = ()


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        name="mnist",
        label="MNIST",
        title="MNIST digits",
        folder="mnist",
        class_names=tuple(str(d) for d in range(10)),
        picture_rule="digit",  # longer side 20 px, centred by the centre of mass (LeCun et al.)
        classifier_epochs=4,
        real_scores={"fd": 0.50, "is": 7.58, "coverage": 10, "class_kl": 0.0004, "precision": 0.850, "recall": 0.870,
                     "memorised": 0.01, "nn_ratio": 1.0},
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        gz_md5={
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        raw_sha256={
            "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
    ),
    "fashion": DatasetInfo(
        name="fashion",
        label="Fashion-MNIST",
        title="Fashion-MNIST",
        folder="fashion-mnist",
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
        picture_rule="product",  # trimmed, longer side 28 px, centred by the box (Xiao et al., 2017)
        classifier_epochs=12,
        real_scores={"fd": 0.20, "is": 6.68, "coverage": 10, "class_kl": 0.0004, "precision": 0.847, "recall": 0.847,
                     "memorised": 0.01, "nn_ratio": 1.0},
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        gz_md5={
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        raw_sha256={
            "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        extra_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
}


DEFAULT_DATASET = next(iter(DATASETS))


def dataset_info(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}")
    return DATASETS[name]


# --- parsing -------------------------------------------------------------------------

def read_idx(path: str | Path) -> np.ndarray:
    """Parse one gzipped IDX file of unsigned bytes into an array of its declared shape."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as e:  # truncated or not gzip at all
        raise DataError(f"{path}: not a readable gzip file ({e})") from None
    if len(raw) < 4:
        raise DataError(f"{path}: empty or too short for an IDX header ({len(raw)} bytes)")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != IDX_DTYPE_UBYTE or ndim not in (1, 3):
        raise DataError(f"{path}: bad IDX magic {raw[:4].hex()} (expected 00000801 or 00000803)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: header declares shape {shape} = {expected} bytes of data, "
            f"file holds {len(raw) - header} (truncated or corrupted)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 of one split, cross-checked."""
    img_name, lbl_name = SPLIT_FILES[split]
    images, labels = read_idx(folder / img_name), read_idx(folder / lbl_name)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{folder / img_name}: expected N x 28 x 28 images, got shape {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{folder / lbl_name}: expected a 1-D label file, got shape {labels.shape}")
    if len(images) != len(labels):
        raise DataError(
            f"{folder}: {img_name} holds {len(images)} images but {lbl_name} holds {len(labels)} labels"
        )
    if labels.size and labels.max() >= MAX_CLASSES:
        raise DataError(f"{folder / lbl_name}: label {labels.max()} out of range 0-{MAX_CLASSES - 1}")
    return images, labels


# --- locating and downloading ----------------------------------------------------------

def candidate_dirs(info: DatasetInfo, data_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for a data set, most specific first."""
    roots = []
    for root in (data_dir, os.environ.get("GAN_DATA_DIR")):
        if root:
            roots += [Path(root) / info.folder, Path(root)]  # accept the root or the set's folder
    roots.append(downloads_dir() / info.folder)
    if source_root() is not None:  # a checkout beside the team's shared folder
        roots.append(source_root().parent / "shared" / "data" / info.folder)
    roots += [Path(d) for d in info.extra_dirs]
    return roots


def has_split_files(folder: Path, splits=("train", "test")) -> bool:
    return all((folder / f).is_file() for s in splits for f in SPLIT_FILES[s])


def find_data_dir(name: str, data_dir: str | Path | None = None) -> Path | None:
    info = dataset_info(name)
    return next((d for d in candidate_dirs(info, data_dir) if has_split_files(d)), None)


def verify_file(info: DatasetInfo, path: Path, fname: str | None = None) -> None:
    """Accept a file whose .gz md5 is the official one or whose decompressed sha256 is.

    `fname` is the official file name (defaults to the path's own name, e.g. for temp files).
    """
    fname = fname or path.name
    data = Path(path).read_bytes()
    if hashlib.md5(data).hexdigest() == info.gz_md5[fname]:
        return
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: download is not a valid gzip file ({e})") from None
    if hashlib.sha256(raw).hexdigest() != info.raw_sha256[fname]:
        raise DataError(f"{path}: checksum mismatch, the download is corrupted or not the official file")


def download(name: str, dest: str | Path | None = None, mirrors: list[str] | None = None,
             progress: bool = True) -> Path:
    """Download, verify and atomically place the four files of a data set; return the folder.

    `GAN_DATA_MIRROR` (a base URL) overrides the official mirrors, e.g. for a local copy.
    """
    from tqdm import tqdm

    info = dataset_info(name)
    dest = Path(dest) if dest else downloads_dir() / info.folder
    dest.mkdir(parents=True, exist_ok=True)
    if mirrors is None:
        env = os.environ.get("GAN_DATA_MIRROR")
        mirrors = [env] if env else list(info.mirrors)
    for fname in SPLIT_FILES["train"] + SPLIT_FILES["test"]:
        target = dest / fname
        if target.is_file():
            verify_file(info, target)
            continue
        errors = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + fname
            try:
                # atomic: a crash or a bad download never leaves a half file under the real name
                with atomic_file(target) as (out, tmp), urllib.request.urlopen(url, timeout=30) as r:
                    total = int(r.headers.get("Content-Length") or 0) or None
                    with tqdm(total=total, unit="B", unit_scale=True, desc=fname, disable=not progress) as bar:
                        while chunk := r.read(1 << 16):
                            out.write(chunk)
                            bar.update(len(chunk))
                    out.flush()
                    verify_file(info, tmp, fname)
                break
            except (urllib.error.URLError, OSError, DataError) as e:
                errors.append(f"{url}: {getattr(e, 'reason', e)}")
        else:
            raise DataError(
                f"could not download {fname} for {name!r} (no network, or every mirror failed):\n  "
                + "\n  ".join(errors)
                + f"\nPlace the four IDX .gz files in {dest} or pass --data-dir / set GAN_DATA_DIR."
            )
    return dest


# --- the public loader ---------------------------------------------------------------

def load_dataset(name: str, split: str = "train", data_dir: str | Path | None = None,
                 allow_download: bool = True, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (images uint8 [N, 28, 28], labels int64 [N]) as tensors; whole split in memory."""
    if split not in SPLIT_FILES:
        raise DataError(f"unknown split {split!r}; choose 'train' or 'test'")
    folder = find_data_dir(name, data_dir)
    if folder is None:
        if not allow_download:
            searched = "\n  ".join(str(d) for d in candidate_dirs(dataset_info(name), data_dir))
            raise DataError(f"{name!r} not found; searched:\n  {searched}")
        folder = download(name)
    images, labels = read_split(folder, split)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    # np.frombuffer arrays are read-only views; copy once into tensors we own.
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def to_model_range(images_u8: torch.Tensor, data_range: tuple[float, float]) -> torch.Tensor:
    """uint8 [N,H,W] (grey) or [N,C,H,W] -> float [N,C,H,W] scaled to the generator's output range."""
    lo, hi = data_range
    images_u8 = images_u8.unsqueeze(1) if images_u8.dim() == 3 else images_u8
    return (images_u8.float() / 255.0) * (hi - lo) + lo
