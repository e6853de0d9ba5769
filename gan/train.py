"""Train a GAN on MNIST / Fashion-MNIST and write generator checkpoints.

    python -m gan.train --dataset mnist --preset dcgan            # project default
    python -m gan.train --dataset fashion --preset dcgan --conditional --steps 16000
    python -m gan.train --out-dir runs/mnist-dcgan --resume         # continue a run exactly

A run folder holds: `generator.safetensors` + `generator.json` (the checkpoint to ship),
`state.pt` (full training state for --resume), `log.jsonl` (losses per logged step),
`samples/step_XXXXXX.png` (a fixed latent batch, comparable across steps), `progress.gif`,
`losses.png`, and with --snapshot-every, `snapshots/step_XXXXXX.*` (generators for metric-vs-time).

Determinism: every random draw comes from the global torch RNG (seeded, saved in the state)
or from generators seeded by (seed, epoch), so the same seed and flags give the same weights,
and a resumed run continues exactly where the interrupted one stopped.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from . import __version__
from .checkpoint import (CheckpointError, checkpoint_paths, load_training_state, save_generator,
                         save_training_state)
from .clusters import PCA_DIMS, cluster_images
from .data import DATASETS, DataError, dataset_info, load_dataset, to_model_range
from .distributed import any_rank, setup, teardown, unwrap, wrap
from .fileio import atomic_write
from .folder_data import PREFIX as FOLDER_PREFIX
from .folder_data import class_names, folder_of, is_folder_dataset, load_folder, short_name
from .images import gif_bytes, make_grid, png_bytes
from .losses import (GP_WEIGHT, LOSSES, PAIRED_LOSSES, discriminator_loss, generator_loss, gradient_penalty,
                     penalty_scale, r1_penalty)
from .models import PRESETS, SelfConditioned, build_discriminator, build_generator, count_parameters, preset_models
from .sampling import generate, latent_for_seeds, output_range


@dataclass
class TrainConfig:
    dataset: str = "mnist"
    preset: str = "dcgan"
    conditional: bool = False
    modes: int = 0  # > 0: self-conditioned on this many label-free k-means modes (gan/clusters.py)
    # None means "the preset's value"; resolve() fills them in.
    loss: str | None = None
    steps: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    label_smoothing: float | None = None
    ema: float | None = None
    lr_decay: float = 0.0  # fraction of the run, at its end, over which both learning rates fall linearly to 0
    aux_class_weight: float = 0.0  # AC-GAN term: D classifies real images, G is rewarded when D reads its class
    aux_twin: bool = False  # TAC-GAN: a twin head learns G's classes; G's reward is the difference of the two
    d_steps: int = 1
    r1: float | None = None  # gamma of the R1 penalty on D's gradient at real images (0: off)
    r2: float | None = None  # gamma of R2, the same penalty at generated images (0: off)
    penalty_end: float | None = None  # R1/R2 weight at the last step, as a fraction of the first (cosine)
    precision: str = "fp32"  # "bf16": forward passes under bfloat16 autocast (weights, optimiser and EMA stay fp32)
    seed: int = 0
    data_dir: str | None = None
    limit: int | None = None
    out_dir: str | None = None
    sample_every: int = 500
    checkpoint_every: int = 1000
    snapshot_every: int = 0
    log_every: int = 10
    device: str = "auto"
    sync_bn: bool = False
    resume: bool = False
    progress: bool = True

    @property
    def run_name(self) -> str:
        data = short_name(self.dataset) if is_folder_dataset(self.dataset) else self.dataset
        return f"{data}-{self.preset}" + ("-cond" if self.conditional else f"-modes{self.modes}" if self.modes else "")


# Flags that may differ between an interrupted run and its --resume.
# lr_decay: a finished run can be continued with a decaying rate (the schedule is a function of step/steps).
RESUMABLE_CHANGES = {"steps", "lr_decay", "out_dir", "sample_every", "checkpoint_every", "snapshot_every",
                     "log_every", "device", "resume", "progress", "data_dir", "sync_bn"}


def resolve(cfg: TrainConfig) -> TrainConfig:
    """Fill preset defaults and validate; raise ValueError with a readable message."""
    if cfg.preset not in PRESETS:
        raise ValueError(f"unknown preset {cfg.preset!r}; choose one of: {', '.join(PRESETS)}")
    if is_folder_dataset(cfg.dataset):  # your own images; stored with the absolute path, for --resume
        try:
            classes = class_names(cfg.dataset)
        except DataError as e:
            raise ValueError(str(e)) from None
        if cfg.conditional and len(classes) < 2:
            raise ValueError(f"--conditional needs at least 2 class sub-folders in {folder_of(cfg.dataset)}, "
                             f"found {len(classes)}")
        cfg = dataclasses.replace(cfg, dataset=FOLDER_PREFIX + str(folder_of(cfg.dataset).resolve()))
    elif cfg.dataset not in DATASETS:
        raise ValueError(f"unknown data set {cfg.dataset!r}; choose one of: {', '.join(DATASETS)}, "
                         "or folder:PATH for your own images")
    p = PRESETS[cfg.preset]
    cfg = dataclasses.replace(
        cfg,
        loss=cfg.loss or p.loss,
        steps=p.steps if cfg.steps is None else cfg.steps,
        batch_size=p.batch_size if cfg.batch_size is None else cfg.batch_size,
        lr=p.lr if cfg.lr is None else cfg.lr,
        beta1=p.betas[0] if cfg.beta1 is None else cfg.beta1,
        beta2=p.betas[1] if cfg.beta2 is None else cfg.beta2,
        label_smoothing=p.label_smoothing if cfg.label_smoothing is None else cfg.label_smoothing,
        ema=p.ema if cfg.ema is None else cfg.ema,
        r1=p.r1 if cfg.r1 is None else cfg.r1,
        r2=p.r2 if cfg.r2 is None else cfg.r2,
        penalty_end=p.penalty_end if cfg.penalty_end is None else cfg.penalty_end,
        out_dir=cfg.out_dir or str(Path("runs") / cfg.run_name),
    )
    checks = [
        (cfg.loss in LOSSES, f"unknown loss {cfg.loss!r}; choose one of: {', '.join(LOSSES)}"),
        (cfg.steps > 0, f"--steps must be positive, got {cfg.steps}"),
        (cfg.batch_size > 0, f"--batch-size must be positive, got {cfg.batch_size}"),
        (cfg.lr > 0, f"--lr must be positive, got {cfg.lr}"),
        (0 <= cfg.beta1 < 1 and 0 <= cfg.beta2 < 1, "--beta1/--beta2 must lie in [0, 1)"),
        (0 <= cfg.label_smoothing < 0.5, "--label-smoothing must lie in [0, 0.5)"),
        (0 <= cfg.ema < 1, "--ema must lie in [0, 1) (0 disables it)"),
        (0 <= cfg.lr_decay <= 1, "--lr-decay must lie in [0, 1] (a fraction of the run; 0 keeps the rate constant)"),
        (cfg.aux_class_weight >= 0, f"--aux-class-weight must be >= 0, got {cfg.aux_class_weight}"),
        (not cfg.aux_class_weight or cfg.conditional, "--aux-class-weight needs --conditional (it uses the labels)"),
        (not cfg.aux_twin or cfg.aux_class_weight > 0, "--aux-twin needs --aux-class-weight > 0"),
        (cfg.modes >= 0, f"--modes must be >= 0 (0: off), got {cfg.modes}"),
        (not (cfg.modes and cfg.conditional), "--modes replaces the labels: use it without --conditional"),
        (not cfg.aux_class_weight or not cfg.modes, "--aux-class-weight uses real labels; it does not combine with --modes"),
        (cfg.d_steps > 0, f"--d-steps must be positive, got {cfg.d_steps}"),
        (cfg.r1 >= 0, f"--r1 must be >= 0 (0 disables it), got {cfg.r1}"),
        (cfg.r2 >= 0, f"--r2 must be >= 0 (0 disables it), got {cfg.r2}"),
        (0 < cfg.penalty_end <= 1, f"--penalty-end must lie in (0, 1] (1: constant), got {cfg.penalty_end}"),
        (cfg.precision in PRECISIONS, f"unknown precision {cfg.precision!r}; choose one of: {', '.join(PRECISIONS)}"),
        (cfg.limit is None or cfg.limit > 0, f"--limit must be positive, got {cfg.limit}"),
        (min(cfg.sample_every, cfg.checkpoint_every, cfg.log_every) > 0, "--*-every intervals must be positive"),
        (cfg.snapshot_every >= 0, "--snapshot-every must be 0 (off) or positive"),
        (cfg.device in ("auto", "cpu", "cuda", "mps") or cfg.device.startswith("cuda:"),
         f"unknown device {cfg.device!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)
    return cfg


PRECISIONS = ("fp32", "bf16")
# Lazy regularisation (Karras et al., 2020): R1 on every 4th D update, weighted 4x, costs a quarter
# of the double backward and trains the same.
R1_EVERY = 4


def autocast(device: torch.device, precision: str):
    """bfloat16 autocast for "bf16" (on CPUs with AVX512-BF16/AMX about 1.4x faster for the dcgan
    preset), a no-op for "fp32"."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


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


