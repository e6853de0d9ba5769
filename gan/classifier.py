"""`python -m gan.classifier`: train the evaluator CNN of a data set (checkpoints/evaluators/).

The network and its files are gan/evaluation/evaluator_net.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gan.devices import add_device_argument, pick_device
from gan.data.idx import DATASETS, DEFAULT_DATASET
from gan.evaluation.evaluator_net import evaluator_path, save_classifier, train_classifier
from gan.paths import evaluators_dir


OWN_EPOCHS = 8


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gan.classifier", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=DEFAULT_DATASET,
                    help=f"{', '.join(DATASETS)} or prepared:PATH (a set without classes is judged by its k-means modes)")
    ap.add_argument("--epochs", type=int, help="default: " + ", ".join(f"{i.classifier_epochs} for {n}"
                                                                       for n, i in DATASETS.items()))
    ap.add_argument("--data-dir")
    ap.add_argument("--out-dir", default=str(evaluators_dir()),
                    help="default: evaluators/ in the checkpoint folder (GAN_CHECKPOINTS)")
    add_device_argument(ap)
    args = ap.parse_args(argv)
    epochs = args.epochs or (DATASETS[args.dataset].classifier_epochs if args.dataset in DATASETS else OWN_EPOCHS)
    model, meta = train_classifier(args.dataset, epochs, data_dir=args.data_dir, device=pick_device(args.device))
    path = evaluator_path(args.dataset, Path(args.out_dir))
    save_classifier(model, meta, path)
    print(f"{path}: test accuracy {meta['test_accuracy']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
