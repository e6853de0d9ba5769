"""`python -m gan.prepare`: turn pictures from anywhere into one prepared set (gan/data/prepared.py).

    python -m gan.prepare ~/icons --size 64 --out data/icons64            # a folder (sub-folders = classes)
    python -m gan.prepare icons.zip --size 32 --grey --out data/icons32   # a zip of the same
    python -m gan.prepare mnist --size 32 --out data/mnist32              # the IDX files (--split test too)
    python -m gan.prepare cifar-10-batches-bin --size 32 --out data/cifar # CIFAR-10's binary release

then `python -m gan.train --dataset prepared:data/icons64`. Pictures are turned upright (EXIF),
transparency is composited on --background, the centre square is cut and resized with LANCZOS,
an animation gives its first frame, and exact duplicates are dropped. Every skipped file is listed
with its reason in dataset.json (and the first few on the terminal).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import ImageColor

from gan.data import sources
from gan.data.idx import DATASETS, DataError
from gan.data.prepared import MAX_IMAGES, SIZES, Collector, write_prepared


def prepare(src: str, size: int, grey: bool = False, background: str = "white", split: str = "train",
            limit: int = MAX_IMAGES) -> Collector:
    """Read `src` into a Collector at size x size (finish() it for the PreparedSet)."""
    path = Path(src).expanduser()
    rgb = ImageColor.getrgb(background)[:3]
    idx_source = src in DATASETS or (path.is_dir() and any(path.glob("*-idx3-ubyte.gz")))
    channels = 1 if grey or idx_source else 3
    if idx_source:
        classes = list(DATASETS[src].class_names) if src in DATASETS else [str(d) for d in range(10)]
        collector = Collector(size, channels, classes, rgb, limit, source=f"IDX {src} ({split})")
        sources.read_idx(src, split, collector)
    elif sources.is_cifar(path):
        collector = Collector(size, channels, sources.cifar_classes(path), rgb, limit, source=f"CIFAR-10 ({split})")
        sources.read_cifar(path, split, collector)
    elif path.is_file() and path.suffix.lower() == ".zip":
        collector = Collector(size, channels, sources.zip_classes(path), rgb, limit, source=path.name)
        sources.read_zip(path, collector)
    elif path.is_dir():
        collector = Collector(size, channels, sources.folder_classes(path), rgb, limit, source=path.name)
        sources.read_folder(path, collector)
    else:
        raise DataError(f"{src}: not a folder, a .zip, an IDX data set ({', '.join(DATASETS)}) "
                        "or cifar-10-batches-bin")
    return collector


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gan.prepare", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", help="a folder or .zip of pictures, mnist / fashion (or a folder of IDX files), "
                                "or cifar-10-batches-bin")
    ap.add_argument("--size", type=int, choices=SIZES, default=32, help="pictures are size x size (default: 32)")
    ap.add_argument("--grey", action="store_true", help="one grey channel (the IDX sets are always grey)")
    ap.add_argument("--background", default="white", help="colour under transparent pixels (default: white)")
    ap.add_argument("--split", choices=("train", "test"), default="train", help="for the IDX sets and CIFAR-10")
    ap.add_argument("--limit", type=int, default=MAX_IMAGES, help=f"at most this many pictures ({MAX_IMAGES:,})")
    ap.add_argument("--out", required=True, help="the prepared set's folder")
    args = ap.parse_args(argv)
    try:
        data = prepare(args.src, args.size, args.grey, args.background, args.split, args.limit).finish()
        write_prepared(args.out, data)
    except (DataError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for name, why in data.skipped[:10]:
        print(f"skipped {name}: {why}", file=sys.stderr)
    if len(data.skipped) > 10:
        print(f"... and {len(data.skipped) - 10} more (all listed in {Path(args.out) / 'dataset.json'})", file=sys.stderr)
    c, h, w = data.image_shape
    print(f"{args.out}: {len(data.images):,} pictures, {c}x{h}x{w}, {len(data.class_names)} class(es), "
          f"{len(data.skipped)} skipped; train with --dataset prepared:{args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
