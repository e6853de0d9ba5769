"""Peak memory while a visitor's colour zip is prepared, above the process's idle RSS.

    python bench/prepare_memory.py [--pictures 3700] [--size 64]

A fresh process imports what the app imports (torch, gradio, the studio), notes its RSS (idle),
then unpacks a zip of `pictures` colour PNGs (96 px discs on coloured grounds, every 50th a 2048 px
photo-sized one) into a prepared set at size x size colour, through the Train tab's path
(studio/uploads.py), and prints the peak RSS (the kernel's high-water mark, VmHWM) above idle. The target (#43): under 300 MB
for 3,700 pictures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys
import gradio, torch  # noqa: F401  (what the app holds at idle)
import studio.uploads as uploads
from gan.data.pictures import restrict_pillow
restrict_pillow()

def status_mb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024

# ru_maxrss would carry the parent's peak across fork + exec (a pytest run's); the kernel's
# high-water mark, reset here, is this process's own.
open("/proc/self/clear_refs", "w").write("5")
idle = status_mb("VmRSS")
unpacked = uploads.unpack_images(sys.argv[1], sys.argv[2], size=int(sys.argv[3]), channels=3)
peak = status_mb("VmHWM")
print(json.dumps({"idle_mb": round(idle), "peak_mb": round(peak), "above_idle_mb": round(peak - idle),
                  "pictures": unpacked.images}))
"""


def make_zip(path: Path, pictures: int) -> Path:
    import io
    import zipfile

    from PIL import Image

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import colour_shapes

    with zipfile.ZipFile(path, "w") as archive:
        for i, picture in enumerate(colour_shapes(pictures, seed=1)):
            if i % 50 == 0:  # a photo-sized picture now and then: decoding it is the expensive part
                picture = picture.resize((2048, 2048), Image.NEAREST)
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG")
            archive.writestr(f"mine/{i:05d}.png", buffer.getvalue())
    return path


def measure(pictures: int = 3700, size: int = 64) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        archive = make_zip(Path(tmp) / "mine.zip", pictures)
        out = subprocess.run([sys.executable, "-c", CHILD, str(archive), str(Path(tmp) / "prepared"), str(size)],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        return {**json.loads(out.stdout.strip().splitlines()[-1]), "zip_mb": round(archive.stat().st_size / 2**20, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pictures", type=int, default=3700)
    ap.add_argument("--size", type=int, default=64)
    args = ap.parse_args()
    print(json.dumps(measure(args.pictures, args.size)))


if __name__ == "__main__":
    main()
