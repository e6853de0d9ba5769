"""Tensors and their JSON sidecar on disk, one way for every kind of file the project writes:
generators and discriminators (gan/checkpoint.py), inversion encoders, evaluators and the
training-set index.

- Tensors go into safetensors, never a pickle: loading one can never execute code.
- Each file is written atomically (gan/fileio.py), the tensors before the sidecar, so a sidecar on
  disk means its tensors are whole.
- Reading is strict: a missing, unreadable, malformed or non-finite file is a CheckpointError that
  names the file and what is wrong with it, never a half-loaded model.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from safetensors.torch import save as save_safetensors_bytes

from gan.fileio import atomic_write


class CheckpointError(RuntimeError):
    """A checkpoint, encoder, evaluator or index file that is missing, unreadable or malformed."""


def save_tensors(weights: str | Path, tensors: dict[str, torch.Tensor], sidecar: str | Path | None = None,
                 meta: dict | None = None) -> Path:
    """Write `tensors` (moved to the CPU, contiguous), then the `meta` sidecar; return `weights`."""
    weights = Path(weights)
    atomic_write(weights, save_safetensors_bytes({k: v.detach().cpu().contiguous() for k, v in tensors.items()}))
    if sidecar is not None:
        atomic_write(Path(sidecar), (json.dumps(meta, indent=2) + "\n").encode())
    return weights


def read_sidecar(sidecar: str | Path, required: tuple[str, ...] = ()) -> dict:
    """The JSON object in `sidecar`, holding at least the `required` keys."""
    sidecar = Path(sidecar)
    try:
        meta = json.loads(sidecar.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{sidecar}: metadata sidecar not found") from None
    except OSError as e:  # unreadable: permissions, a folder with the name, I/O errors
        raise CheckpointError(f"{sidecar}: cannot read ({e.strerror or e})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{sidecar}: malformed JSON ({e})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{sidecar}: expected a JSON object")
    missing = [k for k in required if k not in meta]
    if missing:
        raise CheckpointError(f"{sidecar}: missing keys {missing}")
    return meta


def read_tensors(weights: str | Path, finite: bool = True) -> dict[str, torch.Tensor]:
    """The tensors in a safetensors file, in memory of their own (not pages of the file); with
    `finite`, a NaN or inf anywhere refuses the file."""
    weights = Path(weights)
    try:
        tensors = {k: v.clone() for k, v in load_file(weights).items()}
    except FileNotFoundError:
        raise CheckpointError(f"{weights}: weights file not found") from None
    except (SafetensorError, ValueError, OSError) as e:  # truncated, zero bytes, random bytes
        raise CheckpointError(f"{weights}: not a valid safetensors file ({e})") from None
    if finite:
        for name, t in tensors.items():
            if t.is_floating_point() and not torch.isfinite(t).all():
                raise CheckpointError(f"{weights}: tensor {name!r} holds NaN or inf")
    return tensors


def load_into(module: torch.nn.Module, tensors: dict[str, torch.Tensor], weights: str | Path,
              described_by: str) -> torch.nn.Module:
    """module.load_state_dict(tensors, strict=True), with a mismatch named as a CheckpointError."""
    try:
        module.load_state_dict(tensors, strict=True)
    except RuntimeError as e:  # missing / unexpected / mis-shaped tensors
        first = str(e).strip().splitlines()
        raise CheckpointError(f"{weights}: weights do not match the architecture in {described_by}: "
                              + " ".join(first[:4])) from None
    return module
