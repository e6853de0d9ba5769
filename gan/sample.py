"""Sample images from a generator checkpoint on the command line.

    python -m gan.sample --checkpoint checkpoints/mnist-dcgan.safetensors --seed 0 --n 64 --out grid.png
    python -m gan.sample --checkpoint ... --class 3 --n 16 --out threes.png          # conditional models
    python -m gan.sample --checkpoint ... --interpolate 1 2 --frames 16 --out walk.gif
    python -m gan.sample --checkpoint ... --critic-keep 0.5 --out kept.png   # the critic's favourite half

With --critic-keep F the grid is chosen from n / F candidates (seeds seed, seed + 1, ...) by the
model's critic (gan/judging/), per class or mode; the kept seeds are printed, so the grid can be
redrawn. What it trades (fidelity for variety) is measured in docs/critic.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from gan.devices import add_device_argument, module_device, pick_device
from gan.checkpoint import CheckpointError, load_generator
from gan.judging.selection import RULES, keep_by_critic
from gan.judging.verdict import Critic
from gan.sampling.images import gif_bytes, make_grid, upscale
from gan.sampling.latents import interpolate, latent_for_seeds, sample


def class_index(meta: dict, name: str | None) -> int | None:
    """Accept a class index or a class name (case-insensitive)."""
    if not meta["num_classes"]:
        if name is not None:
            raise ValueError("--class given but this model is unconditional")
        return None
    if name is None:
        raise ValueError(f"this model is conditional: pass --class (0-{meta['num_classes'] - 1} or a name)")
    names = [c.lower() for c in meta.get("class_names", [])]
    if name.lower() in names:
        return names.index(name.lower())
    if name.isdigit() and int(name) < meta["num_classes"]:
        return int(name)
    raise ValueError(f"unknown class {name!r}; choose 0-{meta['num_classes'] - 1} or one of {meta['class_names']}")


def critic_kept(G, args, label: int | None):
    """The grid's pictures as the critic keeps them; prints the kept seeds."""
    if not 0.1 <= args.critic_keep <= 1 or args.truncation != 1:
        raise ValueError("--critic-keep must lie in 0.1-1, on untruncated samples (--truncation 1)")
    critic = Critic.load(args.checkpoint, module_device(G))
    if critic is None:
        raise ValueError("this model has no critic: python -m gan.critic fit --checkpoint ...")
    labels = None if label is None else torch.full((args.n,), label, device="cpu")
    kept = keep_by_critic(G, critic.net, critic.tables, args.seed, args.n, args.critic_keep, args.critic_rule,
                          labels=labels)
    print(f"kept {args.n} of {kept.candidates} candidates; seeds: {', '.join(map(str, kept.seeds))}")
    return sample(G, z=kept.z, labels=label)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gan.sample", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="NAME.safetensors (with NAME.json beside it)")
    ap.add_argument("--seed", type=int, default=0, help="first seed; image i uses seed+i (default: 0)")
    ap.add_argument("--n", type=int, default=64, help="number of images in the grid (default: 64)")
    ap.add_argument("--class", dest="klass", help="class index or name, for conditional models")
    ap.add_argument("--truncation", type=float, default=1.0, help="scale latents (<1: cleaner, >1: wilder)")
    ap.add_argument("--interpolate", nargs=2, type=int, metavar=("SEED_A", "SEED_B"),
                    help="write an animated walk between two seeds' latents instead of a grid")
    ap.add_argument("--frames", type=int, default=16, help="frames of the interpolation (default: 16)")
    ap.add_argument("--mode", choices=("lerp", "slerp"), default="slerp", help="interpolation path")
    ap.add_argument("--scale", type=int, default=4, help="nearest-neighbour upscale factor (default: 4)")
    ap.add_argument("--critic-keep", type=float, default=1.0, metavar="F",
                    help="keep the critic's best fraction F of n/F candidates (default 1: plain sampling)")
    ap.add_argument("--critic-rule", choices=RULES, default="top",
                    help="top: the best-scored; drs: Discriminator Rejection Sampling (default: top)")
    ap.add_argument("--out", required=True, help="output .png (grid or strip) or .gif (interpolation)")
    add_device_argument(ap)
    args = ap.parse_args(argv)
    try:
        if not 1 <= args.n <= 1024 or not 2 <= args.frames <= 256:
            raise ValueError("--n must lie in 1-1024 and --frames in 2-256")
        G, meta = load_generator(args.checkpoint, pick_device(args.device))
        label = class_index(meta, args.klass)
        if args.interpolate:
            z0, z1 = latent_for_seeds(args.interpolate, G.latent_dim)
            frames = sample(G, z=interpolate(z0, z1, args.frames, args.mode), labels=label,
                            truncation=args.truncation)
            if Path(args.out).suffix.lower() == ".gif":
                Path(args.out).write_bytes(gif_bytes([upscale(f, args.scale) for f in frames]))
            else:
                make_grid(frames, nrow=len(frames), scale=args.scale).save(args.out)
        elif args.critic_keep < 1:
            images = critic_kept(G, args, label)
            make_grid(images, scale=args.scale).save(args.out)
        else:
            images = sample(G, seeds=range(args.seed, args.seed + args.n), labels=label,
                            truncation=args.truncation)
            make_grid(images, scale=args.scale).save(args.out)
    except (CheckpointError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
