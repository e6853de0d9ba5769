"""onnxruntime-web, the runtime that runs the generators in a visitor's browser: fetched once from
npm, checked against a pinned checksum, and served by the app from its own origin.

Why this way:
- Served from the app's own origin, never a CDN: the page works offline, in the container and
  behind a firewall, and a visitor's browser talks to nobody else.
- Fetched, not committed: the WebAssembly binary is 15 MB, and every version bump would stay in
  the repository's history for good.
- Fetched by Python, not `npm install`: a fresh machine has Python and pip, not Node; the README's
  set-up (pip install, then python app.py) stays the whole set-up. The first start fetches the
  pinned npm tarball (35 MB, a few seconds) in the background; the explorer says so until it is
  there. The Dockerfile runs `python -m studio.browser_runtime` at build time, so the image needs
  no network at run time. Behind a firewall: `python -m studio.browser_runtime --tarball FILE.tgz`
  with a tarball copied in by hand (the checksum is checked just the same).

Only three files of the package are kept (the JS module, its wasm loader and the single-threaded-
capable SIMD wasm binary), plus the licence, and each is stored precompressed (brotli, gzip) once,
so serving 200 visitors costs no compression work.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import logging
import sys
import tarfile
import threading
import urllib.request
from pathlib import Path

import brotli

from gan.fileio import atomic_write, cache_dir

log = logging.getLogger("gan_studio")

VERSION = "1.31.1"
TARBALL_URL = f"https://registry.npmjs.org/onnxruntime-web/-/onnxruntime-web-{VERSION}.tgz"
# npm's dist.integrity for that tarball (`npm view onnxruntime-web@1.31.1 dist.integrity`)
INTEGRITY = "sha512-5GeH+bWQ+HxM10z7erGlsWqryrwMbSvm/1tkIsKTT48g0fI19VXVVC435t4t7VsPdSQeS7NmuZPXrQ73k82URw=="
FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
LICENCE_NAME = "LICENSE.txt"
MAX_TARBALL_MB = 64
LICENCE = f"""onnxruntime-web {VERSION} (https://www.npmjs.com/package/onnxruntime-web), served unmodified.

MIT License

Copyright (c) Microsoft Corporation

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


class RuntimeUnavailable(Exception):
    pass


def default_dir() -> Path:
    return cache_dir() / f"onnxruntime-web-{VERSION}"


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def is_installed(folder: Path) -> bool:
    return all((folder / name).is_file() and (folder / (name + ".br")).is_file() for name in (*FILES, LICENCE_NAME))


def download(url: str = TARBALL_URL, timeout: float = 60.0) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read(MAX_TARBALL_MB * 2**20 + 1)
    except OSError as e:
        raise RuntimeUnavailable(f"could not download {url} ({e})") from None
    if len(data) > MAX_TARBALL_MB * 2**20:
        raise RuntimeUnavailable(f"{url} is larger than {MAX_TARBALL_MB} MB")
    return data


def install(tarball: bytes, folder: Path) -> None:
    """Check `tarball` against INTEGRITY, keep FILES and the licence, each with .br and .gz copies."""
    if integrity_of(tarball) != INTEGRITY:
        raise RuntimeUnavailable(f"onnxruntime-web {VERSION}: the tarball's checksum does not match the pinned one")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        contents = {}
        for name in FILES:
            member = archive.extractfile(f"package/dist/{name}")  # read by name: nothing else is written
            if member is None:
                raise RuntimeUnavailable(f"onnxruntime-web {VERSION}: {name} missing from the tarball")
            contents[name] = member.read()
    contents[LICENCE_NAME] = LICENCE.encode()
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():  # compressed copies first: is_installed() looks for the .br last written
        atomic_write(folder / (name + ".gz"), gzip.compress(data, 9, mtime=0))
        atomic_write(folder / name, data)
        atomic_write(folder / (name + ".br"), brotli.compress(data, quality=11))


def ensure(folder: Path | None = None, tarball_path: Path | None = None) -> Path:
    folder = folder or default_dir()
    if not is_installed(folder):
        data = tarball_path.read_bytes() if tarball_path else download()
        install(data, folder)
    return folder


class BrowserRuntime:
    """The runtime folder, made ready in the background at start-up; `folder()` is None until then."""

    def __init__(self, folder: Path | None = None):
        self.path = folder or default_dir()
        self.problem = ""
        self._ready = threading.Event()
        if is_installed(self.path):
            self._ready.set()

    def start(self) -> None:
        if not self._ready.is_set():
            threading.Thread(target=self._fetch, name="browser-runtime", daemon=True).start()

    def _fetch(self) -> None:
        log.info("fetching onnxruntime-web %s for the in-browser explorer (once, about 35 MB)", VERSION)
        try:
            ensure(self.path)
            self._ready.set()
            log.info("onnxruntime-web %s ready in %s", VERSION, self.path)
        except (RuntimeUnavailable, OSError) as e:
            self.problem = str(e)
            log.warning("the in-browser explorer is off: %s. Fetch the runtime by hand: python -m studio.browser_runtime "
                        "[--tarball onnxruntime-web-%s.tgz]", e, VERSION)

    def folder(self) -> Path | None:
        return self.path if self._ready.is_set() else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studio.browser_runtime", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=None, help=f"where the files go (default: {default_dir()})")
    ap.add_argument("--tarball", type=Path, help=f"a local onnxruntime-web-{VERSION}.tgz instead of downloading")
    args = ap.parse_args(argv)
    try:
        print(ensure(args.dir, args.tarball))
    except RuntimeUnavailable as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