class RealBatches:
    """Batches by index from the in-memory uint8 set. Global batch k is a pure function of
    (seed, k): epoch e = k // batches_per_epoch is a permutation seeded by (seed, e), dropping
    the tail. Under torchrun, rank r of N takes the r-th 1/N slice of every global batch."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, seed: int,
                 data_range: tuple[float, float], device: torch.device, rank: int = 0, world_size: int = 1):
        if batch_size > len(images):
            raise ValueError(f"--batch-size {batch_size} is larger than the data set ({len(images)} images)")
        self.images, self.labels, self.batch_size, self.seed = images, labels, batch_size, seed
        self.data_range, self.device = data_range, device
        self.shard = shard_slice(batch_size, rank, world_size)
        self.per_epoch = len(images) // batch_size
        self._epoch, self._perm = -1, None

    def __getitem__(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, i = divmod(k, self.per_epoch)
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(len(self.images), generator=g)
        idx = self._perm[i * self.batch_size:(i + 1) * self.batch_size][self.shard]
        x = to_model_range(self.images[idx], self.data_range).to(self.device, non_blocking=True)
        return x, self.labels[idx].to(self.device, non_blocking=True)


def shard_slice(global_batch: int, rank: int, world_size: int) -> slice:
    per_rank = global_batch // world_size
    return slice(rank * per_rank, (rank + 1) * per_rank)


@torch.no_grad()
def update_ema(ema_model: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    ema_params, params = list(ema_model.parameters()), list(model.parameters())
    torch._foreach_lerp_(ema_params, params, 1.0 - decay)
    for b_ema, b in zip(ema_model.buffers(), model.buffers()):
        b_ema.copy_(b)


@torch.no_grad()
def recalibrate_batchnorm(generator: torch.nn.Module, num_classes: int, n: int = 2048, batch: int = 256) -> None:
    """Recompute BatchNorm running statistics for these exact weights (EMA weights never saw
    the running stats they inherit). Uses its own RNG so training randomness is untouched."""
    bns = [m for m in generator.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    device = next(generator.parameters()).device
    g = torch.Generator().manual_seed(1234)
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all recalibration batches
    generator.train()
    for start in range(0, n, batch):
        z = torch.randn(batch, generator.latent_dim, generator=g).to(device)
        y = torch.randint(0, num_classes, (batch,), generator=g).to(device) if num_classes else None
        generator(z, y)
    for m, momentum in zip(bns, saved):
        m.momentum = momentum
    generator.eval()


class GracefulStop:
    """Turn SIGINT/SIGTERM into a flag the loop checks, so it can save before exiting."""

    def __init__(self):
        self.requested = False

    def __enter__(self):
        self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        for s, handler in self._old.items():
            signal.signal(s, handler)


class TrainingDiverged(RuntimeError):
    pass


def fixed_latents(latent_dim: int, num_classes: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The sample-grid batch: 8x8 unconditional, or 10 rows x 10 classes (one z per row)."""
    if not num_classes:
        return latent_for_seeds(range(64), latent_dim), None
    z = latent_for_seeds(range(10), latent_dim).repeat_interleave(num_classes, dim=0)
    return z, torch.arange(num_classes).repeat(10)


