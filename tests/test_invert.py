"""Bringing a picture into the model: MNIST-style preprocessing and GAN inversion."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gan.checkpoint import load_generator
from gan.data.idx import to_model_range
from gan.data.pictures import NoInk, mnist_style
from gan.evaluation.evaluator_net import embed, load_classifier
from gan.inversion.encoder_net import load_encoder
from gan.inversion.search import invert, invert_many
from gan.invert import main
from gan.sampling.images import png_bytes
from gan.sampling.latents import output_range, sample, to_uint8

SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints"


@pytest.fixture(scope="module")
def mnist_test_images(mnist_dir):
    from gan.data.idx import load_dataset

    images, labels = load_dataset("mnist", "test", limit=50)
    return images.squeeze(1).numpy(), labels


def as_a_user_draws_it(digit: np.ndarray) -> Image.Image:
    """Dark ink on white paper, 5x larger, in colour."""
    return Image.fromarray(255 - digit).resize((140, 140), Image.BILINEAR).convert("RGB")


def test_a_real_mnist_digit_survives_the_round_trip_nearly_unchanged(mnist_test_images):
    images, _ = mnist_test_images
    errors = [np.abs(mnist_style(as_a_user_draws_it(d)).astype(float) - d).mean() / 255 for d in images]
    assert np.median(errors) < 0.04 and max(errors) < 0.12


def test_ink_is_found_on_any_background_and_a_blank_picture_is_refused():
    light_on_dark = Image.new("L", (60, 90), 0)
    light_on_dark.paste(255, (20, 10, 30, 80))  # a tall bar: a "1"
    out = mnist_style(light_on_dark)
    assert out.shape == (28, 28) and out.max() > 200 and out[:4].max() == 0  # 20 px tall, centred
    rows = np.nonzero(out.max(1) > 50)[0]
    assert 18 <= len(rows) <= 22
    strokes = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # black strokes on a transparent canvas
    strokes.paste((0, 0, 0, 255), (45, 10, 55, 90))
    assert mnist_style(strokes).max() > 200
    with pytest.raises(NoInk, match="no ink"):
        mnist_style(Image.new("RGB", (50, 50), "white"))
    with pytest.raises(NoInk):
        mnist_style(Image.new("RGBA", (50, 50), (0, 0, 0, 0)))


def test_inversion_finds_a_latents_own_image_and_its_class_reproducibly():
    G, _ = load_generator(SHIPPED / "mnist-dcgan-cond.safetensors")
    classifier = load_classifier("mnist")[0]
    target = sample(G, seeds=[4321], labels=7)[0]
    found = invert(G, target, steps=60, classifier=classifier)
    assert found.label == 7 and found.ranking[0][0] == 7 and len(found.ranking) == 10
    assert found.distance < 0.03 and found.image.shape == (28, 28)
    again = invert(G, target, steps=60, classifier=classifier)
    assert torch.equal(found.z, again.z)
    with pytest.raises(ValueError, match="steps must lie in"):
        invert(G, target, steps=10_000)


def test_cli_writes_input_and_reconstruction(tmp_path, mnist_test_images, capsys):
    images, labels = mnist_test_images
    as_a_user_draws_it(images[0]).save(tmp_path / "mine.png")
    out = tmp_path / "found.png"
    assert main(["--checkpoint", str(SHIPPED / "mnist-dcgan-cond.safetensors"), "--image", str(tmp_path / "mine.png"),
                 "--out", str(out), "--steps", "30"]) == 0
    printed = capsys.readouterr().out
    assert printed.split("classes, best first: ")[1].startswith(f"{int(labels[0])} ")
    assert Image.open(out).size == ((2 * 30 + 2) * 8, (30 + 2) * 8)  # [input | reconstruction], 8x
    (tmp_path / "bad.png").write_bytes(b"not an image")
    assert main(["--checkpoint", str(SHIPPED / "mnist-dcgan-cond.safetensors"), "--image",
                 str(tmp_path / "bad.png")]) == 2
    assert "error:" in capsys.readouterr().err


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG file that declares a huge image: decoding it would allocate width x height bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = zlib.compress(b"\x00" * (width + 1) * 8, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


@pytest.mark.parametrize("name, data, message", [
    ("bomb.png", png_header_only(30_000, 30_000), "too large"),
    ("big.png", png_header_only(5_000, 5_000), "at most 16,777,216 pixels"),
    ("text.png", b"not an image at all", "not a picture in a format this page reads"),
])
def test_hostile_files_are_refused_with_a_clear_message(tmp_path, capsys, name, data, message):
    from gan.data.pictures import BadPicture, open_picture

    (tmp_path / name).write_bytes(data)
    with pytest.raises(BadPicture, match=message):
        open_picture(tmp_path / name)
    assert main(["--checkpoint", str(SHIPPED / "mnist-dcgan-cond.safetensors"), "--image", str(tmp_path / name)]) == 2
    assert message in capsys.readouterr().err


def test_truncated_and_animated_pictures_are_refused(tmp_path):
    import io

    from gan.data.pictures import BadPicture, open_picture

    picture = Image.new("L", (200, 200), 255)
    picture.paste(0, (90, 20, 110, 180))
    with pytest.raises(BadPicture, match="damaged"):
        open_picture(io.BytesIO(png_bytes(picture)[:300]))
    buffer = io.BytesIO()
    picture.save(buffer, "GIF", save_all=True, append_images=[picture.rotate(45)])
    with pytest.raises(BadPicture, match="animated"):
        open_picture(io.BytesIO(buffer.getvalue()))
    with pytest.raises(NoInk):  # a 1x1 picture has nothing to find
        mnist_style(open_picture(io.BytesIO(png_bytes(Image.new("L", (1, 1), 0)))))


def read_digits(classifier, images_u8: np.ndarray) -> list[int]:
    return embed(classifier, to_model_range(torch.as_tensor(images_u8).reshape(-1, 28, 28), (-1.0, 1.0)))[1].argmax(1).tolist()


def test_a_self_conditioned_models_samples_are_found_and_the_latent_carries_the_mode():
    # The mode is a step function of z[0]/|z|: each mode is searched with the mode held fixed, and
    # the found latent then carries its mode (docs/inversion.md: 84% -> 100% of 200 test digits).
    G, _ = load_generator(SHIPPED / "mnist-dcgan-modes.safetensors")
    classifier = load_classifier("mnist")[0]
    targets = sample(G, seeds=[11, 12, 13])
    found = invert_many(G, targets, classifier=classifier,
                        encoder=load_encoder(SHIPPED / "mnist-dcgan-modes.safetensors"))
    assert [f.label for f in found] == [None] * 3 and all(f.ranking == [] for f in found)
    # Not always the sample's own mode (a digit has several, 40 in all), but the same digit.
    assert read_digits(classifier, np.stack([f.image for f in found])) == read_digits(classifier, targets)
    with torch.inference_mode():
        redrawn = to_uint8(G(torch.stack([f.z for f in found])), output_range(G))
    assert np.abs(redrawn.reshape(3, 28, 28).astype(int) - np.stack([f.image for f in found])).max() <= 1
    assert max(f.distance for f in found) < 0.04
