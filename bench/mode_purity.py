"""Self-conditioning, measured: how pure the label-free modes are, and how much FD moves with the seeds.

    python bench/mode_purity.py --purity                                     # per data set and K
    python bench/mode_purity.py --seed-sets checkpoints/mnist-dcgan-modes.safetensors

--purity: k-means modes of the training images (gan/data/modes.py) for K = 10, 20, 40, 100, and the
share of images whose label is the majority label of their mode (labels are read here only to
score the clusters; training never sees them).
--seed-sets: FD-classifier of a checkpoint on 10,000 samples from three disjoint seed ranges,
the evaluation's own and two others: how far FD moves with nothing but the seeds.
"""

from __future__ import annotations

import argparse

import torch

from gan.checkpoint import load_generator
from gan.data.idx import load_dataset
from gan.data.modes import cluster_images
from gan.evaluation.evaluator_net import embed
from gan.evaluation.scores import EVAL_SEED, NUM_SAMPLES, compare, real_reference
from gan.sampling.latents import latent_for_seeds, output_range


def purity(dataset: str, k: int) -> float:
    images, labels = load_dataset(dataset, "train")
    ids, _ = cluster_images(images, k)
    return sum(torch.bincount(labels[ids == c], minlength=10).max().item() for c in range(k)) / len(labels)


@torch.inference_mode()
def fd_for_seeds(path: str, first_seed: int, n: int = NUM_SAMPLES) -> float:
    generator, meta = load_generator(path)
    classifier, real_feats, real_probs, _ = real_reference(meta["dataset"])
    lo, hi = output_range(generator)
    z = latent_for_seeds(range(first_seed, first_seed + n), generator.latent_dim)
    images = torch.cat([generator(z[i:i + 1000]).clamp(lo, hi) for i in range(0, n, 1000)])
    feats, probs = embed(classifier, (images - lo) / (hi - lo) * 2 - 1)
    return compare(feats, probs, real_feats, real_probs)["fd"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--purity", action="store_true")
    ap.add_argument("--ks", type=int, nargs="+", default=[10, 20, 40, 100])
    ap.add_argument("--seed-sets", metavar="CHECKPOINT", help="an unconditional (or self-conditioned) generator")
    args = ap.parse_args()
    if args.purity:
        for dataset in ("mnist", "fashion"):
            print(dataset, " ".join(f"K={k}: {purity(dataset, k):.2f}" for k in args.ks), flush=True)
    if args.seed_sets:
        fds = [fd_for_seeds(args.seed_sets, first) for first in (EVAL_SEED, 7_000_000, 9_000_000)]
        print(f"FD-classifier over three seed sets: {', '.join(f'{f:.2f}' for f in fds)} "
              f"(spread {max(fds) - min(fds):.2f})")


if __name__ == "__main__":
    main()
