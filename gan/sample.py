"""Sample images from a generator checkpoint on the command line.

    python -m gan.sample --checkpoint checkpoints/mnist-dcgan.safetensors --seed 0 --n 64 --out grid.png
    python -m gan.sample --checkpoint ... --class 3 --n 16 --out threes.png          # conditional models
    python -m gan.sample --checkpoint ... --interpolate 1 2 --frames 16 --out walk.gif
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gan.checkpoint import CheckpointError, load_generator
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
    ap.add_argument("--out", required=True, help="output .png (grid or strip) or .gif (interpolation)")
    args = ap.parse_args(argv)
    try:
        if not 1 <= args.n <= 1024 or not 2 <= args.frames <= 256:
            raise ValueError("--n must lie in 1-1024 and --frames in 2-256")
        G, meta = load_generator(args.checkpoint)
        label = class_index(meta, args.klass)
        if args.interpolate:
            z0, z1 = latent_for_seeds(args.interpolate, G.latent_dim)
            frames = sample(G, z=interpolate(z0, z1, args.frames, args.mode), labels=label,
                            truncation=args.truncation)
            if Path(args.out).suffix.lower() == ".gif":
                Path(args.out).write_bytes(gif_bytes([upscale(f, args.scale) for f in frames]))
            else:
                make_grid(frames, nrow=len(frames), scale=args.scale).save(args.out)
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
