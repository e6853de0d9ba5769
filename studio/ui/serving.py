"""How the page runs an action: on the inference threads, with its images handed to Gradio as
write-once files, its visitor-facing errors clean, and the uploads it used deleted afterwards.

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
    """Files visitors uploaded (Gradio keeps them in its cache for an hour): deleted as soon as
    the action that used them has ended. Only files inside Gradio's upload folder are touched, never
    the app's own output files that live there too."""

    def __init__(self, root: str | Path, keep: str | Path):
        self.root, self.keep = Path(root).resolve(), Path(keep).resolve()

    def discard(self, path) -> None:
        if not isinstance(path, (str, Path)) or not str(path):
            return
        try:
            path = Path(path).resolve()
        except (OSError, RuntimeError):
            return
        if not path.is_relative_to(self.root) or path.is_relative_to(self.keep) or path == self.root:
            return
        path.unlink(missing_ok=True)
        if path.parent != self.root and not any(path.parent.iterdir()):  # Gradio's one-folder-per-upload
            shutil.rmtree(path.parent, ignore_errors=True)


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
                if self.uploads is not None:
                    for i in uploaded_args:
                        if i < len(args):
                            self.uploads.discard(args[i])
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
