"""A visitor's .zip of images, turned into a prepared set (gan/data/prepared.py) at the size and colours chosen.

Nothing the zip names is trusted. Refused outright, before anything is written: a zip larger than
the upload cap, more entries than allowed (folders count too), entries whose path escapes the
folder (`../`, absolute paths, drive letters), symbolic links, names that are not valid text, and
zip bombs, by the sizes the zip declares and again by the bytes actually inflated. Every other
entry is read into memory (at most `entry_mb`), opened as a picture from the allow-list
(gan/data/pictures.py; an animation gives its first frame) and shaped as every training picture is
(28, 32 or 64 px, grey or colour), its class taken from its folder under a name of our own. So an
entry that is not a usable picture (noise, an EPS document named .png, an encrypted or oddly
compressed entry) is skipped with its reason, never written, and clashing, over-long or very deep
names cannot matter. A single top-level folder is taken as the root, so both `digits.zip: 0/a.png` and
`digits.zip: digits/0/a.png` give classes 0, 1, ...
"""

from __future__ import annotations

import io
import shutil
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


from gan.data.folders import fair_order
from gan.data.idx import MAX_CLASSES
from gan.data.pictures import BadPicture, BudgetSpent, DecodeBudget, open_picture
from gan.data.prepared import MAX_IMAGES, Collector, write_prepared
from studio.validation import InvalidInput, shown

CHUNK = 1 << 16
MIN_IMAGES = 64  # one batch of the training recipes
MAX_CLASS_NAME = 64  # characters of a class (sub-folder) name that are kept


@dataclass(frozen=True)
class UploadLimits:
    zip_mb: int = 50  # the uploaded file
    unpacked_mb: int = 200  # all entries together, declared and actual
    files: int = 20_000  # entries, folders included (images are further capped by the training's image count)
    entry_mb: int = 20  # one entry, inflated: a picture larger than this is skipped
    directory_bytes_per_entry: int = 512  # the central directory's size, on average per entry
    # Decoding: real pictures compress to well under a byte a pixel, blank ones to a thousandth.
    # The budget grows with the zip's size, so a small zip cannot buy minutes of decoding.
    base_megapixels: int = 256
    pixels_per_zip_byte: int = 200
    base_cpu_s: float = 5.0
    cpu_s_per_zip_mb: float = 1.0

    def decode_budget(self, zip_bytes: int) -> DecodeBudget:
        return DecodeBudget(pixels=self.base_megapixels * 10**6 + self.pixels_per_zip_byte * zip_bytes,
                            cpu_s=self.base_cpu_s + self.cpu_s_per_zip_mb * zip_bytes / 2**20)


@dataclass
class Unpacked:
    folder: Path
    images: int
    skipped: list[tuple[str, str]]  # (entry name, why)
    classes: list[str]


