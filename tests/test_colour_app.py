"""Every endpoint of the page on a colour model (64 px RGB), through gradio_client as an API user."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import colour_shapes
from gradio_client import Client, handle_file
from PIL import Image

MODEL = "shapes-small"


@pytest.fixture(scope="module")
def client(colour_app):
    return Client(colour_app[1], verbose=False)


def colourful(path) -> np.ndarray:
    """The picture's pixels, once it is shown to be RGB with channels that differ."""
    image = Image.open(path)
    assert image.mode == "RGB", image.mode
    pixels = np.asarray(image, np.int16)
    assert np.abs(pixels[..., 0] - pixels[..., 2]).max() > 10, "R, G and B are all the same: grey"
    return pixels


def test_the_model_is_listed_with_its_shape_and_classes(client):
    models = client.predict(api_name="/models")
    assert [m["name"] for m in models] == [MODEL] and models[0]["classes"] == ["cool", "warm"]
    text, card = client.predict(MODEL, api_name="/model_card")
    colourful(card)
    assert "64×64 colour" in text


def test_sample_sliders_and_interpolation_are_in_colour(client):
    path, info = client.predict(MODEL, 5, 8, 1.0, "warm", api_name="/sample")
    assert colourful(path).shape[0] > 64 and "class 'warm'" in info
    image, _, latent = client.predict(MODEL, 3, "cool", "principal", "", *[0.5] * 8, api_name="/slider_image")
    assert colourful(image).shape[:2] == (640, 640) and len(latent.split(",")) == 64
    strip, gif, _ = client.predict(MODEL, 1, 2, "cool", "warm", 5, "slerp", "", "", api_name="/interpolate")
    colourful(strip)
    animation = Image.open(gif)
    assert animation.format == "GIF" and animation.n_frames >= 5
    frame = np.asarray(animation.convert("RGB"), np.int16)
    assert np.abs(frame[..., 0] - frame[..., 2]).max() > 10  # the GIF is in colour too


def test_an_uploaded_colour_picture_is_found(client, tmp_path):
    picture = tmp_path / "disc.png"
    colour_shapes(1, seed=99)[0].save(picture)
    seen, found, latent, klass, info = client.predict(MODEL, handle_file(str(picture)), 5, api_name="/invert")
    assert colourful(seen).shape[:2] == (640, 640) and colourful(found).shape[:2] == (640, 640)
    assert klass in ("cool", "warm") and "distance" in info and len(latent.split(",")) == 64


def test_the_critic_and_its_sorting_read_colour(client):
    image, verdict = client.predict(MODEL, "a sample (seed or latent)", 7, "warm", "", 0, api_name="/critic")
    colourful(image)
    assert "%" in verdict
    _, verdict = client.predict(MODEL, "a real test image", 0, "cool", "", 3, api_name="/critic")
    assert "real test image 3" in verdict
    path, info = client.predict(MODEL, 0, 8, 1.0, "cool", api_name="/sort_by_critic")
    colourful(path)


def test_nearest_training_pictures_of_a_colour_sample(client):
    import time

    deadline = time.time() + 120
    while True:
        try:
            image, sentence = client.predict(MODEL, 3, "cool", 1.0, "", api_name="/neighbours")
            break
        except Exception as e:  # the index is built in the background after start-up
            if "being built" not in str(e) or time.time() > deadline:
                raise
            time.sleep(2)
    colourful(image)
    assert "real unseen images" in sentence or "exactly training image" in sentence


def test_the_browser_files_say_the_shape(colour_app):
    import json
    import urllib.request

    meta = json.loads(urllib.request.urlopen(colour_app[1] + f"explorer/models/{MODEL}.json").read())
    assert meta["image_shape"] == [3, 64, 64]
    graph = urllib.request.urlopen(colour_app[1] + meta["generator_url"].lstrip("/")).read()
    import onnxruntime as ort

    session = ort.InferenceSession(graph)
    z = np.zeros((1, meta["latent_dim"]), np.float32)
    out = session.run(None, {"z": z, "labels": np.eye(2, dtype=np.float32)[:1]})[0]
    assert out.shape == (1, 3, 64, 64)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
