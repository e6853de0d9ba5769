"""Make the two colour data sets the colour work is measured on, on this machine (never committed).

    python scripts/make_colour_sets.py --out data             # both, into data/emoji64, data/emoji32,
                                                              # data/colour-mnist32 (+ -test)
- emoji: every single-codepoint glyph of Debian's fonts-noto-color-emoji (apt-get install
  fonts-noto-color-emoji), rendered by Pillow at the font's bitmap size (109 px, embedded_color),
  composited on white, centred, at 64 and 32 px. Unlabelled and few (~1,400): like a user's own set.
- colour-mnist: MNIST digits with ink and background colours drawn per picture from a seeded
  palette (the ink always far from the background), 32 px, 60k train / 10k test, labelled.
Both are written with gan/data/prepared.py's Collector, as python -m gan.prepare would.
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gan.data.idx import load_dataset  # noqa: E402
from gan.data.prepared import Collector, write_prepared  # noqa: E402

EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
BITMAP_SIZE = 109  # Noto Color Emoji's strikes are 136x128 bitmaps drawn for 109 px


def codepoints(font_path: Path) -> list[int]:
    """The code points a TrueType font's cmap maps (format 12 or 4 subtables), read with struct."""
    data = font_path.read_bytes()
    tables = {data[12 + 16 * i:16 + 16 * i]: struct.unpack(">II", data[20 + 16 * i:28 + 16 * i])
              for i in range(struct.unpack(">H", data[4:6])[0])}
    cmap = tables[b"cmap"][0]
    points: set[int] = set()
    for i in range(struct.unpack(">H", data[cmap + 2:cmap + 4])[0]):
        offset = cmap + struct.unpack(">I", data[cmap + 8 + 8 * i:cmap + 12 + 8 * i])[0]
        fmt = struct.unpack(">H", data[offset:offset + 2])[0]
        if fmt == 12:
            for g in range(struct.unpack(">I", data[offset + 12:offset + 16])[0]):
                start, end, _ = struct.unpack(">III", data[offset + 16 + 12 * g:offset + 28 + 12 * g])
                points.update(range(start, end + 1))
        elif fmt == 4:
            segs = struct.unpack(">H", data[offset + 6:offset + 8])[0] // 2
            ends = struct.unpack(f">{segs}H", data[offset + 14:offset + 14 + 2 * segs])
            starts = struct.unpack(f">{segs}H", data[offset + 16 + 2 * segs:offset + 16 + 4 * segs])
            for s, e in zip(starts, ends):
                points.update(range(s, min(e, 0xFFFE) + 1))
    return sorted(p for p in points if p > 0x7F and p not in (0x200D, 0xFE0F, 0x20E3) and not 0x1F3FB <= p <= 0x1F3FF
                  and not 0x1F1E6 <= p <= 0x1F1FF and not 0xE0020 <= p <= 0xE007F)


def render_emoji(font: ImageFont.FreeTypeFont, point: int) -> Image.Image | None:
    canvas = Image.new("RGBA", (160, 160), (255, 255, 255, 0))
    ImageDraw.Draw(canvas).text((80, 80), chr(point), font=font, embedded_color=True, anchor="mm")
    box = canvas.getbbox()
    if box is None:
        return None
    # The glyph's own box, made square around its centre, so centre-cropping keeps all of it.
    cx, cy, side = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, max(box[2] - box[0], box[3] - box[1]) + 4
    return canvas.crop((round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2)))


def make_emoji(out: Path, sizes=(64, 32)) -> None:
    if not EMOJI_FONT.exists():
        raise SystemExit(f"{EMOJI_FONT} is missing: apt-get install fonts-noto-color-emoji")
    font = ImageFont.truetype(str(EMOJI_FONT), BITMAP_SIZE)
    glyphs = [(p, g) for p in codepoints(EMOJI_FONT) if (g := render_emoji(font, p)) is not None]
    for size in sizes:
        collector = Collector(size, 3, [], source=f"{EMOJI_FONT.name}, single code points")
        for point, glyph in glyphs:
            collector.add(glyph, 0, f"U+{point:04X}")
        data = collector.finish()
        write_prepared(out / f"emoji{size}", data)
        print(f"{out / f'emoji{size}'}: {len(data.images)} glyphs ({len(data.skipped)} duplicates dropped)")


def palette_colours(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ink and background colours per picture: hues anywhere, the background's brightness far from
    the ink's (a dark ink on a light ground or the reverse), so the digit always reads."""
    from colorsys import hsv_to_rgb

    hues = rng.random((n, 2))
    light_ink = rng.random(n) < 0.5
    ink_v = np.where(light_ink, rng.uniform(0.8, 1.0, n), rng.uniform(0.0, 0.35, n))
    ground_v = np.where(light_ink, rng.uniform(0.0, 0.35, n), rng.uniform(0.8, 1.0, n))
    sat = rng.uniform(0.3, 1.0, (n, 2))
    ink = np.array([hsv_to_rgb(h, s, v) for h, s, v in zip(hues[:, 0], sat[:, 0], ink_v)])
    ground = np.array([hsv_to_rgb(h, s, v) for h, s, v in zip(hues[:, 1], sat[:, 1], ground_v)])
    return ink, ground


def make_colour_mnist(out: Path, size: int = 32, seed: int = 0) -> None:
    for split, name in (("train", f"colour-mnist{size}"), ("test", f"colour-mnist{size}-test")):
        images, labels = load_dataset("mnist", split)
        rng = np.random.default_rng(seed + (split == "test"))
        ink, ground = palette_colours(rng, len(images))
        # Resize the grey digit once (LANCZOS, as prepare does), then colour it: ink weight = grey level.
        grey = np.stack([np.asarray(Image.fromarray(d).resize((size, size), Image.LANCZOS), np.float32) / 255
                         for d in images.numpy()])
        rgb = grey[:, None] * ink[:, :, None, None] + (1 - grey[:, None]) * ground[:, :, None, None]
        pixels = (rgb * 255).round().clip(0, 255).astype(np.uint8)
        collector = Collector(size, 3, [str(d) for d in range(10)], source=f"MNIST {split}, coloured (seed {seed})")
        for i, (picture, label) in enumerate(zip(pixels, labels.tolist())):
            collector.add_pixels(picture, label, f"{split}#{i}")
        data = collector.finish()
        write_prepared(out / name, data)
        print(f"{out / name}: {len(data.images)} pictures ({len(data.skipped)} duplicates dropped)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "data"), help="parent folder of the sets (default: data/)")
    ap.add_argument("--only", choices=("emoji", "colour-mnist"), help="make one set only")
    args = ap.parse_args()
    out = Path(args.out)
    if args.only != "colour-mnist":
        make_emoji(out)
    if args.only != "emoji":
        make_colour_mnist(out)


if __name__ == "__main__":
    main()
