"""The app's callbacks, called directly: shapes, determinism, validation, skipped files."""

import io
import math

import numpy as np
import pytest
from PIL import Image

from gan import load_generator
from gan.sampling.latents import sample
from studio.actions import ALL_CLASSES, Studio
from studio.registry import ModelRegistry
from studio.validation import InvalidInput

ZEROS = [0.0] * 8


@pytest.fixture(scope="module")
def studio(checkpoint_dir):
    return Studio(ModelRegistry(checkpoint_dir))


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def tile(image: Image.Image, row: int, column: int, scale: int) -> np.ndarray:
    """The 28x28 image at (row, column) of a displayed grid: tiles 28 px apart by 2 px of padding
    (make_grid's default), the whole grid upscaled by `scale`."""
    top, left = (2 + 30 * row) * scale, (2 + 30 * column) * scale
    return pixels(image)[top:top + 28 * scale:scale, left:left + 28 * scale:scale]


def test_registry_loads_good_models_and_explains_skipped(studio):
    registry = studio.registry
    assert list(registry.models) == ["mnist-small", "mnist-small-cond"]  # dcgan preset before mlp
    skipped = dict(registry.skipped)
    assert sorted(skipped) == ["broken.safetensors", "legacy.pt"]  # not the evaluator classifier
    assert "not a valid safetensors" in skipped["broken.safetensors"]
    assert "never loaded" in skipped["legacy.pt"]
    labels = dict((key, label) for label, key in registry.choices())
    assert labels["mnist-small-cond"] == "MNIST digits · mlp · conditional"
    assert [m["name"] for m in studio.list_models()] == ["mnist-small", "mnist-small-cond"]


def test_labels_name_the_class_loss_so_two_conditional_models_can_be_told_apart():
    from studio.registry import friendly_label

    meta = {"dataset": "fashion", "arch": "dcgan", "preset": "dcgan", "num_classes": 10}
    ac = {**meta, "config": {"aux_class_weight": 1.0, "aux_twin": False}}
    tac = {**meta, "config": {"aux_class_weight": 1.0, "aux_twin": True}}
    labels = [friendly_label(m) for m in (meta, ac, tac)]
    assert labels[1].endswith("conditional (AC-GAN)") and labels[2].endswith("conditional (TAC-GAN)")
    assert len(set(labels)) == 3


def test_sample_grid_is_deterministic_and_seeded(studio):
    a, info = studio.sample_grid("mnist-small", 3, 64, 1.0, ALL_CLASSES)
    b, _ = studio.sample_grid("mnist-small", 3, 64, 1.0, ALL_CLASSES)
    c, _ = studio.sample_grid("mnist-small", 4, 64, 1.0, ALL_CLASSES)
    assert a.size == (968, 968)  # 8x8 tiles of 28+2 px, upscaled x4 (nearest)
    assert (pixels(a) == pixels(b)).all() and not (pixels(a) == pixels(c)).all()
    assert "seeds 3-66" in info
    one, _ = studio.sample_grid("mnist-small", 5, 1, 1.0, ALL_CLASSES)
    G, _ = load_generator(studio.registry.models["mnist-small"].path)
    expected = sample(G, seeds=[5])[0]
    assert (tile(one, 0, 0, scale=10) == expected).all()  # the only tile is seed 5's image


def test_conditional_grid_has_a_column_per_class(studio):
    grid, info = studio.sample_grid("mnist-small-cond", 0, 30, 1.0, ALL_CLASSES)
    assert grid.size[0] // grid.size[1] == 10 // 3 and "× all 10 classes" in info
    assert "row r uses seed 0+r" in info and "image i" not in info
    G, _ = load_generator(studio.registry.models["mnist-small-cond"].path)
    scale = grid.size[0] // (10 * 30 + 2)  # 10 tiles of 28+2 px plus the outer padding, upscaled
    row, column = 1, 7
    assert (tile(grid, row, column, scale) == sample(G, seeds=[0 + row], labels=column)[0]).all()  # the caption's recipe
    sevens, info = studio.sample_grid("mnist-small-cond", 0, 4, 1.0, "7")
    assert "class '7'" in info


def test_slider_image_follows_sliders(studio):
    base, info, latent = studio.slider_image("mnist-small", 11, None, "principal", "", *ZEROS)
    moved, _, latent_moved = studio.slider_image("mnist-small", 11, None, "principal", "", 4, *ZEROS[1:])
    raw, _, latent_raw = studio.slider_image("mnist-small", 11, None, "raw", "", 3, *ZEROS[1:])
    assert base.size == (280, 280)
    assert np.abs(pixels(base).astype(int) - pixels(moved)).mean() > 2  # a visible change
    z, z_raw = [float(v) for v in latent.split(",")], [float(v) for v in latent_raw.split(",")]
    assert len(z) == 64 and math.isclose(z_raw[0] - z[0], 3.0, abs_tol=1e-3) and z_raw[1:] == z[1:]
    assert "1: +4" in studio.slider_image("mnist-small", 11, None, "principal", "", 4, *ZEROS[1:])[1]


