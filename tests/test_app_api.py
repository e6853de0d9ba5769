"""Drive a running `python app.py` through gradio_client, as an API user would."""

import numpy as np
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
    assert {"/models", "/model_card", "/sample", "/slider_image", "/interpolate", "/invert",
            "/neighbours", "/critic", "/sort_by_critic", "/interpolation_frame"} <= set(endpoints)


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


def test_the_critic_judges_a_sample_and_a_real_image_in_percentiles_real_first(client):
    import re

    path, verdict = client.predict("mnist-small-cond", "a sample (seed or latent)", 7, "3", "", 0, api_name="/critic")
    shown = Image.open(path)
    assert shown.format == "PNG" and shown.width > 2 * shown.height - 20  # the picture beside its saliency map
    real, generated = (float(v) for v in re.findall(r"above (\d+)% of (?:real test pictures|the generator)", verdict))
    assert "seed 7, class '3'" in verdict and 0 <= real <= 100 and 0 <= generated <= 100
    assert verdict.index("real test pictures") < verdict.index("own samples")
    _, verdict = client.predict("mnist-small", "a real test image", 0, None, "", 12, api_name="/critic")
    assert "real test image 12" in verdict and "%" in verdict
    with pytest.raises(AppError, match="test image must lie in 0-9999"):
        client.predict("mnist-small", "a real test image", 0, None, "", 10_000, api_name="/critic")


def test_an_interpolation_frame_is_the_strips_frame_and_goes_with_its_nearer_class(client):
    from gan.sampling.latents import interpolate, latent_for_seeds
    from studio.validation import parse_latent

    latent, klass = client.predict("mnist-small-cond", 1, 2, "3", "3", 5, "slerp", "", "", 3, api_name="/interpolation_frame")
    z0, z1 = latent_for_seeds([1, 2], 64)
    expected = interpolate(z0, z1, 5, "slerp")[3]  # the path /interpolate draws its strip from
    assert klass == "3" and np.abs(np.array(parse_latent(latent, 64)) - expected.numpy()).max() < 1e-4
    _, nearer = client.predict("mnist-small-cond", 1, 2, "3", "8", 5, "slerp", "", "", 1, api_name="/interpolation_frame")
    assert nearer == "3"  # class weights 0.75 '3', 0.25 '8'
    with pytest.raises(AppError, match="frame must lie in 0-4"):
        client.predict("mnist-small-cond", 1, 2, "3", "8", 5, "slerp", "", "", 5, api_name="/interpolation_frame")


def test_sample_defaults_to_plain_sampling_and_critic_keep_names_its_seeds(client):
    plain, info = client.predict("mnist-small-cond", 5, 8, 1.0, "4", api_name="/sample")
    assert "kept" not in info
    same, _ = client.predict("mnist-small-cond", 5, 8, 1.0, "4", 1.0, api_name="/sample")
    assert open(plain, "rb").read() == open(same, "rb").read()
    kept, info = client.predict("mnist-small-cond", 5, 8, 1.0, "4", 0.5, api_name="/sample")
    seeds = [int(s) for s in info.split("kept seeds in grid order: ")[1].split(", ")]
    assert "kept 8 of 16 candidates (seeds 5-20" in info and len(set(seeds)) == 8 and all(5 <= s <= 20 for s in seeds)
    with pytest.raises(AppError, match="untruncated"):
        client.predict("mnist-small-cond", 5, 8, 0.5, "4", 0.5, api_name="/sample")
    path, info = client.predict("mnist-small", 0, 9, 1.0, "All classes", api_name="/sort_by_critic")
    assert sorted(int(s) for s in info.split("row by row): ")[1].split(", ")) == list(range(9))


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
    (("mnist-small", 0, 1, None, None, 8, "wiggle", ""), "/interpolate", "'wiggle' is not one of the choices ['lerp', 'slerp']"),
])
def test_bad_inputs_give_clear_errors_and_the_server_keeps_serving(client, args, api, message):
    with pytest.raises((AppError, ValueError, TypeError)) as error:
        client.predict(*args, api_name=api)
    if message:
        assert message in str(error.value)
    path, _ = client.predict("mnist-small", 0, 1, 1.0, "All classes", api_name="/sample")
    assert Image.open(path).format == "PNG"


