"""Colour pictures at 32 and 64 px through every stage: prepare -> train -> checkpoint -> sample -> ONNX."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import torch
from conftest import colour_shapes
from PIL import Image

from gan.checkpoint import image_shape, load_generator
from gan.data import training_sets
from gan.data.prepared import read_prepared, training_picture
from gan.models import PRESETS, build_discriminator, build_generator, preset_models
from gan.prepare import main as prepare_main
from gan.prepare import prepare
from gan.sampling.latents import sample


def png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=options.pop("format", "PNG"), **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def colour_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("colour-pictures")
    for i, picture in enumerate(colour_shapes(160)):
        (folder / ("warm" if i % 2 else "cool")).mkdir(exist_ok=True)
        (folder / ("warm" if i % 2 else "cool") / f"{i:03d}.png").write_bytes(png(picture))
    return folder


@pytest.fixture(scope="module")
def prepared_set(colour_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("prepared") / "shapes64"
    assert prepare_main([str(colour_folder), "--size", "64", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def colour_run(prepared_set, tmp_path_factory):
    from tests.conftest import run_training

    return run_training(tmp_path_factory.mktemp("run") / "shapes64", dataset=f"prepared:{prepared_set}",
                        conditional=True, steps=20, limit=None, batch_size=32)


@pytest.mark.parametrize("preset", ["dcgan", "r3", "mlp", "dcgan-lean"])
@pytest.mark.parametrize("shape", [(3, 32, 32), (1, 32, 32), (3, 64, 64), (3, 28, 28)])
def test_presets_are_laid_out_for_every_picture_shape(preset, shape):
    arch, g_args, d_args = preset_models(preset, 4, shape)
    G, D = build_generator(arch, **g_args), build_discriminator(arch, **d_args)
    x = G(torch.randn(3, G.latent_dim), torch.tensor([0, 1, 3]))
    assert tuple(x.shape) == (3, *shape) and D(x, torch.tensor([0, 1, 3])).shape == (3,)


def test_grey_28_arguments_are_those_every_shipped_checkpoint_was_built_from():
    for name, p in PRESETS.items():
        _, g, d = preset_models(name, 10)
        assert "image_shape" not in g and "image_shape" not in d
        assert g == {**p.generator, "num_classes": 10}


def test_a_sidecar_without_a_shape_means_grey_28():
    assert image_shape({"arch": "dcgan"}) == (1, 28, 28)
    assert image_shape({"image_shape": [3, 64, 64]}) == (3, 64, 64)


def test_prepare_writes_the_format_with_classes_and_a_preview(prepared_set):
    data = read_prepared(prepared_set)
    meta = json.loads((prepared_set / "dataset.json").read_text())
    assert data.images.dtype == torch.uint8 and tuple(data.images.shape) == (160, 3, 64, 64)
    assert data.class_names == ["cool", "warm"] and sorted(set(data.labels.tolist())) == [0, 1]
    assert meta["image_shape"] == [3, 64, 64] and meta["count"] == 160
    preview = Image.open(prepared_set / "preview.png")
    assert preview.mode == "RGB"
    spread = np.asarray(preview, np.int16)
    assert np.abs(spread[..., 0] - spread[..., 1]).max() > 50  # colour, not grey


def test_grey_prepare_and_idx_at_32(tmp_path, colour_folder, mnist_dir):
    grey = prepare(str(colour_folder), 32, grey=True).finish()
    assert tuple(grey.images.shape[1:]) == (1, 32, 32)
    digits = prepare("mnist", 32, limit=300).finish()
    assert tuple(digits.images.shape) == (300, 1, 32, 32) and digits.class_names[3] == "3"


def cmyk_jpeg() -> bytes:
    return png(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), format="JPEG")  # red in CMYK


def sixteen_bit_png() -> bytes:
    ramp = (np.linspace(0, 65535, 48 * 48).reshape(48, 48)).astype(np.uint16)
    return png(Image.frombytes("I;16", (48, 48), ramp.tobytes()))


def palette_png_with_transparency() -> bytes:
    image = Image.new("P", (32, 32), 0)
    image.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (8, 8, 24, 24))  # a blue square; index 0 transparent
    return png(image, transparency=0)


def animation(format: str) -> bytes:
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((0, 200, 0), (200, 0, 0), (0, 0, 200))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=format, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def exif_rotated_jpeg() -> bytes:
    """Stored 60 wide x 40 high, left half red and right half blue, EXIF orientation 6 (shown rotated
    90 degrees clockwise: 40 wide x 60 high, red on top)."""
    pixels = np.zeros((40, 60, 3), np.uint8)
    pixels[:, :30] = (255, 0, 0)
    pixels[:, 30:] = (0, 0, 255)
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6
    return png(image, format="JPEG", exif=exif, quality=95)


def bad_picture_zip(path) -> dict[str, bytes]:
    entries = {
        "cmyk.jpg": cmyk_jpeg(), "deep.png": sixteen_bit_png(), "palette.png": palette_png_with_transparency(),
        "grey.png": png(Image.new("L", (50, 50), 90)), "colour.png": png(Image.new("RGB", (50, 50), (250, 200, 0))),
        "tiny.png": png(Image.new("RGB", (8, 8), (10, 120, 250))),
        "huge.png": png(Image.new("RGB", (4096, 4096), (120, 30, 160))),
        "animated.gif": animation("GIF"), "animated.webp": animation("WEBP"), "rotated.jpg": exif_rotated_jpeg(),
        "copy-of-colour.png": png(Image.new("RGB", (60, 60), (250, 200, 0))),  # the same pixels once shaped
        "notes.txt": b"not a picture", "cut.png": png(Image.new("RGB", (64, 64), (1, 2, 3)))[:60],
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(f"mixed/{name}", data)
    return entries


def test_every_bad_picture_in_a_colour_zip_is_used_correctly_or_skipped_with_a_reason(tmp_path):
    bad_picture_zip(tmp_path / "mixed.zip")
    data = prepare(str(tmp_path / "mixed.zip"), 32).finish()
    by_colour = {}
    for picture in data.images.numpy():
        by_colour[tuple(int(v) for v in picture[:, 16, 16])] = picture
    skipped = dict(data.skipped)
    assert set(skipped) == {"copy-of-colour.png", "notes.txt", "cut.png"}
    assert "duplicate of colour.png" in skipped["copy-of-colour.png"]
    assert "not a picture" in skipped["notes.txt"] and "damaged" in skipped["cut.png"]
    assert len(data.images) == 10
    centre = [tuple(int(v) for v in p[:, 16, 16]) for p in data.images.numpy()]

    def near(colour, tolerance=12):
        return any(max(abs(a - b) for a, b in zip(c, colour)) <= tolerance for c in centre)

    assert near((255, 0, 0), 20)                                   # CMYK red, converted to RGB
    assert near((0, 0, 255))                                       # palette square, transparency on white
    palette = next(p for p in data.images.numpy() if tuple(p[:, 16, 16]) == (0, 0, 255))
    assert tuple(palette[:, 1, 1]) == (255, 255, 255)              # ... its transparent border white
    assert near((90, 90, 90)) and near((250, 200, 0))              # grey and colour mixed: both RGB
    assert near((10, 120, 250)) and near((120, 30, 160))           # 8x8 upscaled, 4096^2 reduced
    assert near((0, 200, 0), 20)                                   # animations: the first frame (green)
    deep = next(p for p in data.images.numpy() if p[0, 0, 0] == p[1, 0, 0] == p[2, 0, 0] and p[0, 31, 31] > 200
                and p[0, 0, 0] < 40)
    assert deep[0, 0, 0] < deep[0, 31, 31]                         # 16-bit ramp kept its range
    rotated = [p for p in data.images.numpy() if min(p[0, 2, 2], p[0, 2, 29]) > 200 and max(p[2, 2, 2], p[2, 2, 29]) < 40
               and min(p[2, 29, 2], p[2, 29, 29]) > 200]
    assert rotated, "the EXIF-rotated JPEG is upright: red above blue"


def test_training_picture_composites_transparency_on_the_chosen_background():
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert training_picture(rgba, 32, 3)[:, 5, 5].tolist() == [255, 255, 255]
    assert training_picture(rgba, 32, 3, background=(0, 0, 0))[:, 5, 5].tolist() == [0, 0, 0]


def test_round_trip_prepare_train_checkpoint_sample_onnx(colour_run, prepared_set):
    import onnxruntime as ort

    from gan.sampling.onnx_graphs import generator_inputs, generator_onnx

    generator, meta = load_generator(colour_run)
    assert meta["image_shape"] == [3, 64, 64] and meta["dataset"] == f"prepared:{prepared_set.resolve()}"
    images = sample(generator, seeds=range(4), labels=[0, 1, 0, 1])
    assert images.shape == (4, 64, 64, 3)
    spread = images.astype(np.int16)
    assert np.abs(spread[..., 0] - spread[..., 2]).max() > 10  # R, G and B differ somewhere
    session = ort.InferenceSession(generator_onnx(generator))
    feeds = generator_inputs(generator, 3)
    with torch.no_grad():
        expected = generator(feeds["z"], feeds["labels"]).numpy()
    got = session.run(None, {k: v.numpy() for k, v in feeds.items()})[0]
    assert got.shape == (3, 3, 64, 64) and np.abs(got - expected).max() <= 1e-4
    grid = Image.open(colour_run.parent / "samples" / "step_000020.png")
    assert grid.mode == "RGB"


def test_a_prepared_set_is_found_by_name_on_another_machine(prepared_set, monkeypatch, tmp_path):
    moved = f"prepared:{tmp_path / 'elsewhere' / prepared_set.name}"  # the path a sidecar from elsewhere names
    monkeypatch.setenv("GAN_DATA_DIR", str(prepared_set.parent))
    assert training_sets.image_shape(moved) == (3, 64, 64)
    assert len(training_sets.load(moved).images) == 160 and not training_sets.load(moved, "test").held_out


def test_preparing_3700_colour_pictures_stays_under_300_mb_above_idle():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from prepare_memory import measure

    figures = measure(3700, 64)
    assert figures["pictures"] == 3700 and figures["above_idle_mb"] < 300, figures
