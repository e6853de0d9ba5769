"""Label-free modes (gan/data/modes.py) and the self-conditioned generator built on them."""

import torch
from conftest import run_training

from gan.checkpoint import load_generator
from gan.data.modes import cluster_images, kmeans
from gan.models import SelfConditioned, build_generator
from gan.sampling.latents import latent_for_seeds, sample


def blobs(n_per: int = 200, k: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, 8, generator=g) * 10
    sizes = [n_per * (i + 1) for i in range(k)]  # unequal sizes: mode 0 must be the largest
    points = torch.cat([centres[i] + torch.randn(s, 8, generator=g) for i, s in enumerate(sizes)])
    return points, torch.cat([torch.full((s,), i) for i, s in enumerate(sizes)])


def test_kmeans_recovers_separated_clusters_largest_first_and_is_deterministic():
    points, truth = blobs()
    ids = kmeans(points, 4, seed=1)
    assert torch.equal(ids, kmeans(points, 4, seed=1))
    # Each true cluster maps to exactly one id, and ids are ordered by size (largest = 0).
    for c in range(4):
        assert len(ids[truth == c].unique()) == 1
    counts = torch.bincount(ids)
    assert counts.tolist() == sorted(counts.tolist(), reverse=True)


def test_cluster_images_gives_frequencies_that_sum_to_one(mnist_dir):
    from gan.data.idx import load_dataset

    images, labels = load_dataset("mnist", "train", limit=3000)
    ids, freqs = cluster_images(images, 10)
    assert ids.shape == (3000,) and abs(sum(freqs) - 1) < 1e-9 and len(freqs) == 10
    # Pixel clusters carry real information about the digit: far purer than chance (10%).
    purity = sum(torch.bincount(labels[ids == c], minlength=10).max().item() for c in range(10)) / len(ids)
    assert purity > 0.4


def test_self_conditioned_modes_follow_the_frequencies_and_survive_truncation():
    net = build_generator("dcgan", latent_dim=16, base_channels=8, stages=[[4, 2], [1, 2]], num_classes=3)
    G = SelfConditioned(net, [0.6, 0.3, 0.1]).eval()
    assert G.latent_dim == 17 and G.num_classes == 0
    z = latent_for_seeds(range(20_000), G.latent_dim)
    share = torch.bincount(G.modes(z), minlength=3).double() / len(z)
    assert torch.allclose(share, torch.tensor([0.6, 0.3, 0.1], dtype=torch.float64), atol=0.02)
    assert torch.equal(G.modes(z * 0.3), G.modes(z))  # truncation scales z: same modes
    # Sampling with a seed and no class works like an unconditional model, and is reproducible.
    a, b = sample(G, seeds=[5, 6]), sample(G, seeds=[5, 6])
    assert a.shape == (2, 28, 28) and (a == b).all()


def test_training_with_modes_ships_an_unconditional_looking_checkpoint(tmp_path, mnist_dir):
    path = run_training(tmp_path / "run", modes=5, steps=6)
    G, meta = load_generator(path)
    assert isinstance(G, SelfConditioned) and meta["num_classes"] == 0 and not meta["conditional"]
    assert meta["modes"]["count"] == 5 and abs(sum(meta["modes"]["frequencies"]) - 1) < 1e-4
    assert meta["latent_dim"] == G.latent_dim == meta["generator_args"]["latent_dim"] + 1
    assert meta["generator_args"]["num_classes"] == 5  # the network itself is conditional on the modes
    assert sample(G, seeds=range(4)).shape == (4, 28, 28)


def test_modes_refuse_real_labels():
    import pytest

    from gan.training.config import TrainConfig, resolve

    with pytest.raises(ValueError, match="without --conditional"):
        resolve(TrainConfig(modes=10, conditional=True))
    with pytest.raises(ValueError, match="--modes must be >= 0"):
        resolve(TrainConfig(modes=-1))


def test_a_latent_can_be_put_in_any_mode_keeping_its_other_coordinates():
    net = build_generator("dcgan", latent_dim=16, base_channels=8, stages=[[4, 2], [1, 2]], num_classes=5)
    G = SelfConditioned(net, [0.5, 0.3, 0.1, 0.07, 0.03]).eval()
    z = torch.randn(500, G.latent_dim, generator=torch.Generator().manual_seed(0))
    modes = torch.arange(500) % 5
    moved = G.in_mode(z, modes)
    assert torch.equal(G.modes(moved), modes) and torch.equal(moved[:, 1:], z[:, 1:])
    with torch.inference_mode():
        assert torch.allclose(G(moved), G(moved, modes))
