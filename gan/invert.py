"""`python -m gan.invert`: find a picture in a generator (its latent and class), from the command line.

    python -m gan.invert --checkpoint checkpoints/mnist-dcgan-cond.safetensors --image my-digit.png --out found.png

The search itself is gan/inversion/search.py."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from gan.devices import add_device_argument, pick_device
from gan.inversion.search import DEFAULT_STEPS, invert
from gan.sampling.latents import format_latent


def main(argv: list[str] | None = None) -> int:
    from gan.checkpoint import CheckpointError, image_shape, load_generator
    from gan.data.pictures import BadPicture, model_picture, open_picture
    from gan.evaluation.evaluator_net import load_classifier
    from gan.inversion.encoder_net import load_encoder
    from gan.sampling.images import make_grid

    ap = argparse.ArgumentParser(prog="python -m gan.invert", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="generator .safetensors (with its .json)")
    ap.add_argument("--image", required=True, help="a picture: PNG/JPEG/WebP, any size, colour or grey")
    ap.add_argument("--out", default="found.png", help="writes [input as the model sees it | reconstruction]")
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"optimisation steps (default {DEFAULT_STEPS})")
    add_device_argument(ap)
    args = ap.parse_args(argv)
    try:
        device = pick_device(args.device)
        generator, meta = load_generator(args.checkpoint, device)
        with open(args.image, "rb") as file:
            target = model_picture(open_picture(file), meta["dataset"], image_shape(meta))
        try:
            classifier = load_classifier(meta["dataset"])[0].to(device)
        except CheckpointError:
            classifier = None
        encoder = load_encoder(args.checkpoint)
        found = invert(generator, target, args.steps, classifier, None if encoder is None else encoder.to(device))
    except (CheckpointError, OSError, BadPicture, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    make_grid(np.stack([target, found.image]), nrow=2, scale=8).save(args.out)
    names = meta.get("class_names", [])
    print(f"distance {found.distance:.4f} (mean absolute pixel difference, 0-1); start: {found.start}")
    if found.ranking:
        print("classes, best first: " + ", ".join(f"{names[c] if c < len(names) else c} {d:.4f}"
                                                  for c, d in found.ranking))
    print("latent: " + format_latent(found.z))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