def build_models(cfg: TrainConfig, num_classes: int, device: torch.device):
    """(arch, generator args, G, D, EMA copy of G or None, G optimizer, D optimizer) for a resolved config."""
    arch, g_args, d_args = preset_models(cfg.preset, num_classes)
    if cfg.aux_class_weight:
        d_args["class_head"] = True
        d_args["twin_class_head"] = cfg.aux_twin
    G = build_generator(arch, **g_args).to(device)
    D = build_discriminator(arch, **d_args).to(device)
    ema_G = copy.deepcopy(G) if cfg.ema else None
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    return arch, g_args, G, D, ema_G, opt_g, opt_d


def lr_scale(step: int, steps: int, decay: float) -> float:
    """1 until the last `decay` fraction of the run, then linearly down to 0 at the final step."""
    decay_steps = decay * steps
    return 1.0 if decay_steps <= 0 else min(1.0, (steps - step) / decay_steps)


def train_step(G, D, opt_g, opt_d, ema_G, batches: RealBatches, step: int, cfg: TrainConfig,
               conditional: bool) -> tuple[torch.Tensor, ...]:
    """One generator update after cfg.d_steps discriminator updates; returns (loss_d, loss_g, d_real, d_fake).

    G and D may be DistributedDataParallel wrappers. Every rank draws the same global noise and
    keeps its slice, so results do not depend on how many processes share the batch.
    """
    g, d = unwrap(G), unwrap(D)
    device = next(g.parameters()).device
    aux = conditional and cfg.aux_class_weight > 0
    for opt in (opt_g, opt_d):
        for group in opt.param_groups:
            group["lr"] = cfg.lr * lr_scale(step, cfg.steps, cfg.lr_decay)

    def noise() -> torch.Tensor:
        return torch.randn(cfg.batch_size, g.latent_dim, device=device)[batches.shard]

    def discriminate(net, images, labels) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """(logit, class logits, twin class logits), in fp32 for the losses whatever the forward ran in."""
        with autocast(device, cfg.precision):
            out = net(images, labels, classes=aux)
        return tuple(None if t is None else t.float() for t in (out if aux else (out, None, None)))

    for j in range(cfg.d_steps):
        x, y = batches[step * cfg.d_steps + j]
        y = y if conditional else None
        with torch.no_grad(), autocast(device, cfg.precision):
            fake = g(noise(), y).float()
        # Real and fake in one forward: one DDP reduction, and D has no BatchNorm to mix them.
        out, class_logits, twin_logits = discriminate(D, torch.cat([x, fake]), None if y is None else torch.cat([y, y]))
        d_real, d_fake = out[:len(x)], out[len(x):]
        loss_d = discriminator_loss(cfg.loss, d_real, d_fake, 1.0 - cfg.label_smoothing)
        if aux:  # D's class head learns from real images only, so G cannot teach it its own mistakes
            loss_d = loss_d + cfg.aux_class_weight * F.cross_entropy(class_logits[:len(x)], y)
        if twin_logits is not None:  # the twin learns how G's images read, class by class
            loss_d = loss_d + cfg.aux_class_weight * F.cross_entropy(twin_logits[len(x):], y)
        if cfg.loss == "wgan-gp":  # DDP cannot double-backward: the penalty goes through the bare module
            with autocast(device, cfg.precision):
                loss_d = loss_d + GP_WEIGHT * gradient_penalty(d, x, fake, y).float()
        if (cfg.r1 or cfg.r2) and (step * cfg.d_steps + j) % R1_EVERY == 0:  # also through the bare module
            weight = R1_EVERY / 2 * penalty_scale(step, cfg.steps, cfg.penalty_end)
            with autocast(device, cfg.precision):
                if cfg.r1:
                    loss_d = loss_d + cfg.r1 * weight * r1_penalty(d, x, y).float()
                if cfg.r2:
                    loss_d = loss_d + cfg.r2 * weight * r1_penalty(d, fake, y).float()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

    d.requires_grad_(False)  # G's step needs gradients through D, not for D
    with autocast(device, cfg.precision):
        fake = G(noise(), y)
    out, class_logits, twin_logits = discriminate(d, fake, y)
    paired = None
    if cfg.loss in PAIRED_LOSSES:  # the last real batch, judged again by the updated D
        with torch.no_grad():
            paired = discriminate(d, x, y)[0]
    loss_g = generator_loss(cfg.loss, out, paired)
    if aux:
        loss_g = loss_g + cfg.aux_class_weight * F.cross_entropy(class_logits, y)
    if twin_logits is not None:
        # AC-GAN alone also rewards G for images far from class boundaries (it lowers their class
        # entropy), sharper than real data; subtracting the twin's loss cancels that term.
        loss_g = loss_g - cfg.aux_class_weight * F.cross_entropy(twin_logits, y)
    d.requires_grad_(True)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    if ema_G is not None:
        update_ema(ema_G, g, min(cfg.ema, (1 + step) / (10 + step)))  # warm-up for early steps
    return loss_d, loss_g, d_real, d_fake


