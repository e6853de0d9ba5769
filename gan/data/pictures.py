"""Any picture -> a 28x28 grey image the way the data sets themselves were made.

MNIST (LeCun et al.): the digit's bounding box scaled so that its longer side is 20 pixels
(aspect kept, anti-aliased), then placed in a 28x28 field so that its centre of mass sits at the
centre. Fashion-MNIST (Xiao et al., 2017): the product trimmed to its bounding box and scaled so
that its longer side is 28 pixels, centred by the box. Both sets are light ink on black, so a
picture with a light background (a pen drawing, a product photo) is inverted first.
"""

from __future__ import annotations

import struct
import threading
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from PIL import Image

from gan.data.idx import DATASETS, DEFAULT_DATASET
from gan.memory import release_freed_memory

INK_THRESHOLD = 0.2  # of the brightest ink: what counts as ink when finding the bounding box
BLANK_BELOW = 13  # of 255 (5 %): a picture whose brightest ink is fainter has none
GREY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R 601 luma, as Pillow's convert("L")
# The only formats a visitor's picture is opened as. Sniffing whatever Pillow can read would let a
# file named .png reach EPS (Ghostscript runs the file's PostScript), TIFF's many codecs, and so on.
PICTURE_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
FORMAT_NAMES = "PNG, JPEG, WebP, BMP or GIF"
MAX_PIXELS = 4096 * 4096  # larger pictures are refused from their header, before any decoding
# What decoding may allocate, from the header: pixels x bytes per pixel as Pillow stores the mode
# (multi-band modes take 4 bytes a pixel, 16-bit greys 2, palette and bilevel 1).
MAX_DECODED_BYTES = 4096 * 4096 * 4
WORKING_SIZE = 512  # right after decoding a picture is reduced to this many pixels a side at most
# A 4096x4096 RGBA picture decodes to 64 MB (16-bit: 128 MB); pictures above a megapixel are decoded
# one at a time, so concurrent worst-case requests add one such buffer, not one each.
BIG_PICTURE = 1 << 20
_big_decodes = threading.BoundedSemaphore(1)


class BadPicture(ValueError):
    """A file that is not a usable picture; the message says why (and never names a server path)."""


class NoInk(BadPicture):
    """The picture is blank: nothing to find."""


class BudgetSpent(Exception):
    """A batch of pictures (a visitor's zip) has used up its decoding budget: the whole batch is refused."""


class DecodeBudget:
    """How many pixels, and how many seconds of this thread's CPU, a batch of pictures may decode.
    `open_picture(..., budget=)` charges each picture's decoded size before decoding it."""

    def __init__(self, pixels: int, cpu_s: float):
        self.pixels, self.cpu_s = pixels, cpu_s
        self.spent_pixels, self._cpu0 = 0, time.thread_time()

    def cpu_used(self) -> float:
        return time.thread_time() - self._cpu0

    def charge(self, pixels: int) -> None:
        self.spent_pixels += pixels
        if self.spent_pixels > self.pixels:
            raise BudgetSpent(f"its pictures add up to more than {self.pixels / 1e6:,.0f} megapixels")
        if self.cpu_used() > self.cpu_s:
            raise BudgetSpent(f"reading its pictures took more than {self.cpu_s:.0f} s of the server's time")


EXIF_ORIENTATION = 0x0112
ORIENTATIONS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
                5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
                8: Image.Transpose.ROTATE_90}


