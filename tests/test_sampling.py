import io

import numpy as np
import pytest
import torch
from PIL import Image

from gan import gif_bytes, interpolate, latent_for_seeds, load_generator, make_grid
from gan.sample import main as sample_main
from gan.sampling.latents import sample


def test_same_seed_same_image_whatever_came_before(trained_checkpoint):
    G, _ = load_generator(trained_checkpoint)
    alone = sample(G, seeds=[7])
    sample(G, seeds=range(100, 150))  # unrelated work in between
    in_grid = sample(G, seeds=range(64))[7]
    assert alone.shape == (1, 28, 28) and alone.dtype == np.uint8
    assert (alone[0] == in_grid).all()
    assert not (sample(G, seeds=[8])[0] == alone[0]).all()


def test_truncation_zero_collapses_to_the_mean_latent(trained_checkpoint):
    G, _ = load_generator(trained_checkpoint)
    images = sample(G, seeds=range(4), truncation=0.0)
    assert all((img == images[0]).all() for img in images)


def test_conditional_labels(conditional_checkpoint):
    G, meta = load_generator(conditional_checkpoint)
    assert meta["conditional"] and meta["num_classes"] == 10
    threes = sample(G, seeds=range(8), labels=3)
    eights = sample(G, seeds=range(8), labels=8)
    assert not (threes == eights).all()
    mixed = sample(G, seeds=range(2), labels=[3, 8])
    assert (mixed[0] == threes[0]).all() and (mixed[1] == eights[1]).all()
    with pytest.raises(ValueError, match="class-conditional"):
        sample(G, seeds=[0])
    with pytest.raises(ValueError, match="out of range"):
        sample(G, seeds=[0], labels=10)


def test_interpolation_endpoints_and_slerp_norm():
    z0, z1 = latent_for_seeds([1, 2], 64)
    for mode in ("lerp", "slerp"):
        path = interpolate(z0, z1, 9, mode)
        assert path.shape == (9, 64)
        assert torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)
    lerp_mid, slerp_mid = interpolate(z0, z1, 3, "lerp")[1], interpolate(z0, z1, 3, "slerp")[1]
    typical = (z0.norm() + z1.norm()) / 2
    assert abs(slerp_mid.norm() - typical) < abs(lerp_mid.norm() - typical)
    with pytest.raises(ValueError):
        interpolate(z0, z1, 1)
    with pytest.raises(ValueError):
        interpolate(z0, z1, 4, "cubic")


def test_make_grid_layout_and_nearest_upscale():
    images = np.stack([np.full((28, 28), 10 * i, np.uint8) for i in range(10)])
    grid = make_grid(images, padding=2)
    assert grid.size == (4 * 30 + 2, 3 * 30 + 2) and grid.mode == "L"  # 10 images -> 4 columns, 3 rows
    arr = np.asarray(grid)
    assert arr[2, 2] == 0 and arr[2, 32] == 10 and arr[32, 2] == 40
    big = make_grid(images, nrow=10, padding=0, scale=3)
    assert big.size == (840, 84) and set(np.unique(np.asarray(big))) == set(range(0, 100, 10))


def test_gif_bytes_loops_and_boomerangs():
    frames = [Image.new("L", (8, 8), v) for v in (0, 100, 200)]
    gif = Image.open(io.BytesIO(gif_bytes(frames)))
    assert gif.n_frames == 4 and gif.info.get("loop") == 0


def test_sample_cli_grid_and_gif(trained_checkpoint, conditional_checkpoint, tmp_path):
    assert sample_main(["--checkpoint", str(trained_checkpoint), "--n", "16", "--out", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size == (4 * (4 * 30 + 2),) * 2
    assert sample_main(["--checkpoint", str(trained_checkpoint), "--interpolate", "0", "1", "--frames", "8",
                        "--out", str(tmp_path / "w.gif")]) == 0
    assert Image.open(tmp_path / "w.gif").n_frames == 14
    assert sample_main(["--checkpoint", str(conditional_checkpoint), "--class", "7", "--n", "4",
                        "--out", str(tmp_path / "c.png")]) == 0
    assert sample_main(["--checkpoint", str(conditional_checkpoint), "--n", "4", "--out", str(tmp_path / "x.png")]) == 2
    assert sample_main(["--checkpoint", str(tmp_path / "missing"), "--out", str(tmp_path / "y.png")]) == 2


@pytest.mark.parametrize("tile", [(28, 28), (32, 32), (64, 64), (20, 36)])
@pytest.mark.parametrize("n, ncol", [(64, 8), (30, 10), (7, 3)])
def test_a_click_finds_the_tile_make_grid_drew_there(tile, n, ncol):
    from gan.sampling.images import grid_size, make_grid, tile_index

    images = np.stack([np.full(tile, i + 1, np.uint8) for i in range(n)])  # tile i painted with i + 1
    grid = np.asarray(make_grid(images, nrow=ncol))
    assert grid.shape[::-1] == grid_size(n, ncol, tile)
    ys, xs = np.nonzero(grid)
    for y, x in zip(ys[::97], xs[::97]):
        assert tile_index(x + 0.5, y + 0.5, n, ncol, tile) == grid[y, x] - 1
