"""Where and in what precision training runs: CUDA, MPS or CPU; bfloat16 autocast where the CPU
has native bfloat16 (AVX512-BF16 or AMX), else a warning."""

from __future__ import annotations

import contextlib

import torch


def autocast(device: torch.device, precision: str):
    """bfloat16 autocast for "bf16" (on CPUs with AVX512-BF16/AMX about 1.4x faster for the dcgan
    preset), a no-op for "fp32"."""
    if precision != "bf16":  # no autocast at all: it refuses device types it does not know (meta)
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN has bfloat16 kernels for this CPU (AVX512-BF16 or AMX). Without them bf16
    falls back to emulation: the dcgan preset measured 19x slower than fp32 on an AVX2 EPYC."""
    try:
        return torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    except (AttributeError, RuntimeError):  # a private op: if this build lacks it, do not guess "slow"
        return True


def precision_warning(precision: str, device: torch.device) -> str | None:
    if precision == "bf16" and device.type == "cpu" and not cpu_has_native_bf16():
        return ("warning: this CPU has no native bfloat16 (AVX512-BF16 / AMX), so --precision bf16 is emulated and "
                "many times slower than fp32 here; use --precision fp32 unless you need to reproduce a bf16 run")
    return None


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda requested but CUDA is not available")
    return torch.device(name)