def train(cfg: TrainConfig) -> Path:
    """Run (or resume) training; return the path of the exported generator checkpoint.

    Under torchrun every rank runs this; rank 0 alone writes logs, samples and checkpoints.
    """
    cfg = resolve(cfg)
    # Ctrl-C / SIGTERM from here on saves (or, before the first step, ends cleanly with nothing to save).
    with GracefulStop() as stop:
        ctx = setup(pick_device(cfg.device))
        try:
            return _train(cfg, ctx, stop)
        finally:
            teardown(ctx)


class StoppedBeforeTraining(Exception):
    """A stop request arrived while the run was still loading: there is nothing to save."""


def _train(cfg: TrainConfig, ctx, stop: GracefulStop) -> Path:
    device = ctx.device
    if cfg.batch_size % ctx.world_size:
        raise ValueError(f"--batch-size {cfg.batch_size} (global) must divide evenly over {ctx.world_size} processes")
    if cfg.sync_bn and ctx.enabled and device.type != "cuda":
        raise ValueError("--sync-bn needs CUDA: PyTorch's SyncBatchNorm has no CPU implementation")
    out = Path(cfg.out_dir)
    state_path = out / "state.pt"
    own_images = is_folder_dataset(cfg.dataset)
    names = class_names(cfg.dataset) if own_images else list(dataset_info(cfg.dataset).class_names)
    # Networks are conditional on classes, or on label-free modes; a modes model samples without one.
    num_classes = len(names) if cfg.conditional else cfg.modes

    torch.manual_seed(cfg.seed)
    arch, g_args, G, D, ema_G, opt_g, opt_d = build_models(cfg, num_classes, device)
    data_range = output_range(G)

    step, train_seconds = 0, 0.0
    if cfg.resume and state_path.exists():
        step, train_seconds = restore(state_path, cfg, G, D, ema_G, opt_g, opt_d)
        if ctx.is_main:
            trim_log(out / "log.jsonl", step)
    elif cfg.resume and ctx.is_main:
        print(f"no state at {state_path}; starting a new run", file=sys.stderr)
    if cfg.sync_bn and ctx.enabled:
        G = torch.nn.SyncBatchNorm.convert_sync_batchnorm(G)
    G, D = wrap(G, ctx, device), wrap(D, ctx, device)

    skipped = 0
    if own_images:
        folder = load_folder(cfg.dataset, cfg.limit)
        images, labels, skipped = folder.images, folder.labels, len(folder.skipped)
        if skipped and ctx.is_main:
            print(f"skipped {skipped} unusable file(s), e.g. {folder.skipped[0][0]}: {folder.skipped[0][1]}",
                  file=sys.stderr)
    else:
        images, labels = load_dataset(cfg.dataset, "train", cfg.data_dir, limit=cfg.limit)
    modes = None
    if cfg.modes:  # the labels are dropped here: the modes come from the pixels alone
        labels, frequencies = cluster_images(images, cfg.modes, seed=cfg.seed)
        modes = {"count": cfg.modes, "frequencies": [round(f, 6) for f in frequencies],
                 "method": f"k-means (k={cfg.modes}) on {PCA_DIMS} principal components of the pixels"}
    batches = RealBatches(images, labels, cfg.batch_size, cfg.seed, data_range, device, ctx.rank, ctx.world_size)
    # A modes model's sampling latent has one extra coordinate, the mode's (see SelfConditioned).
    fixed_z, fixed_y = fixed_latents(unwrap(G).latent_dim + bool(modes), 0 if modes else num_classes)

    def snapshot_due() -> bool:
        return bool(cfg.snapshot_every) and (step % cfg.snapshot_every == 0 or step == cfg.steps)

    def export() -> Path:
        with torch.random.fork_rng(devices=[]):  # building initialises weights: keep training's RNG untouched
            model = build_generator(arch, **g_args).to(device)  # a plain module, whatever wraps G
        model.load_state_dict((ema_G if ema_G is not None else unwrap(G)).state_dict())
        recalibrate_batchnorm(model, num_classes)
        shown = SelfConditioned(model, modes["frequencies"]) if modes else model
        grid = make_grid(generate(shown, fixed_z, fixed_y), nrow=10 if fixed_y is not None else 8, scale=2)
        atomic_write(out / "samples" / f"step_{step:06d}.png", png_bytes(grid))  # a kill must not leave half a PNG
        meta = {
            "kind": "generator", "name": cfg.run_name, "dataset": cfg.dataset,
            "class_names": names, "arch": arch, "generator_args": g_args,
            "latent_dim": shown.latent_dim, "num_classes": 0 if modes else num_classes,
            "conditional": bool(num_classes) and not modes, **({"modes": modes} if modes else {}),
            "data_range": list(data_range), "preset": cfg.preset, "loss": cfg.loss,
            "steps": step, "batch_size": cfg.batch_size, "seed": cfg.seed, "ema": cfg.ema,
            "parameters": count_parameters(model), "train_seconds": round(train_seconds, 1),
            "device": str(device), "processes": ctx.world_size, "version": __version__,
            **({"images": len(images), "skipped_files": skipped} if own_images else {}),
            "config": dataclasses.asdict(cfg),
        }
        if snapshot_due():  # kept for metric-vs-time curves (bench/time_to_quality.py)
            save_generator(out / "snapshots" / f"step_{step:06d}", model, meta)
        return save_generator(out / "generator", model, meta)

    def checkpoint() -> Path:
        # Outputs first, state last: once state.pt says step N, step N's grid and generator exist
        # (a kill in between only means --resume redoes those steps and rewrites them identically).
        path = export()
        save_training_state(state_path, {
            "step": step, "train_seconds": train_seconds, "config": dataclasses.asdict(cfg),
            "G": unwrap(G).state_dict(), "D": unwrap(D).state_dict(),
            "ema_G": ema_G.state_dict() if ema_G else None,
            "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else [],
        })
        return path

    if ctx.is_main:
        (out / "samples").mkdir(parents=True, exist_ok=True)
        if warning := precision_warning(cfg.precision, device):
            print(warning, file=sys.stderr)
        print(f"{cfg.run_name}: G {count_parameters(G):,} params, D {count_parameters(D):,} params, "
              f"{len(images):,} images, loss {cfg.loss}, global batch {cfg.batch_size} over {ctx.world_size} "
              f"process(es), device {device}", file=sys.stderr)
    from tqdm import tqdm

    if any_rank(ctx, stop.requested)[0] and step == 0:
        raise StoppedBeforeTraining("stopped before the first training step: nothing was saved")
    G.train(), D.train()
    log = open(out / "log.jsonl" if ctx.is_main else os.devnull, "a", buffering=1)  # line-buffered: tail -f works
    bar = tqdm(total=cfg.steps, initial=step, disable=not (cfg.progress and ctx.is_main), unit="step",
               dynamic_ncols=True)
    t_last, step_last = time.perf_counter(), step
    stopping = False
    with log, bar:
        while step < cfg.steps and not stopping:
            t0 = time.perf_counter()
            loss_d, loss_g, d_real, d_fake = train_step(G, D, opt_g, opt_d, ema_G, batches, step, cfg,
                                                        bool(num_classes))
            step += 1
            train_seconds += time.perf_counter() - t0
            # Every rank must take the same decision, or the others would wait forever in a collective.
            stopping, diverged = any_rank(ctx, stop.requested,
                                          not bool(torch.isfinite(loss_d) and torch.isfinite(loss_g)))
            if diverged:
                raise TrainingDiverged(
                    f"step {step}: loss became non-finite (D {loss_d.item()}, G {loss_g.item()}); stopped "
                    f"without saving. The last good checkpoint in {out} is intact; try a lower --lr or "
                    f"another --loss.")
            if ctx.is_main and (step % cfg.log_every == 0 or step == cfg.steps):
                ld, lg = loss_d.item(), loss_g.item()
                now = time.perf_counter()
                rate = (step - step_last) * cfg.batch_size * cfg.d_steps / max(now - t_last, 1e-9)
                t_last, step_last = now, step
                log.write(json.dumps({"step": step, "loss_d": round(ld, 5), "loss_g": round(lg, 5),
                                      "d_real": round(d_real.mean().item(), 4),
                                      "d_fake": round(d_fake.mean().item(), 4),
                                      "img_per_s": round(rate), "train_seconds": round(train_seconds, 2)}) + "\n")
                bar.set_postfix(D=f"{ld:.3f}", G=f"{lg:.3f}", img_s=f"{rate:.0f}")
            bar.update(1)
            if ctx.is_main and step % cfg.checkpoint_every == 0 and step < cfg.steps:
                checkpoint()
            elif ctx.is_main and (step % cfg.sample_every == 0 or snapshot_due()) and step < cfg.steps:
                export()
        path = checkpoint() if ctx.is_main else checkpoint_paths(out / "generator")[0]
    if ctx.enabled:
        torch.distributed.barrier()  # the checkpoint exists for every rank once train() returns
    if ctx.is_main:
        if stopping and step < cfg.steps:
            print(f"interrupted at step {step}; saved. Continue with --resume --out-dir {out}", file=sys.stderr)
        write_progress_gif(out)
        write_loss_chart(out)
    return path


