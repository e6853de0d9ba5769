"""Generator checkpoints (safetensors + JSON sidecar) and full training state (for --resume).

- `NAME.safetensors` holds only tensors: loading it can never execute code, unlike pickle.
- `NAME.json` holds everything needed to rebuild and use the generator: architecture and
  constructor args, data set and class names, output range, training facts, metrics.
- The training state (G, D, optimizers, EMA, step, RNG) is a torch file read back with
  `weights_only=True`, which refuses anything but tensors and plain containers.
Every file is written atomically (gan/fileio.py).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch

from gan.fileio import atomic_write, file_sha256
from gan.models import SelfConditioned, build_discriminator, build_generator
from gan.tensor_files import CheckpointError, load_into, read_sidecar, read_tensors, save_tensors

__all__ = ["CheckpointError", "DEFAULT_IMAGE_SHAPE", "checkpoint_paths", "discriminator_meta", "discriminator_paths",
           "generator_meta", "image_shape", "is_generator_sidecar", "load_discriminator", "load_generator",
           "load_training_state", "read_metadata", "save_discriminator", "save_generator", "save_training_state"]

FORMAT_VERSION = 1
REQUIRED_META = ("arch", "generator_args", "latent_dim", "num_classes", "dataset", "data_range")


def generator_meta(*, name: str, dataset: str, class_names: list[str], arch: str, generator_args: dict,
                   latent_dim: int, num_classes: int, modes: dict | None, data_range, preset: str, loss: str,
                   steps: int, batch_size: int, seed: int, ema: float, parameters: int, train_seconds: float,
                   device: str, processes: int, version: str, config: dict,
                   images: int | None = None, skipped_files: int | None = None,
                   image_shape=(1, 28, 28)) -> dict:
    """The sidecar's schema, in one place: what the trainer writes and the loaders read.

    Rebuilding (REQUIRED_META): `arch` + `generator_args` (gan/models.py), `latent_dim` (of the
    sampling latent: one more than the network's for a self-conditioned model), `num_classes` (0
    for unconditional and self-conditioned models), `dataset`, `data_range` (the output range).
    Using: `image_shape` ([channels, height, width]; absent means 1x28x28, as every checkpoint
    written before colour), `class_names`, `conditional`, `modes` ({count, frequencies, method}: a self-conditioned
    model, gan/models.py SelfConditioned). The rest records how it was trained; `config` is the
    whole TrainConfig. Evaluation adds `metrics` later (python -m gan.evaluate --write)."""
    return {
        "kind": "generator", "name": name, "dataset": dataset, "class_names": class_names, "arch": arch,
        "generator_args": generator_args, "latent_dim": latent_dim, "num_classes": num_classes,
        "conditional": bool(num_classes), **({"modes": modes} if modes else {}), "data_range": list(data_range),
        **({"image_shape": list(image_shape)} if tuple(image_shape) != DEFAULT_IMAGE_SHAPE else {}),
        "preset": preset, "loss": loss, "steps": steps, "batch_size": batch_size, "seed": seed, "ema": ema,
        "parameters": parameters, "train_seconds": round(train_seconds, 1), "device": device,
        "processes": processes, "version": version,
        **({"images": images, "skipped_files": skipped_files} if images is not None else {}),
        "config": config,
    }


DEFAULT_IMAGE_SHAPE = (1, 28, 28)  # every checkpoint written before the sidecar said its shape


def image_shape(meta: dict) -> tuple[int, int, int]:
    """(channels, height, width) of the pictures a checkpoint draws."""
    return tuple(meta.get("image_shape", DEFAULT_IMAGE_SHAPE))


def is_generator_sidecar(path: str | Path) -> bool:
    """Whether a .json sidecar describes a generator: encoders and the evaluators' classifiers say
    another `kind`. A sidecar that cannot be read at all may be a broken generator: loading it then
    reports what is wrong, rather than hiding it."""
    try:
        return json.loads(Path(path).read_text()).get("kind", "generator") == "generator"
    except (OSError, ValueError, AttributeError):
        return True


def checkpoint_paths(path: str | Path) -> tuple[Path, Path]:
    """(weights, sidecar) for a path given as NAME, NAME.safetensors or NAME.json."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".safetensors", ".json") else path
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def save_generator(path: str | Path, generator: torch.nn.Module, meta: dict) -> Path:
    """Write weights then sidecar; return the .safetensors path."""
    weights, sidecar = checkpoint_paths(path)
    return save_tensors(weights, generator.state_dict(), sidecar, {"format_version": FORMAT_VERSION, **meta})


