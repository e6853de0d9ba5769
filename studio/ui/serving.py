"""How the page runs an action: on the inference threads, with its images handed to Gradio as
write-once files, its visitor-facing errors clean, and the uploads it used deleted soon after.

- `InvalidInput` becomes a `gr.Error` with the action's own message (studio/validation.py).
- Anything else is a bug or an attack we did not foresee: the traceback goes to the server log,
  the visitor gets one plain sentence, never a server path or a traceback (studio/public_text.py).
- Numeric inputs reach the action as sent (`LenientSlider`, `LenientNumber`), so "abc" for steps
  gets the action's message ("steps must be a number") rather than Gradio's preprocessing dump.
"""

from __future__ import annotations

import functools
import logging
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr

from ..outputs import OutputFiles
from ..public_text import public
from ..validation import InvalidInput

log = logging.getLogger("gan_studio")
UNEXPECTED = "something went wrong on the server with this request (it is in the server log); try other settings"


class LenientSlider(gr.Slider):
    """gr.Slider that passes the value on unchecked: the action validates it and says what is wrong."""

    is_template = True  # the browser uses the plain slider

    def preprocess(self, payload):
        return payload


class LenientNumber(gr.Number):
    """gr.Number that passes the value on unchecked, like LenientSlider."""

    is_template = True

    def preprocess(self, payload):
        return payload


class Uploads:
    """Files visitors uploaded (Gradio would keep them for an hour): deleted `grace_s` after the last
    action that used one has ended. Not at once: Gradio stores uploads by content, so two visitors
    (or API calls) sending the same file at the same time share one path, and the second must still
    find it. Only files inside Gradio's upload folder are touched, never the app's own outputs there."""

    def __init__(self, root: str | Path, keep: str | Path, grace_s: float = 30.0):
        self.root, self.keep, self.grace_s = Path(root).resolve(), Path(keep).resolve(), grace_s
        self._users: dict[Path, int] = {}
        self._expiry: dict[Path, float] = {}
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None

    def _upload(self, path) -> Path | None:
        """The resolved path when it is a visitor's upload, else None."""
        if not isinstance(path, (str, Path)) or not str(path):
            return None
        try:
            path = Path(path).resolve()
        except (OSError, RuntimeError):
            return None
        if not path.is_relative_to(self.root) or path.is_relative_to(self.keep) or path == self.root:
            return None
        return path

    def use(self, path) -> None:
        if (upload := self._upload(path)) is not None:
            with self._lock:
                self._users[upload] = self._users.get(upload, 0) + 1
                self._expiry.pop(upload, None)

    def release(self, path) -> None:
        if (upload := self._upload(path)) is None:
            return
        with self._lock:
            left = self._users.pop(upload, 1) - 1
            if left > 0:
                self._users[upload] = left
            else:
                self._expiry[upload] = time.monotonic() + self.grace_s
            if self._reaper is None or not self._reaper.is_alive():
                self._reaper = threading.Thread(target=self._reap, name="upload-reaper", daemon=True)
                self._reaper.start()

    def _reap(self) -> None:
        while True:
            time.sleep(min(5.0, max(self.grace_s / 4, 0.1)))
            with self._lock:
                due = [p for p, t in self._expiry.items() if t <= time.monotonic() and p not in self._users]
                for p in due:
                    del self._expiry[p]
                if not self._expiry and not due:
                    self._reaper = None
                    return
            for p in due:
                p.unlink(missing_ok=True)
                if p.parent != self.root and not any(p.parent.iterdir()):  # Gradio's one-folder-per-upload
                    shutil.rmtree(p.parent, ignore_errors=True)


class Server:
    """Runs actions for the page: `serve(fn)` wraps one."""

    def __init__(self, outputs: OutputFiles, workers: int, uploads: Uploads | None = None):
        # Inference runs on `workers` long-lived threads. Gradio hands requests to a pool of up to 40
        # threads that come and go, and every thread that runs torch grows the process by its own
        # allocator arena and caches (bench/inference_threads.py: ~1.3 GB with 40 threads, a flat
        # ~0.5 GB with 2). Gradio's threads only wait on these.
        self.inference = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inference")
        self.outputs, self.uploads = outputs, uploads

    def serve(self, fn, uploaded_args: tuple[int, ...] = ()):
        """`fn` for the page: see the module docstring. `uploaded_args`: positions of arguments that
        are visitors' uploads, deleted once the call has ended, however it ended."""
        @functools.wraps(fn)
        def wrapper(*args):
            uploads = [args[i] for i in uploaded_args if i < len(args)] if self.uploads is not None else []
            for path in uploads:
                self.uploads.use(path)
            try:
                return self.outputs.as_files(self.inference.submit(fn, *args).result())
            except InvalidInput as e:
                raise gr.Error(public(str(e)), print_exception=False) from None
            except gr.Error:
                raise
            except Exception:
                log.exception("%s failed", getattr(fn, "__name__", "an action"))
                raise gr.Error(UNEXPECTED, print_exception=False) from None
            finally:
                for path in uploads:
                    self.uploads.release(path)
        return wrapper


def class_dropdown_update(studio, key, allow_all: bool, all_classes: str):
    m = studio.registry.models.get(key)
    names = m.class_names if m else []
    choices = ([all_classes] if allow_all else []) + names
    return gr.update(choices=choices, value=choices[0] if choices else None, visible=bool(names))


def who_is(request: gr.Request | None) -> str:
    if request is None:
        return "someone"
    return request.username or (request.client.host if request.client else "someone")
