"""Your own images: a .zip unpacked safely, a folder of images as a training set."""

import os
import struct
import zipfile

import pytest
import torch
from conftest import run_training
from PIL import Image

from gan.data.folders import load_folder
from gan.data.idx import DataError
from gan.sampling.images import png_bytes
from gan.data.prepared import read_prepared
from studio.uploads import UploadLimits, unpack_images
from studio.validation import InvalidInput


def digit_png(value: int = 0) -> bytes:
    image = Image.new("L", (40, 40), 255)
    image.paste(value, (15, 5, 25, 35))
    return png_bytes(image)


def make_zip(path, entries: dict) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return str(path)


def test_a_zip_with_class_folders_under_one_top_folder_unpacks_to_classes(tmp_path):
    archive = make_zip(tmp_path / "digits.zip", {"digits/zero/a.png": digit_png(), "digits/one/b.png": digit_png(30),
                                                 "digits/one/c.png": digit_png(60), "digits/readme.txt": b"hello",
                                                 "digits/.DS_Store": b"junk"})
    unpacked = unpack_images(archive, tmp_path / "out", min_images=1)
    assert unpacked.images == 3 and sorted(name for name, _ in unpacked.skipped) == ["digits/.DS_Store",
                                                                                      "digits/readme.txt"]
    loaded = read_prepared(unpacked.folder)
    assert loaded.class_names == ["one", "zero"] == unpacked.classes and loaded.images.shape == (3, 1, 28, 28)
    assert loaded.labels.tolist() == [0, 1, 0]  # classes taken in turn (fair_order): one, zero, one


@pytest.mark.parametrize("name, message", [
    ("../evil.png", "leaves the folder"),
    ("a/../../evil.png", "leaves the folder"),
    ("/etc/evil.png", "absolute"),
    ("C:/evil.png", "absolute"),
])
def test_paths_that_escape_are_refused_before_anything_is_written(tmp_path, name, message):
    archive = make_zip(tmp_path / "evil.zip", {"ok/a.png": digit_png(), name: digit_png()})
    with pytest.raises(InvalidInput, match=message):
        unpack_images(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.png").exists()


def test_symlinks_are_refused(tmp_path):
    info = zipfile.ZipInfo("link.png")
    info.external_attr = (0o120777 << 16)  # a symbolic link to /etc/passwd
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as z:
        z.writestr(info, "/etc/passwd")
    with pytest.raises(InvalidInput, match="symbolic link"):
        unpack_images(tmp_path / "link.zip", tmp_path / "out")


def test_zip_bombs_are_refused_by_declared_and_by_actual_size(tmp_path):
    limits = UploadLimits(zip_mb=50, unpacked_mb=1, files=100)
    honest = make_zip(tmp_path / "big.zip", {"a.png": b"\0" * (3 * 2**20)})  # 3 MB of zeros, ~3 kB zipped
    with pytest.raises(InvalidInput, match="unpacks to 3 MB; at most 1 MB"):
        unpack_images(honest, tmp_path / "out", limits)
    # A zip that lies: its headers claim 100 bytes, the data inflates to 3 MB.
    data = bytearray(open(honest, "rb").read())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature)
        data[at + offset:at + offset + 4] = struct.pack("<I", 100)
    (tmp_path / "liar.zip").write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match="zip bomb|damaged in the zip"):  # read no further than it claims
        unpack_images(tmp_path / "liar.zip", tmp_path / "out2", limits)
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize("entries, limits, message", [
    ({"notes.txt": b"no pictures here"}, UploadLimits(), "0 usable picture.*at least 64"),
    ({f"{i}.png": b"x" for i in range(5)}, UploadLimits(files=3), "holds 5 entries .*; at most 3"),
])
def test_empty_or_crowded_zips_get_a_clear_message(tmp_path, entries, limits, message):
    with pytest.raises(InvalidInput, match=message):
        unpack_images(make_zip(tmp_path / "z.zip", entries), tmp_path / "out", limits)


def test_a_file_that_is_not_a_zip_or_too_large_is_refused(tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"not a zip at all")
    with pytest.raises(InvalidInput, match="not a readable .zip"):
        unpack_images(tmp_path / "fake.zip", tmp_path / "out")
    (tmp_path / "huge.zip").write_bytes(os.urandom(2 * 2**20))
    with pytest.raises(InvalidInput, match="at most 1 MB"):
        unpack_images(tmp_path / "huge.zip", tmp_path / "out", UploadLimits(zip_mb=1))


def test_training_on_a_folder_skips_bad_files_and_needs_something_usable(tmp_path):
    for cls, value in (("dark", 0), ("grey", 120)):
        (tmp_path / "set" / cls).mkdir(parents=True)
        for i in range(40):
            (tmp_path / "set" / cls / f"{i}.png").write_bytes(digit_png(value))
    (tmp_path / "set" / "dark" / "broken.png").write_bytes(digit_png()[:60])  # cut short
    path = run_training(tmp_path / "run", dataset=f"folder:{tmp_path / 'set'}", conditional=True, steps=4,
                        batch_size=16, limit=None, sample_every=2, checkpoint_every=2)
    import json
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["class_names"] == ["dark", "grey"] and meta["images"] == 80 and meta["skipped_files"] == 1
    assert meta["dataset"] == f"folder:{(tmp_path / 'set').resolve()}"
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.txt").write_text("nothing")
    with pytest.raises(DataError, match="no usable images"):
        load_folder(f"folder:{tmp_path / 'empty'}")


def class_folders_of_digits(root, counts: dict[str, int]):
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            (root / name / f"{i:03d}.png").write_bytes(digit_png(i))
    return root


def test_the_first_n_images_are_taken_fairly_from_every_class(tmp_path):
    root = class_folders_of_digits(tmp_path / "set", {"a": 50, "b": 50, "c": 50})
    loaded = load_folder(f"folder:{root}", limit=60)
    assert torch.bincount(loaded.labels).tolist() == [20, 20, 20]  # was [50, 10, 0]
    few = load_folder(f"folder:{class_folders_of_digits(tmp_path / 'uneven', {'a': 5, 'b': 40})}", limit=30)
    assert torch.bincount(few.labels).tolist() == [5, 25]  # a class with fewer gives all it has


def test_the_progress_grid_has_a_column_per_class(tmp_path, mnist_dir):
    root = class_folders_of_digits(tmp_path / "three", {"a": 30, "b": 30, "c": 30})
    out = run_training(tmp_path / "run", dataset=f"folder:{root}", conditional=True, preset="mlp", steps=2,
                       sample_every=2, checkpoint_every=2, limit=None)
    grid = Image.open(sorted((out.parent / "samples").glob("step_*.png"))[-1])
    assert grid.size == (2 * (3 * 30 + 2), 2 * (10 * 30 + 2))  # 3 classes x 10 rows, scale 2 (was 10 columns)
