"""Shared fixtures: the real data folders and small, fast training runs."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from gan.data import find_data_dir


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
    from gan.train import TrainConfig, train

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
