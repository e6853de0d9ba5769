"""Is it copying? The nearest training images of any picture, and a memorisation figure per model.

    python -m gan.neighbours --checkpoint checkpoints/mnist-dcgan.safetensors --seed 42 --out nn.png

A per-data-set index of the 60,000 training images holds their evaluator features (float16) and
their pixels (uint8): about 62 MB, built once (about 20 s) and cached on disk under a name made of
the evaluator's and the data files' hashes, so a new evaluator or other data rebuild it. Search is
exact: one matrix product against all of them, in the evaluator's features (what an image looks
like) and in raw pixels (what it literally is).

The yardstick is real unseen images: the index also keeps, for each of the 10,000 test images, the
feature distance to its nearest training image. A picture's "closeness rank" is the share of test
images that are closer to the training set than it is: a real test image lands around the middle,
a copied training image at 0%. A model's memorisation figure is the share of its samples below the
1st percentile of the test images (real images score ~1% by construction; a copying model far more).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from gan.data import prepared, training_sets
from gan.data.idx import SPLIT_FILES, DataError, find_data_dir, to_model_range
from gan.evaluation.evaluator_net import embed, evaluator_path, load_classifier
from gan.fileio import cache_dir, file_sha256
from gan.sampling.images import from_display, make_grid, to_display
from gan.tensor_files import CheckpointError, read_tensors, save_tensors

K = 8
CHUNK = 2_000  # rows per matrix product: a 6 MB float buffer, which stays in cache


def evaluator_folder(evaluator_dir) -> tuple[Path, ...]:
    """load_classifier's / evaluator_path's optional folder argument."""
    return (Path(evaluator_dir),) if evaluator_dir else ()


def evaluator_features(classifier, images_u8: torch.Tensor, chunk: int = 5000) -> torch.Tensor:
    """[N, 128] float features of uint8 images, converted to the evaluator's range a chunk at a time
    (all 60,000 at once would be a 188 MB float copy) and run in small batches (a batch's first
    activations are batch x 100 kB)."""
    return torch.cat([embed(classifier, to_model_range(images_u8[i:i + chunk], (-1.0, 1.0)), batch=250)[0].float()
                      for i in range(0, len(images_u8), chunk)])


@dataclass
class Neighbours:
    feature_ids: list[int]  # training-set indices, nearest first
    feature_distances: list[float]
    pixel_ids: list[int]
    pixel_distances: list[float]  # root-mean-square pixel difference, 0-1
    closeness: float  # share of real test images closer to the training set than this picture (0-1)


class TrainingIndex:
    """Evaluator features and pixels of one data set's training images, plus the test images'
    nearest-training distances (sorted) as the yardstick."""

    def __init__(self, features: torch.Tensor, pixels: torch.Tensor, labels: torch.Tensor,
                 test_nearest: torch.Tensor, classifier):
        self.features, self.pixels, self.labels = features, pixels, labels  # fp16, uint8, int64
        self.test_nearest = test_nearest  # [10000] float32, sorted
        self.classifier = classifier
        # One set of conversion buffers, taken in turn (see _search): one set per thread grew by
        # 7 MB for every server thread that ever served a lookup. A lookup holds it for ~6 ms.
        self._buffers: dict[int, torch.Tensor] = {}
        self._buffers_lock = threading.Lock()
        self.feature_norms = self._squared_norms(features, scale=1.0)
        self.pixel_norms = self._squared_norms(pixels.reshape(len(pixels), -1), scale=255.0)

    def _buffer(self, width: int) -> torch.Tensor:
        if width not in self._buffers:
            self._buffers[width] = torch.empty(CHUNK, width, device="cpu")
        return self._buffers[width]

    @staticmethod
    def _squared_norms(points: torch.Tensor, scale: float) -> torch.Tensor:
        """|p / scale|^2 per row, a few rows at a time: a float copy of all the pixels at once
        (188 MB) would leave tens of MB of freed heap in a long-lived app (bench/app_memory.py)."""
        rows = 500
        return torch.cat([points[i:i + rows].float().pow(2).sum(1) / scale ** 2 for i in range(0, len(points), rows)])

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.features, self.pixels, self.labels, self.test_nearest,
                                                          self.feature_norms, self.pixel_norms))

    # --- search -------------------------------------------------------------------------

    def embed(self, images_u8: torch.Tensor) -> torch.Tensor:
        return evaluator_features(self.classifier, images_u8)

    def nearest_features(self, feats: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(distances, ids) [N, k]: Euclidean in the evaluator's features."""
        return self._search(feats, self.features, self.feature_norms, k, scale=1.0)

    def nearest_pixels(self, images_u8: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(distances, ids) [N, k]: root-mean-square pixel difference (0-1)."""
        flat = images_u8.reshape(len(images_u8), -1).float() / 255
        d, ids = self._search(flat, self.pixels.view(len(self.pixels), -1), self.pixel_norms, k, scale=255.0)
        return d / flat.shape[1] ** 0.5, ids

    def _search(self, queries: torch.Tensor, points: torch.Tensor, norms: torch.Tensor, k: int,
                scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        # |q - p|^2 = |q|^2 - 2 q.p + |p|^2, one matrix product per CHUNK points. Points on the left
        # and the scale on the queries: a plain matrix-vector product, ~20x faster than points.T.
        # The points are converted to float into a kept buffer: a fresh 6 MB tensor per chunk
        # would be mmapped and page-faulted every time (lookups took 5 or 60 ms by luck).
        scaled = queries.T / scale
        products = []
        with self._buffers_lock:
            buffer = self._buffer(points.shape[1])
            for i in range(0, len(points), CHUNK):
                chunk = buffer[:len(points[i:i + CHUNK])]
                chunk.copy_(points[i:i + CHUNK])
                products.append(chunk @ scaled)
        products = torch.cat(products).T
        d2 = (queries.pow(2).sum(1, keepdim=True) - 2 * products + norms[None]).clamp(min=0)
        d2, ids = d2.topk(k, dim=1, largest=False)
        return d2.sqrt(), ids

    def closeness(self, distances: torch.Tensor) -> torch.Tensor:
        """Share of test images whose nearest-training distance is below each of `distances`."""
        return torch.searchsorted(self.test_nearest, distances.contiguous()).float() / len(self.test_nearest)

    def lookup(self, image_u8: np.ndarray, k: int = K) -> Neighbours:
        image = from_display(np.asarray(image_u8, dtype=np.uint8)[None])
        fd, fi = self.nearest_features(self.embed(image), k)
        pd, pi = self.nearest_pixels(image, k)
        return Neighbours(fi[0].tolist(), fd[0].tolist(), pi[0].tolist(), pd[0].tolist(),
                          float(self.closeness(fd[:, 0])[0]))

    def nearest_distances(self, images_u8: torch.Tensor, batch: int = 250) -> torch.Tensor:
        """[N]: each image's feature distance to its nearest training image, in batches (a batch
        against all 60,000 points is a [batch, 60000] temporary)."""
        return torch.cat([self.nearest_features(self.embed(images_u8[i:i + batch]), 1)[0][:, 0]
                          for i in range(0, len(images_u8), batch)])

    def memorisation(self, images_u8: torch.Tensor) -> dict:
        """The model-level figures for uint8 samples, [N, H, W] grey or [N, C, H, W] (see the module docstring)."""
        if images_u8.dim() == 4 and images_u8.shape[-1] == 3:  # display layout [N, H, W, 3] -> the set's
            images_u8 = from_display(images_u8)
        nearest = self.nearest_distances(images_u8)
        first_percentile = torch.quantile(self.test_nearest, 0.01)
        return {"memorised": round(float((nearest < first_percentile).float().mean()), 4),
                "nn_ratio": round(float(nearest.median() / self.test_nearest.median()), 3)}

    # --- build and cache ----------------------------------------------------------------

    @classmethod
    def build(cls, dataset: str, data_dir=None, classifier=None, limit: int | None = None) -> TrainingIndex:
        """From the data files; `limit` keeps the first images of each split (for tests)."""
        classifier = classifier or load_classifier(dataset)[0]
        data = training_sets.load(dataset, "train", data_dir, limit=limit, allow_download=False)
        train, labels = data.images, data.labels
        test = training_sets.load(dataset, "test", data_dir, limit=limit, allow_download=False).images
        features = evaluator_features(classifier, train)
        index = cls(features.half(), train, labels, torch.zeros(1, device="cpu"), classifier)
        index.test_nearest = index.nearest_distances(test).sort().values.float()
        return index

    @staticmethod
    def cache_path(dataset: str, data_dir=None, evaluator_dir=None) -> Path:
        """Where the index of these exact data files and evaluator is cached. Raises DataError when
        the data set is not on this machine (it is never downloaded for this)."""
        if prepared.is_prepared_dataset(dataset):
            folder = prepared.prepared_folder(dataset)
            test = prepared.test_folder(dataset) or folder
            data_files = [folder / "images.npy", test / "images.npy"]
            if not data_files[0].is_file():
                raise DataError(f"the pictures of {training_sets.short_name(dataset)!r} are not on this machine "
                                "(make them again: scripts/make_colour_sets.py or python -m gan.prepare)")
        else:
            folder = find_data_dir(dataset, data_dir)
            if folder is None:
                raise DataError(f"the {dataset} training images are not on this machine (set GAN_DATA_DIR)")
            data_files = [folder / SPLIT_FILES[s][0] for s in ("train", "test")]
        key = file_sha256(evaluator_path(dataset, *evaluator_folder(evaluator_dir)))[:16] + "-" + file_sha256(
            *data_files)[:16]
        return cache_dir() / f"index-{training_sets.short_name(dataset)}-{key}.safetensors"

    @classmethod
    def load_or_build(cls, dataset: str, data_dir=None, evaluator_dir=None, log=lambda message: None) -> TrainingIndex:
        """The cached index of `dataset`, built first when missing or stale."""
        path = cls.cache_path(dataset, data_dir, evaluator_dir)
        classifier = load_classifier(dataset, *evaluator_folder(evaluator_dir))[0]
        # A prepared set's pixels are read from its images.npy, mapped rather than copied: 60,000
        # colour pictures at 32 px are 184 MB, which the page cache holds instead of the app's heap.
        mapped = prepared.is_prepared_dataset(dataset)
        if path.exists():
            try:
                t = read_tensors(path)
                pixels = mapped_pixels(dataset) if mapped else t["pixels"]
                return cls(t["features"], pixels, t["labels"], t["test_nearest"], classifier)
            except (CheckpointError, KeyError) as e:  # a damaged cache is rebuilt, never trusted
                log(f"rebuilding {path}: {e}")
        log(f"building the {dataset} training-set index (once; cached in {path.parent})")
        index = cls.build(dataset, data_dir, classifier)
        save_tensors(path, {"features": index.features, "labels": index.labels, "test_nearest": index.test_nearest,
                            **({} if mapped else {"pixels": index.pixels})})  # atomic: never half a file
        if mapped:
            index.pixels = mapped_pixels(dataset)
        return index


def mapped_pixels(dataset: str) -> torch.Tensor:
    """A prepared set's training pictures, uint8 [N, C, H, W], as a read-only map of its images.npy."""
    import warnings

    array = np.load(prepared.prepared_folder(dataset) / "images.npy", mmap_mode="r", allow_pickle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that the array is read-only: nothing writes to it
        return torch.from_numpy(array)


def closeness_sentence(found: Neighbours) -> str:
    """One plain sentence about how close a picture is to the training set."""
    share = found.closeness
    if found.pixel_distances[0] < 0.01:
        return (f"This is (almost) exactly training image #{found.pixel_ids[0]}: "
                f"pixel difference {found.pixel_distances[0]:.3f}.")
    verdict = ("it may copy a training image" if share < 0.01 else
               "closer than most real images: look at the neighbours" if share < 0.1 else "no sign of copying")
    return (f"{share:.0%} of real unseen images lie closer to a training image than this picture does "
            f"(a real image scores about 50%, a copied one 0%): {verdict}.")


def neighbours_image(query_u8: np.ndarray, found: Neighbours, pixels: torch.Tensor, scale: int = 3) -> Image.Image:
    """Two rows: the picture, a gap, its 8 nearest training images by features; the same by pixels.
    Each tile's distance is written below it."""
    gap, caption_height = 12, 14
    query = make_grid(np.asarray(query_u8, dtype=np.uint8)[None], nrow=1, scale=scale).convert("RGB")
    rows = []
    for ids, dists, name in ((found.feature_ids, found.feature_distances, "by features"),
                             (found.pixel_ids, found.pixel_distances, "by pixels")):
        tiles = np.stack([np.asarray(pixels[i]) for i in ids])
        strip = make_grid(to_display(tiles) if tiles.ndim == 4 else tiles, nrow=len(ids), scale=scale).convert("RGB")
        row = Image.new("RGB", (query.width + gap + strip.width, strip.height + caption_height), "white")
        row.paste(query, (0, 0))
        row.paste(strip, (query.width + gap, 0))
        draw = ImageDraw.Draw(row)
        draw.text((2, strip.height + 1), name, fill="black")
        step = strip.width / len(ids)
        for j, d in enumerate(dists):
            draw.text((query.width + gap + j * step + 4, strip.height + 1), f"{d:.2f}", fill="black")
        rows.append(row)
    out = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), "white")
    for i, row in enumerate(rows):
        out.paste(row, (0, i * row.height))
    return out
