"""Real images in batches: global batch k is a pure function of (seed, k), so runs are reproducible,
resumable at any step, and split identically over any number of processes."""

from __future__ import annotations

import torch

from gan.data.idx import to_model_range


class RealBatches:
    """Batches by index from the in-memory uint8 set. Global batch k is a pure function of
    (seed, k): epoch e = k // batches_per_epoch is a permutation seeded by (seed, e), dropping
    the tail. Under torchrun, rank r of N takes the r-th 1/N slice of every global batch."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, seed: int,
                 data_range: tuple[float, float], device: torch.device, rank: int = 0, world_size: int = 1):
        if batch_size > len(images):
            raise ValueError(f"--batch-size {batch_size} is larger than the data set ({len(images)} images)")
        self.images, self.labels, self.batch_size, self.seed = images, labels, batch_size, seed
        self.data_range, self.device = data_range, device
        self.shard = shard_slice(batch_size, rank, world_size)
        self.per_epoch = len(images) // batch_size
        self._epoch, self._perm = -1, None

    def __getitem__(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, i = divmod(k, self.per_epoch)
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(len(self.images), generator=g)
        idx = self._perm[i * self.batch_size:(i + 1) * self.batch_size][self.shard]
        x = to_model_range(self.images[idx], self.data_range).to(self.device, non_blocking=True)
        return x, self.labels[idx].to(self.device, non_blocking=True)


def shard_slice(global_batch: int, rank: int, world_size: int) -> slice:
    per_rank = global_batch // world_size
    return slice(rank * per_rank, (rank + 1) * per_rank)
