"""In what precision training runs: fp32; bf16 autocast (CPUs with AVX512-BF16 or AMX, GPUs from
Ampere on); fp16 autocast with a gradient scaler (GPUs without bfloat16). Weights, optimiser
states and the EMA stay fp32 in every case."""

from __future__ import annotations

import contextlib

import torch


def autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The dtype the forward passes run in, or None for plain fp32. "bf16" on a CUDA GPU without
    bfloat16 becomes fp16 (the scaler keeps its small gradients from flushing to zero)."""
    if precision == "fp16":
        return torch.float16
    if precision != "bf16":
        return None
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


def autocast(device: torch.device, precision: str):
    """Autocast for "bf16"/"fp16" (bf16 on CPUs with AVX512-BF16/AMX is about 1.4x faster for the
    dcgan preset), a no-op for "fp32"."""
    dtype = autocast_dtype(device, precision)
    if dtype is None:  # no autocast at all: it refuses device types it does not know (meta)
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def gradient_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler:
    """A loss scaler, enabled only where the forward passes run in fp16 (a disabled one passes
    losses and steps straight through)."""
    enabled = autocast_dtype(device, precision) == torch.float16 and device.type in ("cuda", "cpu")
    return torch.amp.GradScaler(device.type if enabled else "cpu", enabled=enabled)


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN has bfloat16 kernels for this CPU (AVX512-BF16 or AMX). Without them bf16
    falls back to emulation: the dcgan preset measured 19x slower than fp32 on an AVX2 EPYC."""
    try:
        return torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    except (AttributeError, RuntimeError):  # a private op: if this build lacks it, do not guess "slow"
        return True


def precision_warning(precision: str, device: torch.device) -> str | None:
    if precision == "bf16" and autocast_dtype(device, precision) == torch.float16:
        return "note: this GPU has no bfloat16; --precision bf16 runs as fp16 with a gradient scaler"
    if precision == "bf16" and device.type == "cpu" and not cpu_has_native_bf16():
        return ("warning: this CPU has no native bfloat16 (AVX512-BF16 / AMX), so --precision bf16 is emulated and "
                "many times slower than fp32 here; use --precision fp32 unless you need to reproduce a bf16 run")
    return None
