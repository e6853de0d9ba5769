"""`python -m gan.evaluate`: FD-classifier and friends for generator checkpoints (and the real-data floor).

    python -m gan.evaluate --checkpoint runs/mnist-dcgan/generator.safetensors
    python -m gan.evaluate --real --dataset fashion

The metrics are gan/evaluation/scores.py."""

from __future__ import annotations

import argparse
import json
import sys

from gan.devices import add_device_argument, pick_device
from gan.checkpoint import CheckpointError, checkpoint_paths
from gan.data.idx import DATASETS, DataError
from gan.evaluation.inception_fid import InceptionUnavailable, load_extractor
from gan.evaluation.scores import NUM_SAMPLES, evaluate_generator, evaluate_real
from gan.fileio import atomic_write


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gan.evaluate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", nargs="*", default=[], help="generator checkpoint(s) to evaluate")
    ap.add_argument("--real", action="store_true", help="also report real train vs test (the floor)")
    ap.add_argument("--dataset", help=f"data set for --real: {', '.join(DATASETS)} or prepared:PATH")
    ap.add_argument("--n", type=int, default=NUM_SAMPLES, help=f"samples (default {NUM_SAMPLES})")
    ap.add_argument("--per-class", action="store_true",
                    help="conditional models: FD and accuracy per class, beside real training images")
    ap.add_argument("--write", action="store_true", help="store the metrics in each checkpoint's JSON sidecar")
    ap.add_argument("--inception", action="store_true",
                    help="also Inception FID, if pytorch-fid or torch-fidelity and their weights are available (slow)")
    ap.add_argument("--data-dir")
    ap.add_argument("--evaluators", help="folder of evaluator classifiers (default: checkpoints/evaluators)")
    add_device_argument(ap)  # where the generator draws its samples; the evaluator's features are on the CPU
    args = ap.parse_args(argv)
    if not args.checkpoint and not args.real:
        ap.error("give --checkpoint PATH... and/or --real --dataset NAME")
    try:
        if not 100 <= args.n <= 50_000:
            raise ValueError("--n must lie in 100-50000")
        if args.real:
            if not args.dataset:
                raise ValueError("--real needs --dataset")
            print(json.dumps({"real": args.dataset, **evaluate_real(args.dataset, args.n, args.data_dir, args.evaluators)}))
        inception = None
        if args.inception and args.checkpoint:
            try:
                backend, inception = load_extractor()
                print(f"Inception FID with {backend}", file=sys.stderr)
            except InceptionUnavailable as e:
                print(e, file=sys.stderr)
        for path in args.checkpoint:
            metrics = evaluate_generator(path, args.n, args.data_dir, args.evaluators, inception, args.per_class,
                                         device=pick_device(args.device))
            rows = metrics.pop("per_class", None)  # only conditional models have one
            print(json.dumps({"checkpoint": str(path), **metrics}))
            if rows is not None:
                print(json.dumps({"checkpoint": str(path), "per_class": rows}))
            if args.write:
                _, sidecar = checkpoint_paths(path)
                meta = json.loads(sidecar.read_text())
                meta["metrics"] = {k: v for k, v in metrics.items() if k != "eval_seconds"}
                atomic_write(sidecar, (json.dumps(meta, indent=2) + "\n").encode())
    except (CheckpointError, DataError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
