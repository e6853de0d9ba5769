"""The training loop: `train(config)` trains a GAN and writes generator checkpoints
(`python -m gan.train`, gan/train.py, is its command line).

A run folder holds: `generator.safetensors` + `generator.json` (the checkpoint to ship),
`state.pt` (full training state for --resume), `log.jsonl` (losses per logged step),
`samples/step_XXXXXX.png` (a fixed latent batch, comparable across steps), `progress.gif`,
`losses.png`, and with --snapshot-every, `snapshots/step_XXXXXX.*` (generators for metric-vs-time).

Determinism: every random draw comes from the global torch RNG (seeded, saved in the state)
or from generators seeded by (seed, epoch), so the same seed and flags give the same weights,
and a resumed run continues exactly where the interrupted one stopped.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import signal
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gan import __version__
from gan.checkpoint import (
    CheckpointError,
    checkpoint_paths,
    discriminator_meta,
    generator_meta,
    load_training_state,
    save_discriminator,
    save_generator,
    save_training_state,
)
from gan.data import training_sets
from gan.data.modes import PCA_DIMS, cluster_images
from gan.fileio import atomic_write
from gan.models import SelfConditioned, build_discriminator, build_generator, count_parameters, preset_models
from gan.sampling.images import gif_bytes, make_grid, png_bytes
from gan.sampling.latents import generate, latent_for_seeds, output_range
from gan.training.augment import diff_augment
from gan.training.batches import RealBatches
from gan.training.config import RESUMABLE_CHANGES, TrainConfig, resolve
from gan.devices import module_device, pick_device
from gan.training.device import autocast, gradient_scaler, precision_warning
from gan.training.distributed import any_rank, setup, teardown, unwrap, wrap
from gan.training.ema import recalibrate_batchnorm, update_ema
from gan.training.losses import (
    GP_WEIGHT,
    PAIRED_LOSSES,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    mode_seeking_penalty,
    penalty_scale,
    r1_penalty,
)
from gan.training.run_log import read_log, trim_log

# Lazy regularisation (Karras et al., 2020): R1 on every 4th D update, weighted 4x, costs a quarter
# of the double backward and trains the same.
R1_EVERY = 4


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


GRID_TILES = 100  # about as many pictures as a progress grid shows


def fixed_latents(latent_dim: int, num_classes: int) -> tuple[torch.Tensor, torch.Tensor | None, int]:
    """The progress grid's batch and its columns: 8x8 unconditional, or one column per class and
    one z per row (10 rows for 10 classes; fewer rows for more classes, at least one)."""
    if not num_classes:
        return latent_for_seeds(range(64), latent_dim), None, 8
    rows = max(1, min(10, GRID_TILES // num_classes))
    z = latent_for_seeds(range(rows), latent_dim).repeat_interleave(num_classes, dim=0)
    return z, torch.arange(num_classes, device="cpu").repeat(rows), num_classes


def discriminator_args(cfg: TrainConfig, num_classes: int, image_shape=training_sets.GREY_28) -> dict:
    """D's constructor arguments for a resolved config (the preset's, with the AC/TAC-GAN heads)."""
    d_args = preset_models(cfg.preset, num_classes, image_shape)[2]
    if cfg.aux_class_weight:
        d_args["class_head"] = True
        d_args["twin_class_head"] = cfg.aux_twin
    return d_args


def build_models(cfg: TrainConfig, num_classes: int, device: torch.device, image_shape=training_sets.GREY_28):
    """(arch, generator args, G, D, EMA copy of G or None, G optimizer, D optimizer) for a resolved config."""
    arch, g_args, _ = preset_models(cfg.preset, num_classes, image_shape)
    d_args = discriminator_args(cfg, num_classes, image_shape)
    G = build_generator(arch, **g_args).to(device)
    D = build_discriminator(arch, **d_args).to(device)
    ema_G = copy.deepcopy(G) if cfg.ema else None
    opt_g, opt_d = adam(G, cfg, device), adam(D, cfg, device)
    return arch, g_args, G, D, ema_G, opt_g, opt_d


def adam(net: torch.nn.Module, cfg: TrainConfig, device: torch.device) -> torch.optim.Adam:
    """Adam with its fused kernel on the CPU and CUDA: one pass over each parameter instead of a
    dozen small ones. Up to 1.3x for the MLP steps where the optimiser shows (bf16, or one thread),
    level elsewhere (docs/performance.md, bench/train_throughput.py --options)."""
    fused = True if device.type in ("cpu", "cuda") else None  # None: the default (foreach) elsewhere
    return torch.optim.Adam(net.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), fused=fused)


def tug_of_war(d_real: torch.Tensor, d_fake: torch.Tensor) -> dict:
    """D's scores on the batch's real and generated pictures, for the Train tab's tug of war: their
    10/50/90 % quantiles, and how often a real picture outscores a generated one (1: D separates
    them perfectly, 0.5: it cannot tell them apart)."""
    q = torch.tensor([0.1, 0.5, 0.9], device=d_real.device)
    real, fake = d_real.detach().float().flatten(), d_fake.detach().float().flatten()
    return {"real_q": [round(v, 4) for v in torch.quantile(real, q).tolist()],
            "fake_q": [round(v, 4) for v in torch.quantile(fake, q).tolist()],
            "separation": round((real[:, None] > fake[None, :]).float().mean().item(), 4)}


def lr_scale(step: int, steps: int, decay: float) -> float:
    """1 until the last `decay` fraction of the run, then linearly down to 0 at the final step."""
    decay_steps = decay * steps
    return 1.0 if decay_steps <= 0 else min(1.0, (steps - step) / decay_steps)


def descend(loss: torch.Tensor, opt: torch.optim.Optimizer, scaler) -> None:
    """One optimiser step on `loss`, through the fp16 gradient scaler where there is one."""
    opt.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        opt.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()


def train_step(G, D, opt_g, opt_d, ema_G, batches: RealBatches, step: int, cfg: TrainConfig,
               conditional: bool, scalers: tuple | None = None) -> tuple[torch.Tensor, ...]:
    """One generator update after cfg.d_steps discriminator updates; returns (loss_d, loss_g, d_real, d_fake).

    scalers: (G's, D's) gradient scalers for fp16 (gan/training/device.py), else None. Nothing here
    waits for the device: the losses come back as tensors, to be read when they are logged.

    G and D may be DistributedDataParallel wrappers. Every rank draws the same global noise and
    keeps its slice, so results do not depend on how many processes share the batch.
    """
    g, d = unwrap(G), unwrap(D)
    device = module_device(g)
    aux = conditional and cfg.aux_class_weight > 0
    scaler_g, scaler_d = scalers if scalers is not None and scalers[0].is_enabled() else (None, None)
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

    def seen(images: torch.Tensor) -> torch.Tensor:  # what D sees of every image
        return diff_augment(images, cfg.diffaugment) if cfg.diffaugment else images

    for j in range(cfg.d_steps):
        x, y = batches[step * cfg.d_steps + j]
        y = y if conditional else None
        with torch.no_grad(), autocast(device, cfg.precision):
            fake = g(noise(), y).float()
        x, fake = seen(x), seen(fake)
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
        descend(loss_d, opt_d, scaler_d)

    d.requires_grad_(False)  # G's step needs gradients through D, not for D
    z, y_fake = noise(), y
    if cfg.mode_seeking and y is not None:  # MSGAN compares two latents of the same class: pair the halves' labels
        y_fake = torch.cat([y[:len(y) // 2], y[:len(y) - len(y) // 2]])
    with autocast(device, cfg.precision):
        fake = G(z, y_fake)
    out, class_logits, twin_logits = discriminate(d, seen(fake), y_fake)
    paired = None
    if cfg.loss in PAIRED_LOSSES:  # the last real batch, judged again by the updated D
        with torch.no_grad():
            paired = discriminate(d, x, y)[0]
    loss_g = generator_loss(cfg.loss, out, paired)
    if aux:
        loss_g = loss_g + cfg.aux_class_weight * F.cross_entropy(class_logits, y_fake)
    if twin_logits is not None:
        # AC-GAN alone also rewards G for images far from class boundaries (it lowers their class
        # entropy), sharper than real data; subtracting the twin's loss cancels that term.
        loss_g = loss_g - cfg.aux_class_weight * F.cross_entropy(twin_logits, y_fake)
    if cfg.mode_seeking:
        loss_g = loss_g + cfg.mode_seeking * mode_seeking_penalty(z, fake.float())
    d.requires_grad_(True)
    descend(loss_g, opt_g, scaler_g)
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
    own_images = training_sets.is_own(cfg.dataset)
    names = training_sets.class_names(cfg.dataset)
    shape = training_sets.image_shape(cfg.dataset)
    # Networks are conditional on classes, or on label-free modes; a modes model samples without one.
    num_classes = len(names) if cfg.conditional else cfg.modes

    torch.manual_seed(cfg.seed)
    arch, g_args, G, D, ema_G, opt_g, opt_d = build_models(cfg, num_classes, device, shape)
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

    data = training_sets.load(cfg.dataset, "train", cfg.data_dir, cfg.limit)
    images, labels, skipped = data.images, data.labels, len(data.skipped)
    if skipped and ctx.is_main:
        print(f"skipped {skipped} unusable file(s), e.g. {data.skipped[0][0]}: {data.skipped[0][1]}",
              file=sys.stderr)
    modes = None
    if cfg.modes:  # the labels are dropped here: the modes come from the pixels alone
        labels, frequencies = cluster_images(images, cfg.modes, seed=cfg.seed)
        modes = {"count": cfg.modes, "frequencies": [round(f, 6) for f in frequencies],
                 "method": f"k-means (k={cfg.modes}) on {PCA_DIMS} principal components of the pixels"}
    batches = RealBatches(images, labels, cfg.batch_size, cfg.seed, data_range, device, ctx.rank, ctx.world_size)
    # A modes model's sampling latent has one extra coordinate, the mode's (see SelfConditioned).
    fixed_z, fixed_y, grid_columns = fixed_latents(unwrap(G).latent_dim + bool(modes), 0 if modes else num_classes)

    def snapshot_due() -> bool:
        return bool(cfg.snapshot_every) and (step % cfg.snapshot_every == 0 or step == cfg.steps)

    def export() -> Path:
        with torch.random.fork_rng(devices=[]):  # building initialises weights: keep training's RNG untouched
            model = build_generator(arch, **g_args).to(device)  # a plain module, whatever wraps G
        model.load_state_dict((ema_G if ema_G is not None else unwrap(G)).state_dict())
        recalibrate_batchnorm(model, num_classes)
        shown = SelfConditioned(model, modes["frequencies"]) if modes else model
        grid = make_grid(generate(shown, fixed_z, fixed_y), nrow=grid_columns, scale=2)
        atomic_write(out / "samples" / f"step_{step:06d}.png", png_bytes(grid))  # a kill must not leave half a PNG
        meta = generator_meta(
            name=cfg.run_name, dataset=cfg.dataset, class_names=names, arch=arch, generator_args=g_args,
            latent_dim=shown.latent_dim, num_classes=0 if modes else num_classes, modes=modes,
            data_range=data_range, preset=cfg.preset, loss=cfg.loss, steps=step, batch_size=cfg.batch_size,
            seed=cfg.seed, ema=cfg.ema, parameters=count_parameters(model), train_seconds=train_seconds,
            device=str(device), processes=ctx.world_size, version=__version__, config=dataclasses.asdict(cfg),
            image_shape=shape,
            **({"images": len(images), "skipped_files": skipped} if own_images else {}))
        if snapshot_due():  # kept for metric-vs-time curves (bench/time_to_quality.py)
            save_generator(out / "snapshots" / f"step_{step:06d}", model, meta)
        path = save_generator(out / "generator", model, meta)
        # The discriminator beside it: the half of the GAN that knows where G is still wrong (#42).
        save_discriminator(path, unwrap(D), discriminator_meta(
            path, arch=arch, discriminator_args=discriminator_args(cfg, num_classes, shape), dataset=cfg.dataset,
            class_names=names, data_range=data_range, steps=step, trained_against="generator (raw, not EMA)"))
        return path

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
    scalers = (gradient_scaler(device, cfg.precision), gradient_scaler(device, cfg.precision))
    # Finiteness is gathered on the device and read only when the host needs the step's results anyway
    # (a log line, a grid, a checkpoint): reading it every step would make a GPU wait for each step.
    first_nonfinite = torch.zeros((), dtype=torch.long, device=device)  # 0: none yet
    with log, bar:
        while step < cfg.steps and not stopping:
            t0 = time.perf_counter()
            loss_d, loss_g, d_real, d_fake = train_step(G, D, opt_g, opt_d, ema_G, batches, step, cfg,
                                                        bool(num_classes), scalers)
            step += 1
            train_seconds += time.perf_counter() - t0
            bad = ~(torch.isfinite(loss_d) & torch.isfinite(loss_g)) & (first_nonfinite == 0)
            first_nonfinite = torch.where(bad, step, first_nonfinite)
            log_due = step % cfg.log_every == 0 or step == cfg.steps
            checkpoint_due = step % cfg.checkpoint_every == 0 and step < cfg.steps
            export_due = (step % cfg.sample_every == 0 or snapshot_due()) and step < cfg.steps
            if not (log_due or checkpoint_due or export_due):
                bar.update(1)
                continue
            # Every rank must take the same decision, or the others would wait forever in a collective.
            stopping, diverged = any_rank(ctx, stop.requested, bool(first_nonfinite))
            if diverged:
                raise TrainingDiverged(
                    f"step {int(first_nonfinite)}: loss became non-finite (at step {step}: D {loss_d.item()}, "
                    f"G {loss_g.item()}); stopped "
                    f"without saving. The last good checkpoint in {out} is intact; try a lower --lr or "
                    f"another --loss.")
            if ctx.is_main and log_due:
                ld, lg = loss_d.item(), loss_g.item()
                now = time.perf_counter()
                rate = (step - step_last) * cfg.batch_size * cfg.d_steps / max(now - t_last, 1e-9)
                t_last, step_last = now, step
                log.write(json.dumps({"step": step, "loss_d": round(ld, 5), "loss_g": round(lg, 5),
                                      "d_real": round(d_real.mean().item(), 4),
                                      "d_fake": round(d_fake.mean().item(), 4), **tug_of_war(d_real, d_fake),
                                      "img_per_s": round(rate), "train_seconds": round(train_seconds, 2)}) + "\n")
                bar.set_postfix(D=f"{ld:.3f}", G=f"{lg:.3f}", img_s=f"{rate:.0f}")
            bar.update(1)
            if ctx.is_main and checkpoint_due:
                checkpoint()
            elif ctx.is_main and export_due:
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


def write_progress_gif(out: Path) -> None:
    from PIL import Image

    frames = [Image.open(p) for p in sorted((out / "samples").glob("step_*.png"))]
    frames = [f.convert("RGB" if f.mode == "RGB" else "L") for f in frames]
    if frames:
        atomic_write(out / "progress.gif", gif_bytes(frames, frame_ms=300, boomerang=False))


def write_loss_chart(out: Path) -> None:
    """losses.png: D and G loss (trailing mean over ~2% of the run) against step."""
    from gan.sampling.plots import line_chart, moving_average

    rows = read_log(out / "log.jsonl")
    if len(rows) < 2:
        return
    steps, window = [r["step"] for r in rows], max(1, len(rows) // 50)
    series = {f"{net} loss (trailing mean)": (steps, moving_average([r[key] for r in rows], window))
              for net, key in (("D", "loss_d"), ("G", "loss_g"))}
    atomic_write(out / "losses.png", png_bytes(line_chart(series, title=f"{out.name}: losses", x_label="step",
                                                          y_label="loss")))
