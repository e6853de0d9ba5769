"""Output images and GIFs as files that are written once and never rewritten.

Gradio 6.31 saves a returned PIL image under its content hash and rewrites that file on every
call (`processing_utils.save_pil_to_cache`), so two identical requests at once (every page load
sends the same ones) could truncate a file while it was being sent: a broken image in the page,
`RemoteProtocolError` for an API client. The app therefore hands Gradio paths instead. Each file is
named by the hash of its bytes and appears atomically (temp file + rename); a file that exists
already is reused, never rewritten, so a response that is streaming it cannot see it change. In
the app the folder lies inside Gradio's cache, where `delete_cache` removes old files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from PIL import Image

from gan.fileio import atomic_write
from gan.sampling.images import png_bytes


class OutputFiles:
    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="gan-studio-outputs-"))

    @classmethod
    def in_gradio_cache(cls) -> "OutputFiles":
        """A folder of this process's own inside Gradio's cache: served from there as it is, cleaned by
        delete_cache. Not shared with other app processes, whose shutdown clean-up deletes every file
        they handed out, a file with the same bytes handed out here too."""
        import gradio

        root = Path(gradio.utils.get_upload_folder())
        root.mkdir(parents=True, exist_ok=True)
        return cls(tempfile.mkdtemp(prefix="gan-studio-", dir=root))

    def write(self, data: bytes, name: str) -> str:
        path = self.folder / hashlib.sha256(data).hexdigest()[:32] / name
        try:
            os.utime(path)  # handed out again: restart its age for the cache cleaner
        except FileNotFoundError:
            atomic_write(path, data)
        return str(path)

    def png(self, image: Image.Image, name: str = "image.png") -> str:
        return self.write(png_bytes(image), name)

    def as_files(self, outputs):
        """An action's outputs with every PIL image replaced by the path of its PNG."""
        if isinstance(outputs, Image.Image):
            return self.png(outputs)
        if isinstance(outputs, tuple):
            return tuple(self.png(v) if isinstance(v, Image.Image) else v for v in outputs)
        return outputs
