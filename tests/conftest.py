"""Shared fixtures: the real data folders and small, fast training runs."""

from __future__ import annotations

import functools
import http.server
import os
import pickle
import threading
from pathlib import Path

import pytest

from gan.data.idx import find_data_dir


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    folder = find_data_dir("mnist")
    if folder is None:  # the real files are part of the test set-up; never silently skip
        pytest.fail("MNIST IDX files not found: set GAN_DATA_DIR or place them in ../shared/data/mnist")
    return folder


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    folder = find_data_dir("fashion")
    if folder is None:
        pytest.fail("Fashion-MNIST IDX files not found: set GAN_DATA_DIR or place them in ../shared/data")
    return folder


@pytest.fixture
def file_server():
    """Serve a folder over HTTP on 127.0.0.1 (random port); yields a function folder -> base URL."""
    servers = []

    def serve(folder: Path) -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *a, **k: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for s in servers:
        s.shutdown()
        s.server_close()


def run_training(out_dir: Path, **overrides) -> Path:
    """A small, real training run (first 2,000 MNIST images) without the progress bar."""
    from gan.training.config import TrainConfig
    from gan.training.loop import train

    cfg = dict(dataset="mnist", preset="dcgan", steps=30, limit=2000, out_dir=str(out_dir),
               sample_every=10, checkpoint_every=10, log_every=5, progress=False, device="cpu")
    cfg.update(overrides)
    return train(TrainConfig(**cfg))


@pytest.fixture(scope="session")
def trained_checkpoint(tmp_path_factory, mnist_dir) -> Path:
    return run_training(tmp_path_factory.mktemp("run") / "mnist-dcgan")


@pytest.fixture(scope="session")
def conditional_checkpoint(tmp_path_factory, mnist_dir) -> Path:
    return run_training(tmp_path_factory.mktemp("run") / "mnist-mlp-cond", preset="mlp", conditional=True, steps=20)


@pytest.fixture(scope="session")
def checkpoint_dir(tmp_path_factory, trained_checkpoint, conditional_checkpoint) -> Path:
    """A checkpoints folder as users have it: good models plus files the app must skip."""
    import shutil

    folder = tmp_path_factory.mktemp("checkpoints")
    for src, name in ((trained_checkpoint, "mnist-small"), (conditional_checkpoint, "mnist-small-cond")):
        for suffix in (".safetensors", ".json"):
            shutil.copy(src.with_suffix(suffix), folder / f"{name}{suffix}")
    from gan.judging.fit import CriticConfig, fit_critic

    for name in ("mnist-small", "mnist-small-cond"):  # a quick critic each, as shipped models have
        fit_critic(folder / f"{name}.safetensors", CriticConfig(steps=30, calibration=500), log=lambda _: None)
    (folder / "broken.safetensors").write_bytes(b"\x00" * 10)
    shutil.copy(trained_checkpoint.with_suffix(".json"), folder / "broken.json")
    (folder / "legacy.pt").write_bytes(pickle.dumps(PickleExploit()))  # would run code if ever unpickled
    # The evaluators live inside the checkpoint folder (gan/paths.py): the app and its commands use
    # them, and the model scan must ignore them quietly.
    shutil.copytree(Path(__file__).resolve().parent.parent / "checkpoints" / "evaluators", folder / "evaluators")
    return folder


PWNED_MARKER = Path("/tmp/gan-studio-pickle-executed")


class PickleExploit:
    def __reduce__(self):
        return (os.system, (f"touch {PWNED_MARKER}",))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_live_runs(runs_dir: Path) -> None:
    """Kill the training runs a test started from the page: they outlive the app by design, and a
    forgotten one would slow every later test."""
    import json
    import signal

    from studio.training import process_alive

    for info in Path(runs_dir).glob("live/*/run.json"):
        pid = json.loads(info.read_text())["pid"]
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def live_runs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("live-runs")


@pytest.fixture(autouse=True)
def no_run_outlives_its_test(live_runs_dir):
    """Whatever a test starts from the page (a run, or a resume of an earlier test's stopped run,
    as a call of every endpoint does) is killed when the test ends: a 2,000-step resume once
    trained for 30 minutes beside the rest of the suite."""
    yield
    stop_live_runs(live_runs_dir)


@pytest.fixture(scope="session")
def app_temp_dir(tmp_path_factory) -> Path:
    """Gradio's upload and cache folder for the app under test (GRADIO_TEMP_DIR)."""
    return tmp_path_factory.mktemp("gradio-temp")


