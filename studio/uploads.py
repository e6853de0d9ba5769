"""A visitor's .zip of images, unpacked safely into a training folder (gan/folder_data.py layout).

Refused outright, before anything is written: a zip larger than the upload cap, entries whose path
escapes the folder (`../`, absolute paths), symbolic links, more files than allowed, and zip bombs,
by the sizes the zip declares and again by the bytes actually inflated. Entries that are not image
files are skipped and counted. A single top-level folder is taken as the root, so both
`digits.zip: 0/a.png` and `digits.zip: digits/0/a.png` give classes 0, 1, ...
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .validation import InvalidInput

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"}
CHUNK = 1 << 16


@dataclass(frozen=True)
class UploadLimits:
    zip_mb: int = 50  # the uploaded file
    unpacked_mb: int = 200  # all entries together, declared and actual
    files: int = 20_000  # entries (images are further capped by the training's image count)


@dataclass
class Unpacked:
    folder: Path
    images: int
    skipped: list[str]  # entries that are not image files


def safe_parts(name: str) -> tuple[str, ...]:
    """The entry's path parts, or InvalidInput when it would land outside the folder."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise InvalidInput(f"unsafe path in the zip: {name!r} (absolute)")
    if ".." in path.parts:
        raise InvalidInput(f"unsafe path in the zip: {name!r} (leaves the folder)")
    return tuple(p for p in path.parts if p not in ("", "."))


def is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def unpack_images(zip_path: str | Path, dest: str | Path, limits: UploadLimits = UploadLimits()) -> Unpacked:
    zip_path, dest = Path(zip_path), Path(dest)
    if zip_path.stat().st_size > limits.zip_mb * 2**20:
        raise InvalidInput(f"the zip is {zip_path.stat().st_size / 2**20:.0f} MB; at most {limits.zip_mb} MB")
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as e:
        raise InvalidInput(f"not a readable .zip file ({e})") from None
    with archive:
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) > limits.files:
            raise InvalidInput(f"the zip holds {len(entries):,} files; at most {limits.files:,}")
        for info in entries:
            safe_parts(info.filename)
            if is_symlink(info):
                raise InvalidInput(f"the zip holds a symbolic link ({info.filename!r}); only plain files are accepted")
        declared = sum(i.file_size for i in entries)
        if declared > limits.unpacked_mb * 2**20:
            raise InvalidInput(f"the zip unpacks to {declared / 2**20:.0f} MB; at most {limits.unpacked_mb} MB")
        parts = {info.filename: safe_parts(info.filename) for info in entries}
        tops = {p[0] for p in parts.values() if len(p) > 1}
        strip = 1 if len(tops) == 1 and all(len(p) > 1 for p in parts.values()) else 0
        images, skipped, budget = 0, [], limits.unpacked_mb * 2**20
        dest.mkdir(parents=True, exist_ok=True)
        try:
            for info in entries:
                rel = parts[info.filename][strip:]
                if not rel or rel[-1].startswith(".") or PurePosixPath(rel[-1]).suffix.lower() not in IMAGE_SUFFIXES:
                    skipped.append(info.filename)
                    continue
                budget -= copy_capped(archive, info, dest.joinpath(*rel), budget)
                images += 1
        except Exception:
            shutil.rmtree(dest, ignore_errors=True)
            raise
    if not images:
        shutil.rmtree(dest, ignore_errors=True)
        raise InvalidInput(f"no image files (PNG, JPEG, WebP, BMP, GIF) in the zip; {len(skipped)} other file(s)")
    return Unpacked(dest, images, skipped)


def copy_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Inflate one entry, stopping at its declared size or the remaining budget: a zip may lie
    about its sizes. Returns the bytes written."""
    limit = min(info.file_size, budget)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with archive.open(info) as src, open(target, "wb") as out:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise InvalidInput(f"{info.filename!r} inflates beyond its declared size or the unpack cap: "
                                       "refusing a zip bomb")
                out.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as e:  # CRC errors, truncated entries
        raise InvalidInput(f"damaged entry {info.filename!r} in the zip ({e})") from None
    return written