def test_interpolation_strip_gif_and_class_morph(studio):
    strip, gif_path, info = studio.interpolate("mnist-small-cond", 1, 2, "3", "8", 12, "slerp")
    assert strip.width > 10 * strip.height
    gif = Image.open(gif_path)
    assert gif.format == "GIF" and gif.n_frames == 2 * 12 - 2
    G, _ = load_generator(studio.registry.models["mnist-small-cond"].path)
    first_frame, last_frame = np.asarray(gif.convert("L")), None
    gif.seek(11)
    last_frame = np.asarray(gif.convert("L"))
    assert (first_frame[::8, ::8] == sample(G, seeds=[1], labels=3)[0]).all()
    assert (last_frame[::8, ::8] == sample(G, seeds=[2], labels=8)[0]).all()
    assert "class '3' → '8'" in info


def test_interpolation_from_a_slider_vector(studio):
    _, _, latent = studio.slider_image("mnist-small", 11, None, "principal", "", 2, *ZEROS[1:])
    strip_a, _, info = studio.interpolate("mnist-small", 0, 5, None, None, 4, "lerp", latent)
    strip_b, _, _ = studio.interpolate("mnist-small", 11, 5, None, None, 4, "lerp", "")
    assert "pasted latent → seed 5" in info
    assert not (pixels(strip_a) == pixels(strip_b)).all()


@pytest.mark.parametrize("call, message", [
    (lambda s: s.sample_grid("nope", 0, 4), "unknown model"),
    (lambda s: s.sample_grid("mnist-small", float("nan"), 4), "must be finite"),
    (lambda s: s.sample_grid("mnist-small", -1, 4), "must lie in"),
    (lambda s: s.sample_grid("mnist-small", 1.5, 4), "whole number"),
    (lambda s: s.sample_grid("mnist-small", "abc", 4), "must be a number"),
    (lambda s: s.sample_grid("mnist-small", True, 4), "must be a number"),
    (lambda s: s.sample_grid("mnist-small", 0, 0), "number of images must lie in 1-256"),
    (lambda s: s.sample_grid("mnist-small", 0, 10**9), "number of images"),
    (lambda s: s.sample_grid("mnist-small", 0, 4, float("inf")), "truncation must be finite"),
    (lambda s: s.sample_grid("mnist-small-cond", 0, 4, 1.0, "eleven"), "class must be one of"),
    (lambda s: s.slider_image("mnist-small", 0, None, "principal", "", float("nan"), *ZEROS[1:]), "slider 1"),
    (lambda s: s.slider_image("mnist-small", 0, None, "principal", "", 1e9, *ZEROS[1:]), "slider 1 must lie"),
    (lambda s: s.slider_image("mnist-small", 0, None, "sideways", "", *ZEROS), "basis"),
    (lambda s: s.slider_image("mnist-small", 0, None, "raw", "", *ZEROS[1:]), "expected 8 slider values"),
    (lambda s: s.slider_image("mnist-small-cond", 0, ALL_CLASSES, "raw", "", *ZEROS), "class must be one of"),
    (lambda s: s.interpolate("mnist-small", 0, 1, None, None, 1, "lerp"), "frames must lie in 2-64"),
    (lambda s: s.interpolate("mnist-small", 0, 1, None, None, 500, "lerp"), "frames"),
    (lambda s: s.interpolate("mnist-small", 0, 1, None, None, 4, "zigzag"), "mode"),
    (lambda s: s.interpolate("mnist-small", 0, 1, None, None, 4, "lerp", "1, 2, 3"), "64 numbers"),
    (lambda s: s.interpolate("mnist-small", 0, 1, None, None, 4, "lerp", ", ".join(["nan"] * 64)), "finite"),
    (lambda s: s.model_card(None), "unknown model"),
])
def test_bad_inputs_are_rejected_cleanly(studio, call, message):
    with pytest.raises(InvalidInput, match=message):
        call(studio)


def test_model_card_describes_the_model(studio):
    text, grid = studio.model_card("mnist-small-cond")
    assert "conditional" in text and "hinge" in text and "20 steps" in text
    buf = io.BytesIO()
    grid.save(buf, "PNG")
    assert grid.size[0] > 900


def test_os_errors_while_scanning_skip_the_file_instead_of_crashing(checkpoint_dir, monkeypatch):
    original = ModelRegistry._consider

    def flaky(self, path):
        if path.name == "mnist-small.safetensors":
            raise PermissionError(13, "Permission denied", str(path))
        return original(self, path)

    monkeypatch.setattr(ModelRegistry, "_consider", flaky)
    registry = ModelRegistry(checkpoint_dir)
    assert "mnist-small" not in registry.models and "mnist-small-cond" in registry.models
    assert dict(registry.skipped)["mnist-small.safetensors"] == "cannot read (Permission denied)"

