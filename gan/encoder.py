"""`python -m gan.encoder`: train the inversion encoder of a generator and save it beside the checkpoint.

    python -m gan.encoder --checkpoint checkpoints/mnist-dcgan-cond.safetensors

The encoder network, its training and its files are gan/inversion/encoder_net.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gan.devices import add_device_argument, pick_device
from gan.checkpoint import CheckpointError
from gan.fileio import file_sha256
from gan.inversion.encoder_net import EncoderConfig, save_encoder, train_encoder


def main(argv: list[str] | None = None) -> int:
    from gan.checkpoint import load_generator

    ap = argparse.ArgumentParser(prog="python -m gan.encoder", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="generator .safetensors (with its .json)")
    ap.add_argument("--steps", type=int, default=EncoderConfig.steps)
    ap.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    ap.add_argument("--data-dir", help="folder with the data set's IDX files (default: GAN_DATA_DIR, known places)")
    add_device_argument(ap)
    args = ap.parse_args(argv)
    try:
        generator, meta = load_generator(args.checkpoint, pick_device(args.device))
    except (CheckpointError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.steps < 1:
        print("error: --steps must be at least 1", file=sys.stderr)
        return 2
    cfg = EncoderConfig(steps=args.steps, precision=args.precision)
    encoder, info = train_encoder(generator, meta, cfg, args.data_dir)
    encoder = encoder.cpu()
    info["generator"] = Path(args.checkpoint).name
    info["generator_sha256"] = file_sha256(args.checkpoint)
    path = save_encoder(args.checkpoint, encoder, info)
    print(f"wrote {path}: held-out generated images: {info['generated_heldout']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