def test_invert_finds_an_uploaded_picture_and_its_latent_drives_the_sliders(client, tmp_path):
    from gradio_client import handle_file

    drawing = Image.new("L", (120, 160), 255)  # dark ink on white paper: a "1"
    drawing.paste(0, (52, 10, 68, 150))
    drawing.save(tmp_path / "one.png")
    seen, found, latent, class_name, info = client.predict("mnist-small-cond", handle_file(str(tmp_path / "one.png")),
                                                           20, api_name="/invert")
    assert Image.open(seen).size == Image.open(found).size == (280, 280)
    assert class_name in [str(d) for d in range(10)] and "distance" in info and "--steps 20" in info
    # no encoder beside these test checkpoints: the seeded start is used, and said so
    assert "best of 128 seeds" in info and len(latent.split(",")) == 64
    path, slider_info, same = client.predict("mnist-small-cond", 0, class_name, "principal", latent, *ZEROS,
                                             api_name="/slider_image")
    assert "pasted latent" in slider_info and same == latent


@pytest.mark.parametrize("name, data, message", [
    ("bomb.png", None, "too large"),
    ("notes.png", b"plain text, not a picture", "not a picture in a format this page reads"),
    ("blank.png", "white", "no ink"),
])
def test_invert_refuses_bad_pictures_clearly_and_keeps_serving(client, tmp_path, name, data, message):
    from gradio_client import handle_file
    from test_invert import png_header_only

    if data is None:
        data = png_header_only(30_000, 30_000)
    elif data == "white":
        Image.new("RGB", (64, 64), "white").save(tmp_path / name)
    if isinstance(data, bytes):
        (tmp_path / name).write_bytes(data)
    with pytest.raises(AppError, match=message):
        client.predict("mnist-small", handle_file(str(tmp_path / name)), 10, api_name="/invert")
    path, _ = client.predict("mnist-small", 0, 1, 1.0, "All classes", api_name="/sample")
    assert Image.open(path).format == "PNG"


def test_neighbours_once_the_index_is_built(client):
    import time

    deadline = time.time() + 240  # the app builds the MNIST index in the background at start
    while True:
        try:
            picture, sentence = client.predict("mnist-small-cond", 3, "7", 1.0, "", api_name="/neighbours")
            break
        except AppError as e:
            assert "still being built" in str(e), e
            if time.time() > deadline:
                raise
            time.sleep(2)
    assert Image.open(picture).width > 9 * 28 and "real unseen images" in sentence and "seed 3, class '7'" in sentence


@pytest.mark.slow
def test_a_run_started_through_the_api_is_watched_stopped_and_sampled(client):
    watch_stop_and_sample(client)


def watch_stop_and_sample(client):
    import time

    def status_when(predicate, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = client.predict(api_name="/train_status")
            if predicate(status):
                return status
            time.sleep(1)
        pytest.fail(f"timed out: {status}")

    message = client.predict("MNIST", "fast (live default)", False, 400, None, 512, api_name="/train_start")
    assert message.startswith("started")
    with pytest.raises(AppError, match="already going"):
        client.predict("MNIST", "fast (live default)", False, 400, None, 512, api_name="/train_start")
    status = status_when(lambda s: s["grids"] >= 2 and s["log_points"] >= 2)
    assert status["state"] == "running"
    assert "stopping" in client.predict(api_name="/train_stop")
    status = status_when(lambda s: s["model_key"])
    assert status["state"] == "stopped"
    assert status["model_key"] in [m["name"] for m in client.predict(api_name="/models")]
    path, info = client.predict(status["model_key"], 0, 16, 1.0, "All classes", api_name="/sample")
    assert Image.open(path).format == "PNG" and info.startswith(status["model_key"])
    with pytest.raises(AppError, match="no run is going"):
        client.predict(api_name="/train_stop")