def restore(state_path: Path, cfg: TrainConfig, G, D, ema_G, opt_g, opt_d) -> tuple[int, float]:
    state = load_training_state(state_path)
    saved = state.get("config", {})
    # A key missing from an older state had the value of that time (the R2 penalty and its schedule came later).
    defaults = {**dataclasses.asdict(TrainConfig()), "r2": 0.0, "penalty_end": 1.0}
    diffs = [f"{k}: saved {saved.get(k, defaults[k])!r}, now {v!r}" for k, v in dataclasses.asdict(cfg).items()
             if k not in RESUMABLE_CHANGES and saved.get(k, defaults[k]) != v]
    if diffs:
        raise CheckpointError(f"{state_path}: cannot resume with different settings:\n  " + "\n  ".join(diffs))
    try:
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        if ema_G is not None:
            ema_G.load_state_dict(state["ema_G"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
    except (KeyError, RuntimeError, ValueError) as e:
        raise CheckpointError(f"{state_path}: training state does not match this model ({e})") from None
    torch.set_rng_state(state["rng_cpu"])
    if state.get("rng_cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng_cuda"])
    print(f"resumed from step {state['step']}", file=sys.stderr)
    return int(state["step"]), float(state["train_seconds"])


def trim_log(path: Path, step: int) -> None:
    """Drop log lines written after the checkpoint we resume from (they will be redone), and a
    line torn by a crash mid-write."""
    if path.exists():
        lines = path.read_text().splitlines()
        kept = [line for line in lines if (row := parse_log_line(line)) and row["step"] <= step]
        atomic_write(path, "".join(line + "\n" for line in kept).encode())


def parse_log_line(line: str) -> dict | None:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def write_progress_gif(out: Path) -> None:
    from PIL import Image

    frames = [Image.open(p).convert("L") for p in sorted((out / "samples").glob("step_*.png"))]
    if frames:
        atomic_write(out / "progress.gif", gif_bytes(frames, frame_ms=300, boomerang=False))


def read_log(path: Path) -> list[dict]:
    """The rows of a run's log.jsonl, skipping a line torn by a crash; [] when there is none yet."""
    if not path.exists():
        return []
    return [row for line in path.read_text().splitlines() if (row := parse_log_line(line))]


def write_loss_chart(out: Path) -> None:
    """losses.png: D and G loss (trailing mean over ~2% of the run) against step."""
    from .plots import line_chart, moving_average

    rows = read_log(out / "log.jsonl")
    if len(rows) < 2:
        return
    steps, window = [r["step"] for r in rows], max(1, len(rows) // 50)
    series = {f"{net} loss (trailing mean)": (steps, moving_average([r[key] for r in rows], window))
              for net, key in (("D", "loss_d"), ("G", "loss_g"))}
    atomic_write(out / "losses.png", png_bytes(line_chart(series, title=f"{out.name}: losses", x_label="step",
                                                          y_label="loss")))


def build_parser() -> argparse.ArgumentParser:
    presets = "\n".join(f"  {name:10s} {p.description}" for name, p in PRESETS.items())
    ap = argparse.ArgumentParser(
        prog="python -m gan.train", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a GAN on MNIST or Fashion-MNIST and write generator checkpoints.",
        epilog=f"presets:\n{presets}\n\nFlags left unset take the preset's value.")
    a = ap.add_argument
    a("--dataset", default="mnist",
      help="mnist, fashion, or folder:PATH for your own images (sub-folders = classes; default: mnist)")
    a("--preset", choices=list(PRESETS), default="dcgan", help="architecture + recipe (default: dcgan)")
    a("--conditional", action="store_true", help="train a class-conditional model (pick the class when sampling)")
    a("--modes", type=int, default=0,
      help="self-conditioned, without labels: cluster the images into this many modes (k-means on pixels), train "
           "conditional on them, sample each seed's mode by frequency (default: 0, off)")
    a("--loss", choices=LOSSES, help="adversarial loss: minimax, nonsat (non-saturating), lsgan, hinge, wgan-gp")
    a("--steps", type=int, help="generator updates to train for (total, also when resuming)")
    a("--batch-size", type=int, help="real images per discriminator step")
    a("--lr", type=float, help="Adam learning rate for both networks")
    a("--beta1", type=float, help="Adam beta1 (GANs like 0.5)")
    a("--beta2", type=float, help="Adam beta2")
    a("--label-smoothing", type=float, help="one-sided: real target = 1 - this (e.g. 0.1)")
    a("--ema", type=float, help="EMA decay of generator weights used for sampling (0 disables)")
    a("--lr-decay", type=float, default=0.0,
      help="fraction of the run at its end over which the learning rates fall linearly to 0 (default: 0, constant)")
    a("--aux-class-weight", type=float, default=0.0,
      help="conditional runs: weight of an AC-GAN class loss (D's extra head classifies real images, G is "
           "trained to make samples it classifies as requested); sharper classes, less variety (default: 0, off)")
    a("--aux-twin", action="store_true",
      help="with --aux-class-weight: TAC-GAN's twin classifier, which removes AC-GAN's bias towards "
           "images sharper than the real classes (more variety near class boundaries)")
    a("--d-steps", type=int, default=1, help="discriminator updates per generator update (default: 1)")
    a("--r1", type=float,
      help=f"gamma of the R1 penalty (gamma/2 * |grad D|^2 on real images, every {R1_EVERY}th D update), any loss "
           "(0: off)")
    a("--r2", type=float, help="gamma of the R2 penalty: R1 on generated images (0: off)")
    a("--penalty-end", type=float,
      help="R1/R2 weight at the end of the run as a fraction of the start, cosine schedule (1: constant)")
    a("--precision", choices=PRECISIONS, default="fp32",
      help="fp32, or bf16: forward passes in bfloat16 autocast, ~1.4x faster on CPUs with AVX512-BF16/AMX "
           "but many times slower on CPUs without them, e.g. AVX2 only (weights and optimiser stay fp32; "
           "default: fp32)")
    a("--seed", type=int, default=0, help="seed for weights, noise and data order (default: 0)")
    a("--data-dir", help="folder holding the IDX .gz files (else $GAN_DATA_DIR, data/, known places, download)")
    a("--limit", type=int, help="train on the first N images only (quick experiments, tests)")
    a("--out-dir", help="run folder for checkpoints, samples and logs (default: runs/<dataset>-<preset>[-cond])")
    a("--sample-every", type=int, default=500, help="steps between sample grids (default: 500)")
    a("--checkpoint-every", type=int, default=1000, help="steps between resumable checkpoints (default: 1000)")
    a("--snapshot-every", type=int, default=0,
      help="also keep the generator every N steps in <out-dir>/snapshots/ (metric-vs-time curves; default: off)")
    a("--log-every", type=int, default=10, help="steps between log.jsonl lines (default: 10)")
    a("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    a("--sync-bn", action="store_true", help="under torchrun on GPUs: BatchNorm statistics over the global batch")
    a("--resume", action="store_true", help="continue from <out-dir>/state.pt exactly where it stopped")
    a("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = TrainConfig(**vars(args))
    try:
        path = train(cfg)
    except StoppedBeforeTraining as e:
        print(e, file=sys.stderr)
        return 0
    except (ValueError, DataError, CheckpointError, TrainingDiverged) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"checkpoint: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
