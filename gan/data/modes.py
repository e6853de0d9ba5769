"""Label-free modes of a data set: k-means on pixels, for self-conditioned GANs.

An unconditional GAN must decide, from noise alone, which kind of image to draw, and a sample
half-way between two kinds is what hurts it most. Liu et al. ("Diverse Image Generation via
Self-Conditioned GANs", CVPR 2020) give it the conditional model's advantage without labels:
cluster the training images, train a conditional GAN on the cluster ids, and at sampling time
draw the cluster from its frequency. The clusters here come from plain k-means on
(PCA-reduced) pixels, which needs no labels and no trained network; labels are used only by
the evaluation, never here.
"""

from __future__ import annotations

import torch

PCA_DIMS = 64  # k-means in the top principal components: 12x fewer numbers per distance than 784 pixels
ITERATIONS = 40


def pixel_features(images: torch.Tensor, dims: int = PCA_DIMS) -> torch.Tensor:
    """[N,1,H,W] or [N,H,W] uint8 -> [N,dims] float32 coordinates in the top principal components."""
    x = images.reshape(len(images), -1).float() / 255
    x = x - x.mean(0)
    # The principal axes from a fixed subset of ~10,000 images: a cheaper SVD than on all of them.
    _, _, v = torch.linalg.svd(x[:: max(1, len(x) // 10_000)], full_matrices=False)
    return x @ v[:dims].T


def kmeans(points: torch.Tensor, k: int, seed: int = 0, iterations: int = ITERATIONS) -> torch.Tensor:
    """Cluster ids [N] (int64) by Lloyd's k-means with k-means++ seeding; deterministic in `seed`."""
    if not 1 <= k <= len(points):
        raise ValueError(f"k must lie in 1-{len(points)}, got {k}")
    g = torch.Generator().manual_seed(seed)
    centres = points[torch.randint(len(points), (1,), generator=g)]
    for _ in range(1, k):  # k-means++: each new centre far from the ones chosen so far
        d2 = torch.cdist(points, centres).min(1).values.square()
        if not d2.sum() > 0:  # every point sits on a centre (identical images): any point will do
            d2 = torch.ones_like(d2)
        centres = torch.cat([centres, points[torch.multinomial(d2, 1, generator=g)]])
    for _ in range(iterations):
        ids = torch.cdist(points, centres).argmin(1)
        counts = torch.bincount(ids, minlength=k)
        sums = torch.zeros_like(centres).index_add_(0, ids, points)
        empty = counts == 0  # keep an empty cluster's centre where it was rather than divide by zero
        centres = torch.where(empty[:, None], centres, sums / counts.clamp(min=1)[:, None])
    ids = torch.cdist(points, centres).argmin(1)
    return order_by_size(ids, k)


def order_by_size(ids: torch.Tensor, k: int) -> torch.Tensor:
    """Renumber clusters so that mode 0 is the largest: stable names whatever the seeding order."""
    order = torch.argsort(torch.bincount(ids, minlength=k), descending=True, stable=True)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(k, device=order.device)
    return rank[ids]


def cluster_images(images: torch.Tensor, k: int, seed: int = 0) -> tuple[torch.Tensor, list[float]]:
    """(mode id per image, frequency of each mode) for a uint8 image set."""
    ids = kmeans(pixel_features(images), k, seed)
    frequencies = (torch.bincount(ids, minlength=k).double() / len(ids)).tolist()
    return ids, frequencies