def start_app(checkpoints: Path, runs: Path, temp: Path, **env_extra):
    """`python app.py` on a free loopback port, as a user starts it: (process, URL) once it answers.
    Its output goes to `temp`/app.log (`proc.log`): a pipe nobody reads would block a long session."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(temp),
           "GAN_UPLOAD_GRACE_S": "1", **env_extra}
    log_path = Path(temp) / "app.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, str(root / "app.py"), "--checkpoints", str(checkpoints),
                                 "--port", str(port), "--runs-dir", str(runs)],
                                cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log_path
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited early:\n{log_path.read_text(errors='replace')[-4000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("app.py did not answer within 90 s")


def stop_app(proc, runs: Path) -> None:
    import subprocess

    stop_live_runs(runs)  # runs started from the page outlive the app by design; not the tests'
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def app_process(checkpoint_dir, live_runs_dir, app_temp_dir):
    """The app under test: (process, URL); `process.log` is its output."""
    proc, url = start_app(checkpoint_dir, live_runs_dir, app_temp_dir)
    yield proc, url
    stop_app(proc, live_runs_dir)


@pytest.fixture(scope="session")
def app_url(app_process):
    return app_process[1]


def request(url: str, method: str = "GET", body: bytes = b"", headers: dict | None = None,
            chunked: bool = False) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of one request; a server that answers before reading the whole body
    may close the connection while we still send, so the answer is read after a broken pipe too."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.putrequest(method, parts.path + (f"?{parts.query}" if parts.query else ""), skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.putheader("Transfer-Encoding", "chunked") if chunked else connection.putheader("Content-Length", str(len(body)))
    connection.endheaders()
    try:
        step = 1 << 20
        for i in range(0, len(body), step):
            piece = body[i:i + step]
            connection.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    except (ConnectionResetError, http.client.RemoteDisconnected):
        return 0, [], b""
    finally:
        connection.close()


def colour_shapes(n: int, size: int = 96, seed: int = 0):
    """n distinct colour pictures (PIL): a disc of one colour on a ground of another, placed at random."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    pictures = []
    for _ in range(n):
        ground, ink = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        yy, xx = np.mgrid[:size, :size]
        cy, cx = rng.integers(size // 4, 3 * size // 4, 2).tolist()
        r = int(rng.integers(size // 8, size // 3))
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        pictures.append(Image.fromarray(np.where(disc[..., None], ink, ground).astype(np.uint8), "RGB"))
    return pictures


def colour_zip(path: Path, n: int = 96, classes=("cool", "warm")) -> Path:
    """A .zip of n colour PNGs in class sub-folders, as a visitor brings them."""
    import io
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for i, picture in enumerate(colour_shapes(n)):
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG")
            archive.writestr(f"shapes/{classes[i % len(classes)]}/{i:03d}.png", buffer.getvalue())
    return path


@pytest.fixture(scope="session")
def colour_checkpoint_dir(tmp_path_factory) -> Path:
    """A checkpoints folder with one small colour model (64 px, conditional on 2 classes) and what
    the page uses beside it: a critic, an encoder and its data set's evaluator."""
    import shutil

    from gan.evaluation.evaluator_net import evaluator_path, save_classifier, train_classifier
    from gan.judging.fit import CriticConfig, fit_critic
    from gan.inversion.encoder_net import EncoderConfig, save_encoder, train_encoder
    from gan.checkpoint import load_generator
    from gan.fileio import file_sha256
    from gan.prepare import prepare
    from gan.data.prepared import write_prepared

    root = tmp_path_factory.mktemp("colour")
    data = write_prepared(root / "data" / "shapes64", prepare(str(colour_zip(root / "shapes.zip", 160)), 64).finish())
    run = run_training(root / "run", dataset=f"prepared:{data}", conditional=True, steps=20, limit=None, batch_size=32)
    folder = root / "checkpoints"
    folder.mkdir()
    for suffix in (".safetensors", ".json"):
        shutil.copy(run.with_suffix(suffix), folder / f"shapes-small{suffix}")
    model = folder / "shapes-small.safetensors"
    fit_critic(model, CriticConfig(steps=20, calibration=100), log=lambda _: None)
    generator, meta = load_generator(model)
    (folder / "evaluators").mkdir()
    classifier, info = train_classifier(f"prepared:{data}", epochs=1)
    save_classifier(classifier, info, evaluator_path(f"prepared:{data}", folder / "evaluators"))
    encoder, info = train_encoder(generator, meta, EncoderConfig(steps=20), log=lambda _: None)
    save_encoder(model, encoder, {**info, "generator_sha256": file_sha256(model)})
    return folder


@pytest.fixture(scope="session")
def colour_app(colour_checkpoint_dir, tmp_path_factory):
    """The app over the colour model: (process, URL)."""
    runs = tmp_path_factory.mktemp("colour-runs")
    proc, url = start_app(colour_checkpoint_dir, runs, tmp_path_factory.mktemp("colour-gradio"))
    yield proc, url
    stop_app(proc, runs)
