"""`python -m gan.neighbours`: the nearest training images of a generated picture.

    python -m gan.neighbours --checkpoint checkpoints/mnist-dcgan.safetensors --seed 42 --out nn.png

The index is gan/evaluation/training_index.py."""

from __future__ import annotations

import argparse
import sys

from gan.devices import add_device_argument, pick_device
from gan.data.idx import DataError
from gan.evaluation.training_index import TrainingIndex, closeness_sentence, neighbours_image


def main(argv: list[str] | None = None) -> int:
    from gan.checkpoint import CheckpointError, load_generator
    from gan.sampling.latents import sample

    ap = argparse.ArgumentParser(prog="python -m gan.neighbours", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="generator checkpoint whose sample to look up")
    ap.add_argument("--build", metavar="DATASET",  # mnist, fashion or prepared:PATH
                    help="only build (or check) the cached index of this data set, then exit")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--class", dest="label", help="class name, for conditional models")
    ap.add_argument("--truncation", type=float, default=1.0)
    ap.add_argument("--out", default="neighbours.png")
    ap.add_argument("--data-dir")
    add_device_argument(ap)  # where the sample is drawn; the index lookup runs on the CPU
    args = ap.parse_args(argv)
    if args.build:
        try:
            index = TrainingIndex.load_or_build(args.build, args.data_dir, log=lambda m: print(m, file=sys.stderr))
        except (CheckpointError, DataError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"{args.build} index ready: {TrainingIndex.cache_path(args.build, args.data_dir)} "
              f"({index.nbytes / 2**20:.0f} MB)")
        return 0
    if not args.checkpoint:
        ap.error("give --checkpoint (or --build DATASET)")
    try:
        generator, meta = load_generator(args.checkpoint, pick_device(args.device))
        label = None
        if meta["num_classes"]:
            names = meta.get("class_names", [])
            if args.label not in names:
                raise ValueError(f"this model is conditional: --class must be one of {names}")
            label = names.index(args.label)
        image = sample(generator, seeds=[args.seed], labels=label, truncation=args.truncation)[0]
        index = TrainingIndex.load_or_build(meta["dataset"], args.data_dir, log=lambda m: print(m, file=sys.stderr))
    except (CheckpointError, DataError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    found = index.lookup(image)
    neighbours_image(image, found, index.pixels).save(args.out)
    print(closeness_sentence(found))
    print("nearest by features: " + ", ".join(f"#{i} {d:.2f}" for i, d in zip(found.feature_ids, found.feature_distances)))
    print("nearest by pixels:   " + ", ".join(f"#{i} {d:.3f}" for i, d in zip(found.pixel_ids, found.pixel_distances)))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
