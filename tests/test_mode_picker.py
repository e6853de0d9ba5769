"""A self-conditioned model's discovered modes can be seen and picked (issue #35): the Sample tab's
picker and /sample's class parameter take a mode, the caption names it, the strip shows them all."""

import numpy as np
import pytest
import torch
from PIL import Image
from test_drawing import SHIPPED

from gan.sampling.latents import latent_for_seeds
from studio.actions import ALL_CLASSES, ALL_MODES, ANY_MODE, Studio
from studio.registry import ModelRegistry
from studio.validation import InvalidInput

MODES_MODEL = "mnist-dcgan-modes"


@pytest.fixture(scope="module")
def studio():
    return Studio(ModelRegistry(SHIPPED))


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=int)


def test_the_picker_offers_the_modes_of_a_self_conditioned_model_only(studio):
    m = studio.model(MODES_MODEL)
    assert studio.sample_choices(m)[:2] == [ANY_MODE, ALL_MODES] and len(m.mode_names) == m.meta["modes"]["count"]
    assert studio.sample_choices(studio.model("mnist-dcgan")) == []
    assert studio.sample_choices(studio.model("mnist-dcgan-cond"))[0] == ALL_CLASSES


def test_a_picked_mode_puts_every_sample_in_it_and_the_caption_names_it(studio):
    m = studio.model(MODES_MODEL)
    grid, caption = studio.sample_grid(MODES_MODEL, 0, 16, 1.0, "mode 3")
    assert "mode 3 (" in caption and "of the training images" in caption
    seeds, labels, _ = studio.grid_tiles(m, 0, 16, "mode 3")
    z = m.generator.in_mode(latent_for_seeds(seeds, m.generator.latent_dim), torch.tensor(labels))
    assert (m.generator.modes(z) == 2).all()
    other, _ = studio.sample_grid(MODES_MODEL, 0, 16, 1.0, "mode 7")
    assert np.abs(pixels(grid) - pixels(other)).mean() > 5  # different modes, different pictures


def test_any_mode_is_the_old_default_and_all_modes_is_one_column_per_mode(studio):
    m = studio.model(MODES_MODEL)
    before, _ = studio.sample_grid(MODES_MODEL, 0, 16, 1.0, ALL_CLASSES)  # what the page sent before
    assert np.array_equal(pixels(before), pixels(studio.sample_grid(MODES_MODEL, 0, 16, 1.0, ANY_MODE)[0]))
    _, _, ncol = studio.grid_tiles(m, 0, 64, ALL_MODES)
    assert ncol == len(m.mode_names)
    with pytest.raises(InvalidInput, match="mode must be one of"):
        studio.sample_grid(MODES_MODEL, 0, 16, 1.0, "mode 999")


def test_the_mode_strip_shows_every_mode_with_its_share(studio):
    strip = studio.mode_strip(MODES_MODEL)
    m = studio.model(MODES_MODEL)
    assert len(strip) == len(m.mode_names) and strip[0][1].startswith("#1 · ")
    assert abs(sum(m.mode_shares) - 1) < 1e-3 and m.mode_shares[0] >= m.mode_shares[-1]
    assert Image.open(strip[0][0]).size[1] > Image.open(strip[0][0]).size[0]  # a column of samples
    assert studio.mode_strip("mnist-dcgan") == []


def test_a_tile_of_a_mode_grid_finds_its_neighbours_or_says_the_index_is_building(studio):
    try:
        _, sentence = studio.tile_neighbours(MODES_MODEL, 0, 16, 1.0, "mode 2", 5, 5)
        assert "pasted latent" in sentence
    except InvalidInput as e:
        assert "index" in str(e)
