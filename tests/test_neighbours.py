"""Is it copying? The training-set index, its yardstick, its cache, and the app's use of it."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from test_drawing import SHIPPED

from gan.data.idx import DataError, load_dataset
from gan.evaluation.training_index import TrainingIndex, closeness_sentence, neighbours_image
from gan.neighbours import main
from studio.actions import Studio, tile_at
from studio.neighbour_indexes import NeighbourIndexes
from studio.registry import ModelRegistry
from studio.validation import InvalidInput

LIMIT = 5000  # the first 5,000 training and test images: the same code, a tenth of the build time


@pytest.fixture(scope="module")
def index(mnist_dir):
    return TrainingIndex.build("mnist", limit=LIMIT)


def test_a_training_image_is_found_exactly_and_scores_zero(index):
    image = index.pixels[1234].numpy()
    found = index.lookup(image)
    assert found.pixel_ids[0] == 1234 and found.pixel_distances[0] < 1e-3
    assert found.feature_distances[0] < 1e-2 and found.closeness == 0.0
    assert "exactly training image #1234" in closeness_sentence(found)
    assert index.memorisation(index.pixels[:500])["memorised"] == 1.0  # a "model" replaying training images


def test_real_test_images_score_about_one_percent_and_the_middle(index):
    test, _ = load_dataset("mnist", "test", limit=LIMIT)
    figures = index.memorisation(test)
    assert 0.005 <= figures["memorised"] <= 0.02 and 0.95 <= figures["nn_ratio"] <= 1.05
    ranks = [index.lookup(image).closeness for image in test[-50:].numpy()]
    assert 0.35 <= np.median(ranks) <= 0.65


def test_noise_is_far_from_everything(index):
    noise = torch.randint(0, 256, (20, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    assert index.memorisation(noise)["memorised"] == 0.0 and index.memorisation(noise)["nn_ratio"] > 2
    found = index.lookup(noise[0].numpy())
    assert found.closeness > 0.99 and found.pixel_distances[0] > 0.3 and "no sign of copying" in closeness_sentence(found)
    picture = neighbours_image(noise[0].numpy(), found, index.pixels)
    tile, strip = (28 + 2 * 2) * 3, (8 * 30 + 2) * 3  # make_grid pads by 2 px, then scales by 3
    assert picture.size == (tile + 12 + strip, 2 * (tile + 14))  # [picture | gap | 8 neighbours], captions below


def resident_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024


def test_lookups_from_many_server_threads_agree_and_do_not_grow_memory_per_thread(index):
    # A server hands requests to whichever of its ~40 threads is free: per-thread search buffers
    # (6 MB each) made the app grow with every thread that ever served a lookup.
    image = index.pixels[77].numpy()
    expected = index.lookup(image)
    before = resident_mb()
    with ThreadPoolExecutor(max_workers=12) as pool:
        found = list(pool.map(lambda _: index.lookup(image), range(48)))
    assert all(f == expected for f in found)
    assert resident_mb() - before < 25, "each thread kept its own search buffers"


@pytest.mark.slow
def test_the_index_is_cached_by_hashes_and_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch, mnist_dir):
    monkeypatch.setenv("GAN_CACHE_DIR", str(tmp_path))
    builds = []
    real_build = TrainingIndex.build.__func__

    def counting_build(cls, dataset, data_dir=None, classifier=None, limit=None):
        builds.append(dataset)
        return real_build(cls, dataset, data_dir, classifier, limit=LIMIT)

    monkeypatch.setattr(TrainingIndex, "build", classmethod(counting_build))
    first = TrainingIndex.load_or_build("mnist")
    [cached] = tmp_path.glob("index-mnist-*.safetensors")
    second = TrainingIndex.load_or_build("mnist")
    assert builds == ["mnist"] and torch.equal(first.features, second.features)
    cached.write_bytes(cached.read_bytes()[:1000])
    TrainingIndex.load_or_build("mnist")
    assert builds == ["mnist", "mnist"]
    monkeypatch.setattr("gan.evaluation.training_index.find_data_dir", lambda *args: None)  # a machine without the data set
    with pytest.raises(DataError, match="not on this machine"):
        TrainingIndex.load_or_build("mnist")


def test_cached_indexes_load_before_serving_and_missing_ones_are_left_to_the_background(tmp_path, monkeypatch,
                                                                                      index):
    monkeypatch.setenv("GAN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(TrainingIndex, "build", classmethod(lambda cls, dataset, *args, **kwargs: index))
    TrainingIndex.load_or_build("mnist")  # now cached; fashion is not
    children = []
    monkeypatch.setattr("studio.neighbour_indexes.subprocess.run", lambda command, **kwargs: children.append(command))
    indexes = NeighbourIndexes(["mnist", "fashion"])
    indexes.load_cached()
    assert indexes.get("mnist").features.shape == index.features.shape
    assert children == [] and "fashion: index building" in indexes.status()  # no build before serving
    with pytest.raises(InvalidInput, match="still being built"):
        indexes.get("fashion")


def test_the_app_says_building_then_not_available_and_keeps_working(monkeypatch):
    monkeypatch.setattr("gan.evaluation.training_index.find_data_dir", lambda *args: None)  # a container without the data sets
    registry = ModelRegistry(SHIPPED)
    indexes = NeighbourIndexes(["mnist", "fashion"])
    studio = Studio(registry, indexes=indexes)
    with pytest.raises(InvalidInput, match="still being built"):
        studio.neighbours("mnist-dcgan", 0)
    assert "index building" in indexes.status()
    indexes.build_all()
    with pytest.raises(InvalidInput, match="not available here"):
        studio.neighbours("mnist-dcgan", 0)
    assert "not available" in indexes.status() and indexes.all_settled()
    assert studio.sample_grid("mnist-dcgan", 0, 4)[0].width > 0


def test_a_clicked_tile_maps_to_its_seed_and_class(index):
    registry = ModelRegistry(SHIPPED)
    indexes = NeighbourIndexes(["mnist"])
    indexes._ready["mnist"] = index
    studio = Studio(registry, indexes=indexes)
    grid, _ = studio.sample_grid("mnist-dcgan-cond", 5, 30, 1.0, "All classes")  # 3 rows (seeds 5-7) x 10 classes
    scale = grid.width // (10 * 30 + 2)
    x, y = (2 + 30 * 4 + 14) * scale, (2 + 30 * 2 + 14) * scale  # row 2, column 4: seed 7, class '4'
    picture, info = studio.tile_neighbours("mnist-dcgan-cond", 5, 30, 1.0, "All classes", x, y)
    assert info.startswith("mnist-dcgan-cond: seed 7, class '4'") and "real unseen images" in info
    assert tile_at(0, 0, 64, 8, (28, 28)) == 0 and tile_at(10_000, 10_000, 64, 8, (28, 28)) == 63
    with pytest.raises(InvalidInput, match="no image there"):
        tile_at(10_000, 10_000, 60, 8, (28, 28))


def test_a_clicked_tile_of_a_critic_kept_grid_is_the_picture_kept_there(index):
    indexes = NeighbourIndexes(["mnist"])
    indexes._ready["mnist"] = index
    studio = Studio(ModelRegistry(SHIPPED), indexes=indexes)
    grid, caption = studio.sample_grid("mnist-dcgan-cond", 5, 4, 1.0, "3", 0.5)  # 2 x 2 tiles from 8 candidates
    kept = [int(s) for s in caption.split("kept seeds in grid order: ")[1].split(", ")]
    scale = grid.width // (2 * 30 + 2)
    _, info = studio.tile_neighbours("mnist-dcgan-cond", 5, 4, 1.0, "3", (2 + 30 + 14) * scale, 20 * scale, 0.5)
    assert info.startswith(f"mnist-dcgan-cond: seed {kept[1]}, class '3'")  # row 0, column 1


def test_cli(tmp_path, capsys, monkeypatch, index):
    monkeypatch.setattr(TrainingIndex, "load_or_build", classmethod(lambda cls, *a, **k: index))
    out = tmp_path / "nn.png"
    assert main(["--checkpoint", str(SHIPPED / "mnist-dcgan-cond.safetensors"), "--class", "3", "--out", str(out)]) == 0
    assert out.exists() and "real unseen images" in capsys.readouterr().out
    assert main(["--checkpoint", str(SHIPPED / "mnist-dcgan-cond.safetensors")]) == 2