def safe_parts(name: str) -> tuple[str, ...]:
    """The entry's path parts, or InvalidInput when it would land outside the folder."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise InvalidInput(f"unsafe path in the zip: {shown(name)} (absolute)")
    if ".." in path.parts:
        raise InvalidInput(f"unsafe path in the zip: {shown(name)} (leaves the folder)")
    return tuple(p for p in path.parts if p not in ("", "."))


def is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


END_RECORD = struct.Struct("<4s4H2LH")  # the end of central directory record
ENTRY_HEADER = struct.Struct("<4s6H3L5H2L")  # one central directory entry, before its name, extra and comment


def read_directory(zip_path: Path, limits: UploadLimits) -> bytes:
    """The zip's central directory, located by its end record (zip64 too), once the entry count and
    the directory size the end record declares passed the caps."""
    with open(zip_path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(max(0, size - END_RECORD.size - 65535))  # the record, then at most a 64 KB comment
        tail = f.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < END_RECORD.size:
            raise InvalidInput("not a readable .zip file")
        _, _, _, _, entries, directory_size, _, _ = END_RECORD.unpack_from(tail, at)
        end = size - (len(tail) - at)  # where the directory ends
        if entries == 0xFFFF or directory_size == 0xFFFFFFFF:  # zip64: its own end record, named by a locator
            locator = tail[at - 20:at] if at >= 20 else b""
            if locator[:4] != b"PK\x06\x07":
                raise InvalidInput("not a readable .zip file")
            f.seek(struct.unpack_from("<Q", locator, 8)[0])
            record = f.read(56)
            if record[:4] != b"PK\x06\x06":
                raise InvalidInput("not a readable .zip file")
            entries, directory_size = struct.unpack_from("<QQ", record, 32)
            end -= 20 + 56
        if entries > limits.files:
            raise InvalidInput(f"the zip holds {entries:,} entries (files and folders); at most {limits.files:,}")
        cap = limits.files * limits.directory_bytes_per_entry
        if directory_size > cap:
            raise InvalidInput(f"the zip's table of contents is {directory_size / 2**20:.1f} MB; at most "
                               f"{cap / 2**20:.0f} MB")
        if directory_size > end:
            raise InvalidInput("not a readable .zip file")
        f.seek(end - directory_size)
        return f.read(directory_size)


def check_directory(zip_path: Path, limits: UploadLimits) -> None:
    """Count the directory's entries by walking their record headers (nothing else is parsed), so
    that zipfile, which builds an object per entry, never sees more than the cap, whatever the end
    record claims (560,000 folder entries cost +237 MB in zipfile before they were counted)."""
    directory = read_directory(zip_path, limits)
    at, counted = 0, 0
    while at < len(directory):
        if len(directory) - at < ENTRY_HEADER.size or directory[at:at + 4] != b"PK\x01\x02":
            raise InvalidInput("not a readable .zip file")
        fields = ENTRY_HEADER.unpack_from(directory, at)
        at += ENTRY_HEADER.size + fields[10] + fields[11] + fields[12]  # name, extra field, comment
        counted += 1
        if counted > limits.files:
            raise InvalidInput(f"the zip holds more than {limits.files:,} entries (files and folders)")


def open_zip(zip_path: Path, limits: UploadLimits) -> zipfile.ZipFile:
    if zip_path.stat().st_size > limits.zip_mb * 2**20:
        raise InvalidInput(f"the zip is {zip_path.stat().st_size / 2**20:.0f} MB; at most {limits.zip_mb} MB")
    check_directory(zip_path, limits)
    try:
        return zipfile.ZipFile(zip_path)
    except UnicodeDecodeError:  # names flagged as UTF-8 that are not
        raise InvalidInput("the zip's file names are not valid UTF-8 text; re-create the zip") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise InvalidInput("not a readable .zip file") from None


def check_entries(archive: zipfile.ZipFile, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    """The file entries, once every entry (folders too) passed the count, path, link and size checks."""
    infos = archive.infolist()
    if len(infos) > limits.files:
        raise InvalidInput(f"the zip holds {len(infos):,} entries (files and folders); at most {limits.files:,}")
    for info in infos:
        safe_parts(info.filename)
        if is_symlink(info):
            raise InvalidInput(f"the zip holds a symbolic link ({shown(info.filename)}); only plain files are accepted")
    entries = [i for i in infos if not i.is_dir()]
    declared = sum(i.file_size for i in entries)
    if declared > limits.unpacked_mb * 2**20:
        raise InvalidInput(f"the zip unpacks to {declared / 2**20:.0f} MB; at most {limits.unpacked_mb} MB")
    return entries


def class_folder_names(parts: list[tuple[str, ...]]) -> dict[str, str]:
    """Each sub-folder name -> a folder name of our own: printable, at most MAX_CLASS_NAME
    characters, unique, never hidden."""
    names: dict[str, str] = {}
    for p in parts:
        if len(p) > 1 and p[0] not in names:
            base = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in p[0])[:MAX_CLASS_NAME]
            base = base.lstrip(".") or "class"
            name, n = base, 2
            while name in names.values():
                name, n = f"{base}-{n}", n + 1
            names[p[0]] = name
    return names


def unpack_images(zip_path: str | Path, dest: str | Path, limits: UploadLimits = UploadLimits(),
                  min_images: int = MIN_IMAGES, size: int = 28, channels: int = 1,
                  max_images: int = MAX_IMAGES) -> Unpacked:
    """Write the zip's usable pictures into `dest` (which must not exist yet) as a prepared set
    (gan/data/prepared.py) of size x size pictures, grey (1 channel) or colour (3). On any refusal
    `dest` is removed again."""
    zip_path, dest = Path(zip_path), Path(dest)
    with open_zip(zip_path, limits) as archive:
        entries = check_entries(archive, limits)
        parts = [safe_parts(info.filename) for info in entries]
        tops = {p[0] for p in parts if len(p) > 1}
        strip = 1 if len(tops) == 1 and all(len(p) > 1 for p in parts) else 0
        parts = [p[strip:] for p in parts]
        folders = class_folder_names(parts)
        if len(folders) > MAX_CLASSES:
            raise InvalidInput(f"the zip has {len(folders)} class folders; at most {MAX_CLASSES}")
        classes = sorted(set(folders.values()))
        collector = Collector(size, channels, classes, max_images=max_images, source=shown(zip_path.name))
        budget = limits.decode_budget(zip_path.stat().st_size)
        dest.mkdir(parents=True)
        try:
            # One picture of each class in turn, so that any first N (a training --limit) holds every class.
            groups = [[(info, rel) for info, rel in zip(entries, parts) if (folders.get(rel[0]) if len(rel) > 1 else None)
                       == name] for name in [None, *classes]]
            for (info, rel), _ in fair_order([g for g in groups if g]):
                if not rel or rel[-1].startswith("."):
                    collector.skip(info.filename, "hidden or empty name")
                    continue
                # The declared sizes passed the unpack cap and no entry inflates beyond its own.
                data, why = read_entry(archive, info, limits.entry_mb * 2**20)
                if why is None:
                    try:
                        picture = open_picture(io.BytesIO(data), budget, first_frame=True)
                        label = classes.index(folders[rel[0]]) if len(rel) > 1 else 0
                        collector.add(picture, label, info.filename)
                        continue
                    except BadPicture as e:
                        why = str(e)
                    except BudgetSpent as e:
                        raise InvalidInput(f"the zip is refused: {e} (use fewer or smaller pictures)") from None
                collector.skip(info.filename, why)
            images = len(collector.pictures)
            skipped = collector.skipped
            if images < min_images:
                raise InvalidInput(f"the zip has {images} usable picture(s); training needs at least {min_images} "
                                   f"({len(skipped)} other entr{'y was' if len(skipped) == 1 else 'ies were'} skipped"
                                   + (f", e.g. {shown(skipped[0][0])}: {skipped[0][1]}" if skipped else "") + ")")
            write_prepared(dest, collector.finish())
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
    return Unpacked(dest, images, skipped, classes)


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> tuple[bytes, str | None]:
    """(the entry's bytes, None) or (b"", why it is skipped). Inflating stops at the declared size or
    `limit`: a zip may lie about its sizes, and a lie is a zip bomb, refused whole."""
    if info.flag_bits & 0x1:
        return b"", "encrypted"
    if info.file_size > limit:
        return b"", f"larger than {limit / 2**20:.0f} MB"
    chunks, size = [], 0
    try:
        with archive.open(info) as src:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > info.file_size:
                    raise InvalidInput(f"{shown(info.filename)} inflates beyond its declared size: refusing a zip bomb")
                chunks.append(chunk)
    except NotImplementedError:
        return b"", "compressed with a method this page does not read"
    except RuntimeError:  # zipfile says "password required" for encrypted entries it did not flag
        return b"", "encrypted"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):  # CRC errors, truncated entries
        return b"", "damaged in the zip"
    return b"".join(chunks), None
