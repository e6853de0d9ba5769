"""torch.distributed plumbing, so `torchrun --nproc_per_node N -m gan.train ...` just works.

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; without them everything here is a no-op and
training runs as a single process. Backend: NCCL on GPUs, gloo on CPU.

Batch semantics: `--batch-size` is the *global* batch. Each of the N ranks takes its own
1/N slice of every global batch (and of the global noise), and DistributedDataParallel
averages gradients, so one optimizer step equals the single-process step on the whole batch,
and the learning rate needs no rescaling when N changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")  # this rank's device; collectives' tensors live here

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device: torch.device) -> Context:
    """Join the process group torchrun describes (if any); the context holds this rank's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Context(device=device)
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    ctx = Context(rank, world_size, local_rank, device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return ctx


def teardown(ctx: Context) -> None:
    if ctx.enabled and dist.is_initialized():
        dist.destroy_process_group()


def wrap(module: torch.nn.Module, ctx: Context, device: torch.device) -> torch.nn.Module:
    if not ctx.enabled:
        return module
    return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    return module.module if isinstance(module, DistributedDataParallel) else module


def any_rank(ctx: Context, *flags: bool) -> list[bool]:
    """OR each flag across ranks, so every rank takes the same decision (stop, diverged...)
    and none is left waiting in a collective the others skipped."""
    if not ctx.enabled:
        return list(flags)
    t = torch.tensor([float(f) for f in flags], device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]