def open_picture(source, budget: DecodeBudget | None = None, first_frame: bool = False) -> Image.Image:
    """Open a picture (a path or a binary file) as one of PICTURE_FORMATS, refusing what would hurt or
    mislead: other formats, truncated files, decompression bombs and pictures too large to decode (by
    the size and mode in the header) and animations (`first_frame`: take an animation's first frame,
    as a training set does). Returns it decoded, turned upright by its EXIF orientation (read from
    the decoded picture, since the reduced copy no longer carries it) and reduced to at most WORKING_SIZE a
    side (aspect kept). `budget`: charged before decoding (BudgetSpent when spent)."""
    try:
        image = Image.open(source, formats=PICTURE_FORMATS)
    except Image.DecompressionBombError:
        raise BadPicture(f"the picture is too large (at most {MAX_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError, struct.error):  # Pillow's UnidentifiedImageError is an OSError
        raise BadPicture(f"not a picture in a format this page reads ({FORMAT_NAMES})") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise BadPicture(f"the picture is {width}x{height}; at most {MAX_PIXELS:,} pixels are accepted")
    if getattr(image, "n_frames", 1) > 1 and not first_frame:
        raise BadPicture("an animated picture: upload a single still image")
    if image.format == "JPEG":  # JPEG can decode at 1/2, 1/4 or 1/8 scale: never the full photo
        image.draft(image.mode if image.mode in ("L", "RGB") else None, (WORKING_SIZE, WORKING_SIZE))
    width, height = image.size
    if decoded_bytes(image) > MAX_DECODED_BYTES:
        raise BadPicture(f"the picture is {width}x{height} in the {image.mode} mode: too large to decode here")
    if budget is not None:
        budget.charge(width * height)
    big = width * height > BIG_PICTURE
    with _big_decodes if big else nullcontext():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. Pillow's warnings about odd palettes
                image.load()
                upright = orientation(image)  # after load: a PNG's getexif() would decode it outside the lock
                copy = working_copy(image)
                return copy.transpose(upright) if upright is not None else copy
        except (OSError, SyntaxError, ValueError, struct.error, MemoryError):
            raise BadPicture("the picture file is damaged or truncated") from None
        finally:
            if big:  # the full-size buffers are gone: hand their pages back, or each thread keeps them
                del image
                release_freed_memory()


def orientation(image: Image.Image):
    """The transpose that turns a loaded picture upright by its EXIF orientation, or None."""
    try:
        return ORIENTATIONS.get(image.getexif().get(EXIF_ORIENTATION))
    except (OSError, SyntaxError, ValueError, struct.error, TypeError):
        return None  # an unreadable EXIF block: the picture as stored


def decoded_bytes(image: Image.Image) -> int:
    """What decoding `image` allocates, from its header (the size after any JPEG draft)."""
    per_pixel = 1 if image.mode in ("1", "L", "P") else 2 if image.mode.startswith("I;16") else 4
    return image.width * image.height * per_pixel


def reduced(image: Image.Image, factor: int, rows: int = 16) -> Image.Image:
    """image.reduce(factor) (a box average), `rows` output rows at a time: never a second
    full-size buffer (Pillow's resize of LA/RGBA goes through a premultiplied full-size copy, +64 MB
    for 4096x4096; a 16-bit grey, which Pillow cannot reduce, is widened to 32 bits a band at a
    time). Palette and bilevel pictures are returned as they are (they cannot be averaged)."""
    if factor <= 1 or image.mode in ("1", "P"):
        return image
    wide = image.mode.startswith("I;16")
    width, height = image.size
    out = Image.new("I" if wide else image.mode, (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows * factor):
        band = image.crop((0, top, width, min(height, top + rows * factor)))
        out.paste((band.convert("I") if wide else band).reduce(factor), (0, top // factor))
    return out


def working_copy(image: Image.Image) -> Image.Image:
    """The decoded picture at most WORKING_SIZE a side, in an 8-bit mode: 16-bit and float greys
    are scaled by their own range (a plain convert("L") would clip them to white), after reducing."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        image = reduced(image, max(image.size) // WORKING_SIZE)
        values = np.asarray(image, dtype=np.float32)
        top = 1.0 if image.mode == "F" and values.max() <= 1.0 else 255.0 if values.max() <= 255 else 65535.0
        image = Image.fromarray((values.clip(0, top) * (255 / top)).round().astype(np.uint8), "L")
    elif image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        try:
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        except ValueError:
            raise BadPicture(f"a picture in the {image.mode} colour mode, which this page does not read") from None
    image = reduced(image, max(image.size) // WORKING_SIZE)  # near the size, one band at a time
    if max(image.size) > WORKING_SIZE:
        image.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.LANCZOS)
    return image


def restrict_pillow(formats: tuple[str, ...] = PICTURE_FORMATS, max_pixels: int = MAX_PIXELS) -> None:
    """For a server process: whatever opens a picture (this project, or Gradio's own components)
    can only open `formats`, never runs Ghostscript, and refuses pictures over `max_pixels`."""
    from PIL import EpsImagePlugin

    Image.init()  # every plugin registered now, so none registers itself later
    Image.ID[:] = [f for f in Image.ID if f in formats]
    for name in [f for f in Image.OPEN if f not in formats]:
        del Image.OPEN[name]
    EpsImagePlugin.gs_binary = False  # even if EPS came back, it would not find Ghostscript
    Image.MAX_IMAGE_PIXELS = max_pixels // 2  # Pillow refuses twice this and warns above it
    # Image memory in blocks above glibc's largest mmap threshold (32 MB): a big picture's buffers
    # go back to the system when freed instead of staying in the decoding thread's arena.
    Image.core.set_block_size(64 << 20)
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


@dataclass(frozen=True)
class PictureRule:
    """How a picture is made like a data set's pictures. The page's live drawing guess follows the
    same rule (studio/ui/static/picture_rule.js, which receives these fields in the model's meta),
    so every step after the grey conversion works on whole 8-bit values and double-precision
    arithmetic that JavaScript reproduces exactly: Pillow's LANCZOS in fixed point, integer sums
    for the centre of mass, Python's round-half-even."""
    longest: int  # the ink box's longer side, in pixels of the field
    centre: str   # "mass": the centre of mass lands on the field's centre; "box": the box's centre
    size: int = 28
    ink_threshold: float = INK_THRESHOLD  # of the brightest ink: what the bounding box keeps
    blank_below: int = BLANK_BELOW        # a picture whose brightest ink is below this has none
    grey_weights: tuple[float, float, float] = GREY_WEIGHTS
    resize: str = "pillow-lanczos"


def picture_rule(dataset: str = DEFAULT_DATASET) -> PictureRule:
    """`dataset`'s rule (data sets without one, a visitor's own, take the digit rule)."""
    if getattr(DATASETS.get(dataset), "picture_rule", "digit") == "product":
        return PictureRule(longest=28, centre="box")
    return PictureRule(longest=20, centre="mass")


def to_grey(image: Image.Image) -> np.ndarray:
    """Grey uint8; transparent pixels count as background, so strokes drawn on a transparent
    canvas (alpha only) still read as ink."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float64) / 255
        grey = rgba[..., :3] @ np.array(GREY_WEIGHTS)
        alpha = rgba[..., 3]
        if alpha.min() < 1:  # composite onto the colour that makes the strokes stand out
            strokes = grey[alpha > 0.5]
            dark_strokes = len(strokes) == 0 or np.median(strokes) < 0.5
            grey = grey * alpha + (1.0 if dark_strokes else 0.0) * (1 - alpha)
        return (grey * 255).round().astype(np.uint8)
    return np.asarray(image.convert("L"), dtype=np.uint8)


def ink(grey: np.ndarray) -> np.ndarray:
    """Light ink on dark (uint8): invert when the border (the background) is mostly light."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return 255 - grey if np.median(border) > 127.5 else grey


def bounding_box(x: np.ndarray, rule: PictureRule) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), exclusive ends, of the pixels above the ink threshold (uint8 x)."""
    brightest = int(x.max())
    rows, cols = np.nonzero(x > rule.ink_threshold * brightest)
    if brightest < rule.blank_below or len(rows) == 0:
        raise NoInk("the picture has no ink: draw or upload something first")
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def fit(x: np.ndarray, rule: PictureRule) -> np.ndarray:
    """Crop to the ink's box and scale its longer side to `rule.longest` pixels, aspect kept (uint8)."""
    top, bottom, left, right = bounding_box(x, rule)
    crop = x[top:bottom, left:right]
    h, w = crop.shape
    scale = rule.longest / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(np.ascontiguousarray(crop)).resize(size, Image.LANCZOS), dtype=np.uint8)


def paste_at(field: np.ndarray, patch: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """Put `patch` into `field` so that `centre` (row, col in patch coordinates) lands on the field's centre."""
    top = int(round(field.shape[0] / 2 - centre[0]))
    left = int(round(field.shape[1] / 2 - centre[1]))
    h, w = patch.shape
    r0, c0 = max(0, top), max(0, left)
    r1, c1 = min(field.shape[0], top + h), min(field.shape[1], left + w)
    field[r0:r1, c0:c1] = patch[r0 - top:r1 - top, c0 - left:c1 - left]
    return field


def mnist_style(image: Image.Image, dataset: str = DEFAULT_DATASET) -> np.ndarray:
    """A 28x28 uint8 image (light ink on black) the way `dataset` was made (its PictureRule)."""
    rule = picture_rule(dataset)
    patch = fit(ink(to_grey(image)), rule)
    mass = int(patch.sum(dtype=np.int64))
    if rule.centre == "box" or mass == 0:
        centre = (patch.shape[0] / 2, patch.shape[1] / 2)
    else:  # whole-number sums: exact, in any language
        rows, cols = np.indices(patch.shape)
        centre = (int((rows * patch).sum(dtype=np.int64)) / mass, int((cols * patch).sum(dtype=np.int64)) / mass)
    return paste_at(np.zeros((rule.size, rule.size), np.uint8), patch, centre)


def model_picture(image: Image.Image, dataset: str, image_shape=(1, 28, 28)) -> np.ndarray:
    """A visitor's picture as a model's training pictures were made, in display layout: for 28x28
    grey models the data set's own rule (mnist_style); for colour and 32/64 px models the prepared
    sets' (gan/data/prepared.py: centre square, LANCZOS, transparency on white)."""
    channels, size, _ = image_shape
    if tuple(image_shape) == (1, 28, 28):
        return mnist_style(image, dataset)
    from gan.data.prepared import training_picture

    pixels = training_picture(image, size, channels)
    return pixels[0] if channels == 1 else pixels.transpose(1, 2, 0)
