"""Your drawing, through the Studio actions the page and the /invert endpoint call: a picture is
found in the model, its latent drives the sliders and interpolation, and every kind of bad
picture gets a clear message."""

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from test_invert import png_header_only

from gan.data.pictures import mnist_style
from gan.sampling.images import png_bytes
from studio.actions import Studio
from studio.registry import ModelRegistry
from studio.validation import InvalidInput

SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints"
ZEROS = [0.0] * 8


@pytest.fixture(scope="module")
def studio():
    return Studio(ModelRegistry(SHIPPED))


def canvas_with(*boxes, size=280) -> dict:
    """What gr.Sketchpad hands over: black strokes on a transparent canvas."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    for box in boxes:
        image.paste((0, 0, 0, 255), box)
    return {"background": None, "layers": [], "composite": image}


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=float) / 255


def test_a_drawn_one_is_found_and_its_latent_drives_sliders_and_interpolation(studio):
    seen, found, latent, class_name, info = studio.find_picture("mnist-dcgan-cond", canvas_with((125, 40, 150, 240)), 50)
    assert seen.size == found.size == (280, 280)
    assert class_name == "1" and "class '1'" in info and "encoder + 50 steps" in info
    assert np.abs(pixels(seen) - pixels(found)).mean() < 0.08  # the model draws a 1 close to it
    # The latent text reproduces the reconstruction in the sliders (unmoved) and ends a morph.
    on_sliders, slider_info, _ = studio.slider_image("mnist-dcgan-cond", 0, class_name, "principal", latent, *ZEROS)
    assert np.abs(pixels(on_sliders) - pixels(found)).mean() < 0.01 and "pasted latent" in slider_info
    strip, _, interp_info = studio.interpolate("mnist-dcgan-cond", 7, 0, "3", class_name, 4, "slerp", "", latent)
    last = strip.crop((strip.width - strip.width // 4, 0, strip.width, strip.height)).resize((280, 280), Image.NEAREST)
    assert "seed 7 → pasted latent" in interp_info
    assert np.abs(pixels(last) - pixels(found)).mean() < 0.05


def test_an_unconditional_model_and_the_fallback_without_encoder(studio, tmp_path):
    m = studio.registry.models["mnist-dcgan"]
    _, _, latent, class_name, info = studio.find_picture("mnist-dcgan", canvas_with((125, 40, 150, 240)), 0)
    assert class_name == "" and len(latent.split(",")) == m.generator.latent_dim
    bare = ModelRegistry.__new__(ModelRegistry)  # the same model without its encoder file
    import shutil
    for suffix in (".safetensors", ".json"):
        shutil.copy(SHIPPED / f"mnist-dcgan{suffix}", tmp_path / f"mnist-dcgan{suffix}")
    bare.__init__(tmp_path)
    _, _, _, _, fallback_info = Studio(bare).find_picture("mnist-dcgan", canvas_with((125, 40, 150, 240)), 0)
    assert "best of 128 seeds + 0 steps" in fallback_info and "encoder" in info


def test_the_upload_wins_over_the_canvas_and_a_drawing_becomes_a_png(studio, tmp_path):
    path = studio.picture_file(canvas_with((100, 100, 180, 120)), None)
    assert Image.open(path).format == "PNG" and Image.open(path).mode == "RGBA"
    big = Image.new("L", (2000, 1000), 255)
    big.paste(0, (900, 100, 1100, 900))
    big.save(tmp_path / "upload.png")
    copy = studio.picture_file(canvas_with((100, 100, 180, 120)), str(tmp_path / "upload.png"))
    assert copy != str(tmp_path / "upload.png") and Image.open(copy).size == (512, 256)  # a small copy of the upload
    seen_from_copy, seen_from_upload = (mnist_style(Image.open(p)).astype(int) for p in (copy, tmp_path / "upload.png"))
    assert np.abs(seen_from_copy - seen_from_upload).mean() < 8  # the model sees the same picture
    with pytest.raises(InvalidInput, match="draw something first"):
        studio.picture_file(None, None)


def animated_gif() -> bytes:
    frame = Image.new("L", (40, 40), 255)
    frame.paste(0, (15, 5, 25, 35))
    buffer = io.BytesIO()
    frame.save(buffer, "GIF", save_all=True, append_images=[frame.rotate(90)])
    return buffer.getvalue()


def drawn_png() -> bytes:
    picture = Image.new("L", (200, 200), 255)
    picture.paste(0, (90, 20, 110, 180))
    return png_bytes(picture)


@pytest.mark.parametrize("name, data, message", [
    ("bomb.png", png_header_only(30_000, 30_000), "too large"),
    ("truncated.png", drawn_png()[:300], "damaged"),
    ("animated.gif", animated_gif(), "animated"),
    ("notes.png", b"just some text", "not a picture in a format this page reads"),
    ("one.png", png_bytes(Image.new("L", (1, 1), 0)), "no ink"),
    ("blank.png", png_bytes(Image.new("RGB", (64, 64), "white")), "no ink"),
    ("clear.png", png_bytes(Image.new("RGBA", (64, 64), (0, 0, 0, 0))), "no ink"),
])
def test_bad_files_get_a_clear_message(studio, tmp_path, name, data, message):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InvalidInput, match=message):
        studio.find_picture("mnist-dcgan-cond", str(tmp_path / name), 10)


@pytest.mark.parametrize("picture, steps, message", [
    (None, 10, "draw something first"),
    ({"background": None, "layers": [], "composite": None}, 10, "draw something first"),
    (canvas_with(), 10, "no ink: draw something first"),
    (canvas_with((100, 100, 120, 200)), 10_000, "steps must lie in 0-500"),
    (canvas_with((100, 100, 120, 200)), "many", "steps must be a number"),
    (12345, 10, "expected a picture"),
])
def test_bad_canvas_values_and_step_counts_get_a_clear_message(studio, picture, steps, message):
    with pytest.raises(InvalidInput, match=message):
        studio.find_picture("mnist-dcgan-cond", picture, steps)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000), png_prefix=st.booleans())
def test_fuzzed_files_never_fail_uncleanly(studio, tmp_path, data, png_prefix):
    path = tmp_path / "fuzz.png"
    path.write_bytes((drawn_png()[:64] if png_prefix else b"") + data)
    try:
        studio.find_picture("mnist-dcgan", str(path), 0)
    except InvalidInput:
        pass


@settings(max_examples=30, deadline=None)
@given(width=st.integers(1, 60), height=st.integers(1, 60), mode=st.sampled_from(["L", "RGB", "RGBA", "LA", "P"]),
       seed=st.integers(0, 2**16))
def test_fuzzed_pictures_are_found_or_refused_cleanly(studio, width, height, mode, seed):
    noise = np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)
    picture = Image.fromarray(noise, "RGBA").convert(mode)
    try:
        seen, found, *_ = studio.find_picture("mnist-dcgan", {"composite": picture}, 0)
        assert seen.size == found.size == (280, 280)
    except InvalidInput as e:
        assert "no ink" in str(e)
