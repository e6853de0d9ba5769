"""Drive a running `python app.py` through gradio_client, as an API user would."""

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

ZEROS = [0.0] * 8


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def test_named_endpoints_exist(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/models", "/model_card", "/sample", "/slider_image", "/interpolate"} <= set(endpoints)


def test_models_endpoint(client):
    models = client.predict(api_name="/models")
    assert [m["name"] for m in models] == ["mnist-small", "mnist-small-cond"]
    assert models[1]["conditional"] and models[1]["classes"][3] == "3"


def test_sample_returns_a_png_and_its_recipe(client):
    path, info = client.predict("mnist-small", 42, 16, 1.0, "All classes", api_name="/sample")
    image = Image.open(path)
    assert image.format == "PNG" and image.size == (8 * (4 * 30 + 2),) * 2 and "seeds 42-57" in info
    again, _ = client.predict("mnist-small", 42, 16, 1.0, "All classes", api_name="/sample")
    assert open(path, "rb").read() == open(again, "rb").read()


def test_conditional_sample_and_card(client):
    path, info = client.predict("mnist-small-cond", 0, 8, 0.8, "5", api_name="/sample")
    assert Image.open(path).format == "PNG" and "class '5'" in info
    text, card = client.predict("mnist-small-cond", api_name="/model_card")
    assert "conditional" in text and Image.open(card).format == "PNG"


def test_slider_image(client):
    path, info, latent = client.predict("mnist-small", 3, "", "principal", "", 2.5, *ZEROS[1:], api_name="/slider_image")
    assert Image.open(path).size == (280, 280) and len(latent.split(",")) == 64 and "1: +2.5" in info


def test_interpolate_returns_strip_and_animated_gif(client):
    strip, gif, info = client.predict("mnist-small-cond", 1, 2, "3", "8", 10, "slerp", "", api_name="/interpolate")
    assert Image.open(strip).format == "PNG"
    animation = Image.open(gif)
    assert animation.format == "GIF" and animation.n_frames == 18 and "'3' → '8'" in info


@pytest.mark.parametrize("args, api, message", [
    (("nope", 0, 4, 1.0, "All classes"), "/sample", "unknown model 'nope'"),
    (("mnist-small", "abc", 4, 1.0, "All classes"), "/sample", None),
    (("mnist-small-cond", 0, 4, 1.0, "dragon"), "/sample", "class must be one of"),
    (("mnist-small", 0, "", "principal", "", 99, *ZEROS[1:]), "/slider_image", None),
    (("mnist-small", 0, 1, None, None, 8, "lerp", "1,2,3"), "/interpolate", "latent must have 64 numbers"),
    (("mnist-small", 0, 1, None, None, 8, "wiggle", ""), "/interpolate", "not in the list of choices: ['lerp', 'slerp']"),
])
def test_bad_inputs_give_clear_errors_and_the_server_keeps_serving(client, args, api, message):
    with pytest.raises((AppError, ValueError, TypeError)) as error:
        client.predict(*args, api_name=api)
    if message:
        assert message in str(error.value)
    path, _ = client.predict("mnist-small", 0, 1, 1.0, "All classes", api_name="/sample")
    assert Image.open(path).format == "PNG"