def read_metadata(path: str | Path) -> dict:
    return read_sidecar(checkpoint_paths(path)[1], REQUIRED_META)


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, dict]:
    """Rebuild the generator described by the sidecar, load its weights, return (model in eval mode, meta)."""
    weights, sidecar = checkpoint_paths(path)
    meta = read_metadata(weights)
    try:
        generator = build_generator(meta["arch"], **meta["generator_args"])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{sidecar}: cannot build {meta['arch']!r} from its arguments ({e})") from None
    load_into(generator, read_tensors(weights), weights, sidecar.name)
    if meta.get("modes"):  # trained on label-free modes: sampled without a class, see gan/data/modes.py
        generator = SelfConditioned(generator, meta["modes"]["frequencies"])
    return generator.to(device).eval(), meta


# --- the discriminator, beside its generator ------------------------------------------------------

DISCRIMINATOR_SUFFIX = ".discriminator"
REQUIRED_DISCRIMINATOR_META = ("kind", "arch", "discriminator_args", "generator_sha256")


def discriminator_paths(generator_path: str | Path) -> tuple[Path, Path]:
    """(weights, sidecar) of the discriminator beside a generator: NAME.discriminator.safetensors/.json."""
    stem = checkpoint_paths(generator_path)[0].with_suffix("")
    return (stem.with_name(stem.name + DISCRIMINATOR_SUFFIX + ".safetensors"),
            stem.with_name(stem.name + DISCRIMINATOR_SUFFIX + ".json"))


def discriminator_meta(generator_path: str | Path, *, arch: str, discriminator_args: dict, dataset: str,
                       class_names: list[str], data_range, steps: int, trained_against: str) -> dict:
    """The discriminator sidecar's schema: how to rebuild it, and which generator (by the sha256 of
    its weights) it judged, so a stale critic is never paired with newer weights."""
    return {"kind": "discriminator", "arch": arch, "discriminator_args": discriminator_args, "dataset": dataset,
            "class_names": class_names, "data_range": list(data_range), "steps": steps,
            "trained_against": trained_against,
            "generator_sha256": file_sha256(checkpoint_paths(generator_path)[0])}


def save_discriminator(generator_path: str | Path, discriminator: torch.nn.Module, meta: dict) -> Path:
    weights, sidecar = discriminator_paths(generator_path)
    return save_tensors(weights, discriminator.state_dict(), sidecar, {"format_version": FORMAT_VERSION, **meta})


def load_discriminator(generator_path: str | Path, device: str | torch.device = "cpu"
                       ) -> tuple[torch.nn.Module, dict] | None:
    """The discriminator saved beside a generator (in eval mode) and its meta; None when there is none
    or it judged other generator weights. Loading follows the generator's rules: strict, NaN-checked,
    never a pickle (CheckpointError)."""
    weights, sidecar = discriminator_paths(generator_path)
    if not weights.exists() and not sidecar.exists():
        return None
    meta = read_sidecar(sidecar, REQUIRED_DISCRIMINATOR_META)
    if meta["kind"] != "discriminator":
        raise CheckpointError(f"{sidecar}: not a discriminator sidecar (kind {meta['kind']!r})")
    if meta["generator_sha256"] != file_sha256(checkpoint_paths(generator_path)[0]):
        return None
    try:
        discriminator = build_discriminator(meta["arch"], **meta["discriminator_args"])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{sidecar}: cannot build {meta['arch']!r} from its arguments ({e})") from None
    load_into(discriminator, read_tensors(weights), weights, sidecar.name)
    return discriminator.to(device).eval(), meta


def save_training_state(path: str | Path, state: dict) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write(path, buffer.getvalue())


def load_training_state(path: str | Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no training state to resume from") from None
    except Exception as e:  # weights_only refuses pickled code; truncated zips fail too
        raise CheckpointError(f"{path}: unreadable training state ({type(e).__name__}: {e})") from None

