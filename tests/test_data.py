import gzip
import shutil
import struct

import numpy as np
import pytest
import torch

from gan.data import idx as data
from gan.data.idx import DataError, download, load_dataset, read_idx, read_split, to_model_range


def test_real_mnist_splits(mnist_dir):
    x, y = read_split(mnist_dir, "train")
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (60000,) and set(np.unique(y)) == set(range(10))
    xt, yt = read_split(mnist_dir, "test")
    assert xt.shape == (10000, 28, 28) and len(yt) == 10000
    assert 30 < x[:1000].mean() < 40  # MNIST's mean pixel is ~33: the bytes are real images


def test_real_fashion_and_tensors(fashion_dir):
    x, y = load_dataset("fashion", "test", data_dir=fashion_dir.parent, allow_download=False)
    assert x.shape == (10000, 28, 28) and x.dtype == torch.uint8 and y.dtype == torch.int64
    scaled = to_model_range(x[:5], (-1.0, 1.0))
    assert scaled.shape == (5, 1, 28, 28) and scaled.min() >= -1 and scaled.max() <= 1
    assert scaled.min() == -1 and scaled.max() == 1


def write_gz(path, raw: bytes):
    with gzip.open(path, "wb") as f:
        f.write(raw)
    return path


@pytest.mark.parametrize("problem, make, message", [
    ("empty", lambda p: p.write_bytes(b""), "too short"),
    ("not gzip", lambda p: p.write_bytes(b"this is not gzip data"), "not a readable gzip"),
    ("wrong magic", lambda p: write_gz(p, b"\x00\x00\x09\x03" + struct.pack(">3I", 1, 28, 28) + bytes(784)), "bad IDX magic"),
    ("short data", lambda p: write_gz(p, b"\x00\x00\x08\x03" + struct.pack(">3I", 2, 28, 28) + bytes(784)), "truncated"),
    ("short header", lambda p: write_gz(p, b"\x00\x00\x08\x03\x00\x00"), "truncated IDX header"),
])
def test_corrupted_idx_files_give_clear_errors(tmp_path, problem, make, message):
    path = tmp_path / "bad.gz"
    make(path)
    with pytest.raises(DataError, match=message) as e:
        read_idx(path)
    assert str(path) in str(e.value)


def test_truncated_real_gz_is_detected(tmp_path, mnist_dir):
    src = (mnist_dir / "t10k-images-idx3-ubyte.gz").read_bytes()
    cut = tmp_path / "t10k-images-idx3-ubyte.gz"
    cut.write_bytes(src[: len(src) // 2])
    with pytest.raises(DataError, match="not a readable gzip"):
        read_idx(cut)


def test_mismatched_images_and_labels(tmp_path, mnist_dir):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(mnist_dir / name, tmp_path / name)
    labels = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:9000]
    write_gz(tmp_path / "t10k-labels-idx1-ubyte.gz", b"\x00\x00\x08\x01" + struct.pack(">I", 9000) + labels.tobytes())
    with pytest.raises(DataError, match="10000 images but .* 9000 labels"):
        read_split(tmp_path, "test")


def test_resolution_order_prefers_explicit_dir(tmp_path, monkeypatch, mnist_dir):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "nowhere"))
    assert data.find_data_dir("mnist", data_dir=mnist_dir) == mnist_dir
    monkeypatch.setenv("GAN_DATA_DIR", str(mnist_dir.parent))
    assert data.find_data_dir("mnist") == mnist_dir
    with pytest.raises(DataError, match="unknown data set"):
        data.find_data_dir("cifar")


@pytest.mark.parametrize("name, folder", [("mnist", "mnist"), ("fashion", "fashion-mnist")])
def test_download_from_local_server_verifies_checksums(tmp_path, file_server, name, folder, mnist_dir):
    # Fashion's local copies are re-compressed: accepted through the decompressed-content digest.
    base = file_server(mnist_dir.parent / folder)
    dest = download(name, tmp_path / folder, mirrors=[base], progress=False)
    assert sorted(p.name for p in dest.iterdir()) == sorted(data.SPLIT_FILES["train"] + data.SPLIT_FILES["test"])
    x, y = read_split(dest, "test")
    assert x.shape == (10000, 28, 28)


def test_download_rejects_corrupted_file_and_leaves_nothing(tmp_path, file_server, mnist_dir):
    served = tmp_path / "served"
    shutil.copytree(mnist_dir, served)
    raw = bytearray(gzip.decompress((served / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one flipped label: valid IDX, wrong content
    write_gz(served / "t10k-labels-idx1-ubyte.gz", bytes(raw))
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match="checksum mismatch"):
        download("mnist", dest, mirrors=[file_server(served)], progress=False)
    assert not (dest / "t10k-labels-idx1-ubyte.gz").exists()
    assert not [p for p in dest.iterdir() if p.name.startswith(".")]  # no half files left


def test_download_without_network_says_so(tmp_path):
    with pytest.raises(DataError, match="no network, or every mirror failed"):
        download("mnist", tmp_path, mirrors=["http://127.0.0.1:9/"], progress=False)


def idx_split(folder, labels: np.ndarray) -> None:
    n = len(labels)
    write_gz(folder / "t10k-images-idx3-ubyte.gz", b"\x00\x00\x08\x03" + struct.pack(">3I", n, 28, 28) + bytes(784 * n))
    write_gz(folder / "t10k-labels-idx1-ubyte.gz", b"\x00\x00\x08\x01" + struct.pack(">I", n) + labels.astype(np.uint8).tobytes())


def test_labels_up_to_99_are_read_and_100_refused(tmp_path):
    idx_split(tmp_path, np.arange(100) % 42)
    assert read_split(tmp_path, "test")[1].max() == 41
    idx_split(tmp_path, np.array([3, 99, 100]))
    with pytest.raises(DataError, match="label 100 out of range 0-99"):
        read_split(tmp_path, "test")
