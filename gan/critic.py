"""Fit a model's critic, and ask it about pictures, on the command line.

    python -m gan.critic fit --checkpoint checkpoints/mnist-dcgan.safetensors [--steps 2000]
    python -m gan.critic calibrate --checkpoint ...     # redo the tables of a fitted critic
    python -m gan.critic judge --checkpoint checkpoints/mnist-dcgan.safetensors --seed 7
    python -m gan.critic judge --checkpoint ... --picture my-digit.png [--class 3]

`fit` writes NAME.discriminator.safetensors + .json beside the generator (gan/judging/fit.py);
`judge` prints the critic's verdict on a sample (by seed) or a picture, as two percentiles.
Sampling with the critic is `python -m gan.sample --critic-keep F`.
"""

from __future__ import annotations

import argparse
import sys

import torch

from gan.devices import add_device_argument, pick_device
from gan.checkpoint import CheckpointError, image_shape, load_generator
from gan.data.idx import DataError, to_model_range
from gan.data.pictures import BadPicture, model_picture, open_picture
from gan.judging.fit import CriticConfig, fit_critic, generated, recalibrate
from gan.judging.verdict import Critic
from gan.sample import class_index
from gan.sampling.images import from_display
from gan.sampling.latents import latent_for_seeds


def judge(args) -> str:
    device = pick_device(args.device)
    generator, meta = load_generator(args.checkpoint, device)
    critic = Critic.load(args.checkpoint, device)
    if critic is None:
        raise CheckpointError(f"{args.checkpoint}: no critic fitted to these weights (run: python -m gan.critic fit)")
    label = class_index(meta, args.klass)
    labels = None if label is None else torch.tensor([label], device="cpu")
    if args.picture:
        shown = model_picture(open_picture(args.picture), meta["dataset"], image_shape(meta))
        image = to_model_range(from_display(shown[None]), (-1.0, 1.0))
    else:
        image = generated(generator, latent_for_seeds([args.seed], generator.latent_dim), labels)
    return critic.verdicts(image, labels)[0].sentence()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gan.critic", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("fit", help="fit and calibrate the critic of a generator checkpoint")
    fit.add_argument("--checkpoint", required=True)
    fit.add_argument("--steps", type=int, default=CriticConfig.steps)
    fit.add_argument("--lr", type=float, default=CriticConfig.lr)
    fit.add_argument("--r1", type=float, default=CriticConfig.r1)
    fit.add_argument("--data-dir", default=None)
    cal = sub.add_parser("calibrate", help="redo the calibration tables of a fitted critic (not its weights)")
    cal.add_argument("--checkpoint", required=True)
    cal.add_argument("--data-dir", default=None)
    one = sub.add_parser("judge", help="the critic's verdict on a sample or a picture")
    one.add_argument("--checkpoint", required=True)
    one.add_argument("--seed", type=int, default=0, help="judge the sample of this seed")
    one.add_argument("--picture", help="judge this picture instead (prepared as for inversion)")
    one.add_argument("--class", dest="klass", help="the picture's class, for conditional models")
    for command in (fit, cal, one):
        add_device_argument(command)
    args = ap.parse_args(argv)
    try:
        if args.command == "fit":
            sidecar = fit_critic(args.checkpoint, CriticConfig(steps=args.steps, lr=args.lr, r1=args.r1), args.data_dir,
                                 device=pick_device(args.device))
            print(f"fitted in {sidecar['critic']['fit_seconds']} s; Platt a, b = {sidecar['critic']['platt']}")
        elif args.command == "calibrate":
            print(f"Platt a, b = {recalibrate(args.checkpoint, data_dir=args.data_dir, device=pick_device(args.device))['critic']['platt']}")
        else:
            print(judge(args))
    except (CheckpointError, DataError, BadPicture, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
