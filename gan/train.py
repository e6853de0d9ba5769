"""`python -m gan.train`: train a GAN on MNIST, Fashion-MNIST or your own images and write generator checkpoints.

    python -m gan.train --dataset mnist --preset dcgan            # project default
    python -m gan.train --dataset fashion --preset dcgan --conditional --steps 16000
    python -m gan.train --out-dir runs/mnist-dcgan --resume         # continue a run exactly
    python -m gan.train --dataset prepared:data/emoji64 --modes 10  # a set made by python -m gan.prepare

The trainer is gan/training/: config.py (the settings), loop.py (the loop), losses.py, run_log.py."""

from __future__ import annotations

import argparse
import sys

from gan.checkpoint import CheckpointError
from gan.devices import DEVICE_HELP
from gan.data.idx import DATASETS, DEFAULT_DATASET, DataError
from gan.models import PRESETS
from gan.training.config import PRECISIONS, TrainConfig
from gan.training.loop import R1_EVERY, StoppedBeforeTraining, TrainingDiverged, train
from gan.training.losses import LOSSES


def build_parser() -> argparse.ArgumentParser:
    presets = "\n".join(f"  {name:10s} {p.description}" for name, p in PRESETS.items())
    ap = argparse.ArgumentParser(
        prog="python -m gan.train", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a GAN on MNIST or Fashion-MNIST and write generator checkpoints.",
        epilog=f"presets:\n{presets}\n\nFlags left unset take the preset's value.")
    a = ap.add_argument
    a("--dataset", default=DEFAULT_DATASET,
      help=f"{', '.join(DATASETS)}, folder:PATH for your own images (sub-folders = classes; made 28x28 grey), "
           f"or prepared:PATH for a set made by python -m gan.prepare (colour, 32 or 64 px; default: {DEFAULT_DATASET})")
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
    a("--mode-seeking", type=float, default=0.0,
      help="weight of MSGAN's mode-seeking term (Mao et al., 2019): G is penalised when two latents of the same "
           "class give near-identical pictures, against mode collapse (default: 0, off; 1 is the paper's)")
    a("--d-steps", type=int, default=1, help="discriminator updates per generator update (default: 1)")
    a("--r1", type=float,
      help=f"gamma of the R1 penalty (gamma/2 * |grad D|^2 on real images, every {R1_EVERY}th D update), any loss "
           "(0: off)")
    a("--r2", type=float, help="gamma of the R2 penalty: R1 on generated images (0: off)")
    a("--penalty-end", type=float,
      help="R1/R2 weight at the end of the run as a fraction of the start, cosine schedule (1: constant)")
    a("--diffaugment", nargs="?", const="color,translation,cutout", default="", metavar="POLICY",
      help="DiffAugment on every image D sees, real or generated (small data sets): a comma-separated policy "
           "of color, translation, cutout (no value: all three)")
    a("--precision", choices=PRECISIONS, default="fp32",
      help="fp32, or bf16: forward passes in bfloat16 autocast, ~1.4x faster on CPUs with AVX512-BF16/AMX "
           "but many times slower on CPUs without them, e.g. AVX2 only; on a GPU, bf16 where it has bfloat16, else fp16; "
           "fp16: float16 autocast with a gradient scaler (weights and optimiser stay fp32; default: fp32)")
    a("--seed", type=int, default=0, help="seed for weights, noise and data order (default: 0)")
    a("--data-dir", help="folder holding the IDX .gz files (else $GAN_DATA_DIR, data/, known places, download)")
    a("--limit", type=int, help="train on the first N images only (quick experiments, tests)")
    a("--out-dir", help="run folder for checkpoints, samples and logs (default: runs/<dataset>-<preset>[-cond])")
    a("--sample-every", type=int, default=500, help="steps between sample grids (default: 500)")
    a("--checkpoint-every", type=int, default=1000, help="steps between resumable checkpoints (default: 1000)")
    a("--snapshot-every", type=int, default=0,
      help="also keep the generator every N steps in <out-dir>/snapshots/ (metric-vs-time curves; default: off)")
    a("--log-every", type=int, default=10, help="steps between log.jsonl lines (default: 10)")
    a("--device", default="auto", help=DEVICE_HELP)
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
