"""Every setting of a training run, with the preset's defaults filled in and checked.

`TrainConfig` is what `python -m gan.train` builds from its flags (gan/train.py); `resolve` fills the
values left unset from the preset (gan/models.py) and refuses impossible combinations with a
message naming the flag. A run's config is stored in its checkpoint and its resumable state;
`RESUMABLE_CHANGES` are the settings a --resume may change."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from gan.data import training_sets
from gan.data.idx import DEFAULT_DATASET, DataError
from gan.models import PRESETS, preset_models
from gan.training.augment import PARTS as AUGMENTATIONS
from gan.training.augment import is_policy
from gan.training.losses import LOSSES


@dataclass
class TrainConfig:
    dataset: str = DEFAULT_DATASET
    preset: str = "dcgan"
    conditional: bool = False
    modes: int = 0  # > 0: self-conditioned on this many label-free k-means modes (gan/data/modes.py)
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
    mode_seeking: float = 0.0  # weight of MSGAN's term: G is penalised when two latents give near-identical pictures
    d_steps: int = 1
    r1: float | None = None  # gamma of the R1 penalty on D's gradient at real images (0: off)
    r2: float | None = None  # gamma of R2, the same penalty at generated images (0: off)
    penalty_end: float | None = None  # R1/R2 weight at the last step, as a fraction of the first (cosine)
    diffaugment: str = ""  # DiffAugment policy on everything D sees, e.g. "translation,cutout" (gan/training/augment.py)
    precision: str = "fp32"  # "bf16"/"fp16": forward passes under autocast (weights, optimiser and EMA stay fp32)
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
        data = training_sets.short_name(self.dataset)
        return f"{data}-{self.preset}" + ("-cond" if self.conditional else f"-modes{self.modes}" if self.modes else "")


# Flags that may differ between an interrupted run and its --resume.
# lr_decay: a finished run can be continued with a decaying rate (the schedule is a function of step/steps).
RESUMABLE_CHANGES = {"steps", "lr_decay", "out_dir", "sample_every", "checkpoint_every", "snapshot_every",
                     "log_every", "device", "resume", "progress", "data_dir", "sync_bn"}


def resolve(cfg: TrainConfig) -> TrainConfig:
    """Fill preset defaults and validate; raise ValueError with a readable message."""
    if cfg.preset not in PRESETS:
        raise ValueError(f"unknown preset {cfg.preset!r}; choose one of: {', '.join(PRESETS)}")
    try:
        classes = training_sets.class_names(cfg.dataset)
        shape = training_sets.image_shape(cfg.dataset)
        preset_models(cfg.preset, 0, shape)  # a preset without a layout for the pictures' size says so here
    except (DataError, ValueError) as e:
        raise ValueError(str(e)) from None
    if training_sets.is_own(cfg.dataset):  # stored with the absolute path, for --resume
        if cfg.conditional and len(classes) < 2:
            raise ValueError(f"--conditional needs at least 2 classes in {training_sets.location(cfg.dataset)}, "
                             f"found {len(classes)}")
        cfg = dataclasses.replace(cfg, dataset=training_sets.absolute(cfg.dataset))
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
        (cfg.mode_seeking >= 0, f"--mode-seeking must be >= 0 (0: off), got {cfg.mode_seeking}"),
        (cfg.d_steps > 0, f"--d-steps must be positive, got {cfg.d_steps}"),
        (cfg.r1 >= 0, f"--r1 must be >= 0 (0 disables it), got {cfg.r1}"),
        (cfg.r2 >= 0, f"--r2 must be >= 0 (0 disables it), got {cfg.r2}"),
        (0 < cfg.penalty_end <= 1, f"--penalty-end must lie in (0, 1] (1: constant), got {cfg.penalty_end}"),
        (cfg.precision in PRECISIONS, f"unknown precision {cfg.precision!r}; choose one of: {', '.join(PRECISIONS)}"),
        (cfg.limit is None or cfg.limit > 0, f"--limit must be positive, got {cfg.limit}"),
        (not cfg.diffaugment or is_policy(cfg.diffaugment),
         f"--diffaugment takes a comma-separated list of {', '.join(AUGMENTATIONS)}, got {cfg.diffaugment!r}"),
        (min(cfg.sample_every, cfg.checkpoint_every, cfg.log_every) > 0, "--*-every intervals must be positive"),
        (cfg.snapshot_every >= 0, "--snapshot-every must be 0 (off) or positive"),
        (cfg.device in ("auto", "cpu", "cuda", "mps") or cfg.device.startswith("cuda:"),
         f"unknown device {cfg.device!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)
    return cfg


PRECISIONS = ("fp32", "bf16", "fp16")
