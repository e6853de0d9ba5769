"""Find and load every generator checkpoint under a folder, once, at start-up.

Bad files never stop the app: each one is skipped with a reason the UI shows. Pickle-based
files (.pt/.pth/.pkl/.ckpt) are listed as skipped and never opened, since unpickling can run code.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gan.checkpoint import CheckpointError, is_generator_sidecar, load_generator
from gan.data import training_sets
from gan.devices import module_device, pick_device
from gan.data.idx import DATASETS
from gan.evaluation.evaluator_net import load_classifier
from gan.inversion.encoder_net import load_encoder
from gan.judging.verdict import Critic
from gan.sampling.directions import NUM_DIRECTIONS, principal_directions

log = logging.getLogger("gan_studio")
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".ckpt", ".bin")
DATASET_TITLES = {name: info.title for name, info in DATASETS.items()}
# The colour sets scripts/make_colour_sets.py makes, as the page names them.
PREPARED_TITLES = {"emoji64": "Emoji (Noto, 64 px colour)", "emoji32": "Emoji (Noto, 32 px colour)",
                   "colour-mnist32": "Colour MNIST (32 px)"}
PROJECT_PRESETS = ("dcgan", "mlp")


@dataclass
class LoadedModel:
    key: str
    label: str
    path: Path
    generator: torch.nn.Module
    meta: dict
    _directions: torch.Tensor | None = field(default=None, repr=False)
    _encoder: object = field(default=False, repr=False)  # False: not looked for yet
    _critic: object = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def class_names(self) -> list[str]:
        return list(self.meta.get("class_names", [])) if self.meta["num_classes"] else []

    @property
    def mode_shares(self) -> list[float]:
        """A self-conditioned model's label-free modes (gan/data/modes.py): each one's share of the
        training images, largest first; [] for other models."""
        return list(self.meta.get("modes", {}).get("frequencies", []))

    @property
    def mode_names(self) -> list[str]:
        return [f"mode {i + 1}" for i in range(len(self.mode_shares))]

    def directions(self) -> torch.Tensor:
        """Principal latent directions, computed on first use (about a second) and cached."""
        with self._lock:
            if self._directions is None:
                self._directions = principal_directions(self.generator, k=NUM_DIRECTIONS)
            return self._directions

    def encoder(self) -> torch.nn.Module | None:
        """The inversion encoder saved beside the checkpoint (gan/encoder.py), or None: inversion
        then starts from seeded latents, slower but as good (docs/inversion.md)."""
        with self._lock:
            if self._encoder is False:
                try:
                    self._encoder = load_encoder(self.path)
                    if self._encoder is not None:
                        self._encoder.to(module_device(self.generator))
                except CheckpointError as e:
                    log.warning("%s", e)
                    self._encoder = None
            return self._encoder


    def critic(self) -> Critic | None:
        """The critic fitted to this generator (gan/judging/), or None: the page then says how to fit one."""
        with self._lock:
            if self._critic is False:
                try:
                    self._critic = Critic.load(self.path, module_device(self.generator))
                except CheckpointError as e:
                    log.warning("%s", e)
                    self._critic = None
            return self._critic


class Evaluators:
    """The evaluator classifier of each data set (checkpoints/evaluators/), loaded on first use onto
    the models' device (inversion's feature loss runs there); None where a data set has none."""

    def __init__(self, device: torch.device):
        self.device = device
        self._loaded: dict[str, torch.nn.Module | None] = {}
        self._lock = threading.Lock()

    def __call__(self, dataset: str) -> torch.nn.Module | None:
        with self._lock:
            if dataset not in self._loaded:
                try:
                    self._loaded[dataset] = load_classifier(dataset)[0].requires_grad_(False).to(self.device)
                except CheckpointError:
                    self._loaded[dataset] = None
            return self._loaded[dataset]


def picker_order(meta: dict, key: str) -> tuple:
    """Data set, then the project's own presets before the reference designs, then conditional
    first: by the evaluation in the README the conditional models are the best ones to open with."""
    datasets = list(DATASET_TITLES)
    preset = meta.get("preset", "")
    return (datasets.index(meta["dataset"]) if meta["dataset"] in datasets else len(datasets),
            preset not in PROJECT_PRESETS, preset, not meta["num_classes"], key)


def dataset_title(dataset: str) -> str:
    if training_sets.is_own(dataset):
        return PREPARED_TITLES.get(training_sets.short_name(dataset), f"Your images ({training_sets.short_name(dataset)})")
    return DATASET_TITLES.get(dataset, dataset)


def friendly_label(meta: dict) -> str:
    title = dataset_title(meta["dataset"])
    kind = "conditional" if meta["num_classes"] else "unconditional"
    config = meta.get("config", {})
    if meta.get("modes"):  # unconditional to the user, conditional on label-free modes inside
        kind += f" (self-conditioned, {meta['modes']['count']} modes)"
    elif config.get("aux_twin"):  # the class loss changes what the samples look like: say which
        kind += " (TAC-GAN)"
    elif config.get("aux_class_weight"):
        kind += " (AC-GAN)"
    return f"{title} · {meta.get('preset', meta['arch'])} · {kind}"


class ModelRegistry:
    """Every generator under `folder`, on `device` (default: pick_device's "auto": GAN_DEVICE if set,
    else a GPU where there is one, else the CPU)."""

    def __init__(self, folder: str | Path, device: torch.device | str | None = None):
        self.folder = Path(folder)
        self.device = pick_device() if device is None else torch.device(device)
        self.models: dict[str, LoadedModel] = {}
        self.skipped: list[tuple[str, str]] = []  # (file, reason)
        self.evaluators = Evaluators(self.device)
        self._changing = threading.Lock()  # add() and remove() from the trainer's threads
        self._scan()

    def _skip(self, path: Path, reason: str) -> None:
        self.skipped.append((str(path.relative_to(self.folder)), reason))
        log.warning("skipped %s: %s", path, reason)

    def _scan(self) -> None:
        if not self.folder.is_dir():
            log.warning("checkpoint folder %s does not exist", self.folder)
            return
        # os.walk rather than rglob: rglob silently skips folders it cannot read.
        for folder, dirs, files in os.walk(self.folder, onerror=self._unreadable_folder):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder) / name
                try:
                    self._consider(path)
                except OSError as e:  # permissions, vanished files, I/O errors: skip, never crash
                    self._skip(path, f"cannot read ({e.strerror or e})")
        self.models = dict(sorted(self.models.items(), key=lambda item: picker_order(item[1].meta, item[0])))

    def _unreadable_folder(self, error: OSError) -> None:
        self._skip(Path(error.filename), f"folder not readable ({error.strerror}); check its permissions")

    def _consider(self, path: Path) -> None:
        if path.suffix in PICKLE_SUFFIXES:
            self._skip(path, "pickle-based file, never loaded (unpickling can execute code); "
                             "use a .safetensors checkpoint with its .json sidecar")
        elif path.suffix == ".safetensors":
            self._load(path)
        elif path.suffix == ".json" and not path.with_suffix(".safetensors").exists():
            if is_generator_sidecar(path):
                self._skip(path, "metadata without its .safetensors weights")

    def _load(self, path: Path) -> None:
        key = str(path.relative_to(self.folder).with_suffix(""))
        if not is_generator_sidecar(path.with_suffix(".json")):
            return
        try:
            generator, meta = load_generator(path, self.device)
        except CheckpointError as e:
            reason = str(e)
            for prefix in (f"{path}: ", f"{path.with_suffix('.json')}: "):  # the notice names the file already
                reason = reason.removeprefix(prefix)
            self._skip(path, reason)
            return
        label = friendly_label(meta)
        if any(m.label == label for m in self.models.values()):
            label = f"{label} ({key})"
        # Served models never train: no gradients for their weights (inversion asks for the latent's only).
        self.models[key] = LoadedModel(key, label, path, generator.requires_grad_(False), meta)

    def add(self, key: str, path: str | Path) -> LoadedModel:
        """Load one more generator while the app runs (a run trained from the page). The models
        dict is replaced, never changed in place, so requests reading it meanwhile are unaffected."""
        generator, meta = load_generator(path, self.device)  # CheckpointError: the caller says why
        label = f"{friendly_label(meta)} · {key}"
        model = LoadedModel(key, label, Path(path), generator.requires_grad_(False), meta)
        with self._changing:  # one change at a time: two at once would each drop the other's
            models = {**self.models, key: model}
            self.models = dict(sorted(models.items(), key=lambda item: picker_order(item[1].meta, item[0])))
        return model

    def remove(self, key: str) -> None:
        """Take a model out of the picker (its run folder is about to be removed); replaced, not
        changed in place, like add()."""
        with self._changing:
            self.models = {k: m for k, m in self.models.items() if k != key}

    def choices(self) -> list[tuple[str, str]]:
        return [(m.label, m.key) for m in self.models.values()]
