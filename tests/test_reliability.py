"""Bad input, bad files and crashes: the app and the trainer must stay trustworthy."""

import math
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import PWNED_MARKER, run_training
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from gan import load_generator
from gan.checkpoint import CheckpointError, load_training_state
from gan.models import PRESETS
from studio.actions import ALL_CLASSES, Studio
from studio.registry import ModelRegistry
from studio.validation import MAX_FRAMES, MAX_IMAGES, InvalidInput

ANY = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=True, allow_infinity=True),
                st.text(max_size=12), st.lists(st.integers(), max_size=3))
SEED = st.one_of(ANY, st.integers(0, 10_000))
COUNT = st.one_of(ANY, st.integers(1, MAX_IMAGES))
SLIDER = st.one_of(ANY, st.floats(-5, 5))
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def studio(checkpoint_dir):
    return Studio(ModelRegistry(checkpoint_dir))


def grid_size(n: int, columns: int | None = None) -> int:
    """Width of a make_grid image before display upscaling."""
    columns = columns or math.ceil(math.sqrt(n))
    return columns * 30 + 2


def whole(value, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def number(value, lo: float, hi: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and lo <= value <= hi


def check(call, expected_width=None, valid: bool = False):
    """Either a valid image (of the expected geometry) or a clean validation error, nothing else;
    inputs the test knows to be valid must get the image (a guard refusing everything fails here)."""
    try:
        result = call()
    except InvalidInput as e:
        assert not valid, f"valid input refused: {e}"
        return
    image = result[0]
    assert isinstance(image, Image.Image) and image.width > 0 and image.height > 0
    if expected_width is not None:
        assert image.width % expected_width == 0  # upscaled by a whole factor


@PROPERTY
@given(model=st.sampled_from(["mnist-small", "mnist-small-cond", "nope", None, 3]), seed=SEED, n=COUNT,
       truncation=st.one_of(ANY, st.floats(0, 2)), klass=st.one_of(ANY, st.sampled_from([ALL_CLASSES, "3", "9"])))
@example(model="mnist-small-cond", seed=3, n=16, truncation=1.0, klass="3")  # valid: must answer
def test_sample_grid_never_fails_uncleanly(studio, model, seed, n, truncation, klass):
    valid_n = isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_IMAGES
    width = grid_size(n) if valid_n and model == "mnist-small" else None
    valid = (model == "mnist-small-cond" and whole(seed, 0, 10_000) and valid_n and number(truncation, 0, 2)
             and klass in (ALL_CLASSES, "3", "9"))
    check(lambda: studio.sample_grid(model, seed, n, truncation, klass), width, valid)


@PROPERTY
@given(model=st.sampled_from(["mnist-small", "mnist-small-cond"]), seed=SEED,
       klass=st.one_of(ANY, st.sampled_from(["0", "7"])), basis=st.one_of(ANY, st.sampled_from(["principal", "raw"])),
       values=st.lists(SLIDER, min_size=0, max_size=9))
@example(model="mnist-small-cond", seed=3, klass="7", basis="principal", values=[1.0, -2.0, 0, 0, 0, 0, 0, 0.5])
def test_slider_image_never_fails_uncleanly(studio, model, seed, klass, basis, values):
    valid = (model == "mnist-small-cond" and whole(seed, 0, 10_000) and klass in ("0", "7")
             and basis in ("principal", "raw") and len(values) == 8 and all(number(v, -5, 5) for v in values))
    check(lambda: studio.slider_image(model, seed, klass, basis, "", *values), 280, valid)


@PROPERTY
@given(a=SEED, b=SEED, frames=st.one_of(ANY, st.integers(2, MAX_FRAMES)), mode=st.one_of(ANY, st.just("slerp")),
       latent=st.one_of(ANY, st.just(", ".join(["0.5"] * 64)), st.text(alphabet="0123456789.,- e", max_size=300)))
@example(a=1, b=2, frames=8, mode="slerp", latent=", ".join(["0.5"] * 64))
def test_interpolate_never_fails_uncleanly(studio, a, b, frames, mode, latent):
    valid = (whole(a, 0, 10_000) and whole(b, 0, 10_000) and whole(frames, 2, MAX_FRAMES) and mode == "slerp"
             and latent == ", ".join(["0.5"] * 64))
    check(lambda: studio.interpolate("mnist-small", a, b, None, None, frames, mode, latent), valid=valid)


def test_malicious_pickle_in_checkpoints_never_executes(studio):
    assert "legacy.pt" in dict(studio.registry.skipped)
    assert not PWNED_MARKER.exists()


@pytest.mark.slow
def test_sigkill_at_random_points_never_corrupts_and_resume_is_exact(tmp_path, mnist_dir):
    flags = ["--steps", "150", "--limit", "2000", "--checkpoint-every", "5", "--sample-every", "5", "--log-every",
             "2", "--no-progress", "--device", "cpu"]
    reference = run_training(tmp_path / "reference", steps=150, checkpoint_every=5, sample_every=5, log_every=2)
    out = tmp_path / "killed"
    rng = random.Random(0)
    kills = 0
    for attempt in range(5):
        proc = subprocess.Popen([sys.executable, "-m", "gan.train", *flags, "--out-dir", str(out), "--resume"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.5, 5.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        # Whatever moment it died at, every file under its real name is whole.
        if (out / "state.pt").exists():
            load_training_state(out / "state.pt")
        if (out / "generator.safetensors").exists():
            load_generator(out / "generator.safetensors")
        for png in (out / "samples").glob("step_*.png"):
            Image.open(png).verify()  # raises on a truncated file
    assert kills >= 2, "the runs finished before they could be killed; the test proved nothing"
    final = subprocess.run([sys.executable, "-m", "gan.train", *flags, "--out-dir", str(out), "--resume"],
                           capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    a, b = load_training_state(reference.parent / "state.pt"), load_training_state(out / "state.pt")
    assert a["step"] == b["step"] == 150
    for net in ("G", "D", "ema_G"):
        for k in a[net]:
            torch.testing.assert_close(a[net][k], b[net][k], rtol=1e-5, atol=1e-6, msg=f"{net}.{k}")


def test_trainer_refuses_a_state_from_another_model(tmp_path, mnist_dir):
    dcgan = PRESETS["dcgan"]  # the MLP run takes the dcgan recipe, so only the tensors disagree
    run_training(tmp_path / "a", steps=4, preset="mlp", lr=dcgan.lr, beta1=dcgan.betas[0], beta2=dcgan.betas[1])
    state = load_training_state(tmp_path / "a" / "state.pt")
    (tmp_path / "b").mkdir()
    state["config"] = {**state["config"], "preset": "dcgan", "out_dir": str(tmp_path / "b")}
    torch.save(state, tmp_path / "b" / "state.pt")  # settings say dcgan, tensors are the MLP's
    with pytest.raises(CheckpointError, match="does not match this model"):
        run_training(tmp_path / "b", steps=8, resume=True)


def test_binds_to_loopback_unless_asked(monkeypatch):
    import app

    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    assert app.parse_args([]).host == "127.0.0.1"
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    assert app.parse_args([]).host == "0.0.0.0"
    assert app.parse_args(["--host", "127.0.0.2"]).host == "127.0.0.2"


@pytest.mark.parametrize("value", ["s3cret", "alice:", ":s3cret"])
def test_a_malformed_login_stops_the_app_instead_of_starting_it_open(monkeypatch, value):
    import app
    import studio.registry

    def load_models(folder):
        raise AssertionError("main() went on to load models with a malformed GAN_AUTH")

    monkeypatch.setenv("GAN_AUTH", value)
    monkeypatch.setattr(studio.registry, "ModelRegistry", load_models)
    with pytest.raises(SystemExit, match="GAN_AUTH must be user:password"):
        app.main([])
    monkeypatch.setenv("GAN_AUTH", "alice:pass:word")  # the password may hold colons
    assert app.auth_from_env() == ("alice", "pass:word")


def test_basic_auth_from_the_environment(checkpoint_dir, tmp_path):
    from conftest import free_port
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "GAN_AUTH": "alice:s3cret", "GRADIO_ANALYTICS_ENABLED": "False",
           "GAN_RUNS_DIR": str(tmp_path)}  # not runs/: models trained from the page there would join the list
    proc = subprocess.Popen([sys.executable, "app.py", "--checkpoints", str(checkpoint_dir), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                import urllib.request
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(api_name="/models")
        models = Client(url, auth=("alice", "s3cret"), verbose=False).predict(api_name="/models")
        assert [m["name"] for m in models] == ["mnist-small", "mnist-small-cond"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
