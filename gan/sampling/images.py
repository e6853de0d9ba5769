"""Image grids, strips and GIFs from uint8 arrays, with numpy and Pillow only.

A picture for display is [H, W] (grey) or [H, W, 3] (RGB) uint8; a batch adds a leading N.
`to_display` turns the channels-first arrays the nets and data sets use into that."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image


GRID_PADDING = 2  # pixels between and around the tiles of a grid


def grid_size(n: int, ncol: int, tile: tuple[int, int], padding: int = GRID_PADDING) -> tuple[int, int]:
    """(width, height) of make_grid's image for `n` tiles of (height, width) `tile`, `ncol` a row."""
    h, w = tile
    return ncol * (w + padding) + padding, math.ceil(n / ncol) * (h + padding) + padding


def tile_index(x: float, y: float, n: int, ncol: int, tile: tuple[int, int], padding: int = GRID_PADDING) -> int | None:
    """The index of make_grid's tile under pixel (x, y) of the unscaled grid (a gap counts as the
    tile after it), or None past the last tile."""
    h, w = tile
    col = min(ncol - 1, max(0, int((x - padding) // (w + padding))))
    row = min(math.ceil(n / ncol) - 1, max(0, int((y - padding) // (h + padding))))
    return row * ncol + col if row * ncol + col < n else None


def to_display(images: np.ndarray) -> np.ndarray:
    """uint8 [N, C, H, W] (C = 1 or 3) -> [N, H, W] or [N, H, W, 3]."""
    images = np.asarray(images)
    return images[:, 0] if images.shape[1] == 1 else np.ascontiguousarray(images.transpose(0, 2, 3, 1))


def from_display(images):
    """Display pictures ([N, H, W] grey or [N, H, W, 3] RGB, numpy or torch) -> a uint8 tensor in
    the layout the data sets use: [N, H, W] grey (to_model_range adds the channel) or [N, 3, H, W]."""
    import torch

    t = torch.as_tensor(np.asarray(images), device="cpu")
    return t.permute(0, 3, 1, 2) if t.dim() == 4 else t


def make_grid(images: np.ndarray, nrow: int | None = None, padding: int = GRID_PADDING, scale: int = 1,
              pad_value: int = 0) -> Image.Image:
    """Tile display pictures ([N,H,W] grey or [N,H,W,3] RGB uint8) into one image, `nrow` per row
    (default: square), then upscale by an integer factor with nearest-neighbour so pixels stay crisp."""
    images = np.asarray(images, dtype=np.uint8)
    if images.ndim == 2 or (images.ndim == 3 and images.shape[-1] == 3 and images.shape[0] != 3):
        images = images[None]
    n, h, w = images.shape[:3]
    ncol = nrow or max(1, math.ceil(math.sqrt(n)))
    width, height = grid_size(n, ncol, (h, w), padding)
    grid = np.full((height, width, *images.shape[3:]), pad_value, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, ncol)
        y, x = padding + r * (h + padding), padding + c * (w + padding)
        grid[y:y + h, x:x + w] = img
    out = Image.fromarray(grid, mode="RGB" if grid.ndim == 3 else "L")
    if scale > 1:
        out = out.resize((out.width * scale, out.height * scale), Image.NEAREST)
    return out


def upscale(image: np.ndarray, scale: int) -> Image.Image:
    return make_grid(image[None], nrow=1, padding=0, scale=scale)


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: list[Image.Image], frame_ms: int = 80, boomerang: bool = True) -> bytes:
    """Animated, looping GIF; `boomerang` plays forwards then backwards for a seamless loop."""
    seq = frames + frames[-2:0:-1] if boomerang and len(frames) > 2 else frames
    buf = io.BytesIO()
    seq[0].save(buf, format="GIF", save_all=True, append_images=seq[1:], duration=frame_ms, loop=0)
    return buf.getvalue()


def decode_all_frames(path: str) -> str:
    """Decode an image file to its last frame and return its format; a truncated file raises."""
    with Image.open(path) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            image.load()
        return image.format
