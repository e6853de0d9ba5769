"""Where the work runs: the device every command's `--device` names, and the app's (GAN_DEVICE).

"auto" is CUDA, then Apple's MPS, then the CPU; the environment variable GAN_DEVICE, where set,
decides "auto" instead (a shared GPU box can keep the app on the CPU, or pin it to one card).
Seeds give the same pictures on every device: latents are always drawn on the CPU's generator
(gan/sampling/latents.py) and moved to the model."""

from __future__ import annotations

import argparse
import os

import torch

DEVICE_HELP = "auto (GAN_DEVICE if set, else CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps (default: auto)"


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        name = os.environ.get("GAN_DEVICE", "").strip() or "auto"
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but CUDA is not available")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps' requested but MPS is not available")
    try:
        return torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None


def add_device_argument(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--device", default="auto", help=DEVICE_HELP)


def module_device(module: torch.nn.Module) -> torch.device:
    """Where a module's weights are (the CPU for a module without any)."""
    return next(module.parameters(), torch.empty(0, device="cpu")).device
