"""How the page runs an action: on the inference threads, with its images handed to Gradio as
write-once files, its visitor-facing errors clean, and the uploads it used deleted soon after.

- `InvalidInput` becomes a `gr.Error` with the action's own message (studio/validation.py).
- Anything else is a bug or an attack we did not foresee: the traceback goes to the server log,
  the visitor gets one plain sentence, never a server path or a traceback (studio/public_text.py).
- Numeric inputs reach the action as sent (`LenientSlider`, `LenientNumber`), so "abc" for steps
  gets the action's message ("steps must be a number") rather than Gradio's preprocessing dump.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
from fastapi import HTTPException
from gradio.components.base import server
from PIL import Image

from gan.inversion.search import Stopped

from ..cancellation import run_cancellable
from ..outputs import OutputFiles
from ..public_text import public
from ..upload_files import UploadFiles
from ..validation import InvalidInput

log = logging.getLogger("gan_studio")
WATCH_EVERY_S = 0.5  # how often a running call checks whether its visitor is still there
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


class BoundedSketchpad(gr.Sketchpad):
    """gr.Sketchpad whose stroke uploads cannot grow the server. Gradio keeps every blob the canvas
    sends (/gradio_api/component_server) until an action reads it, under any id, at any layer index:
    a 1 KB request naming layer 100,000,000 grew the app by 763 MB. Here a blob must be one small
    picture for a layer the canvas has, and only the newest MAX_CANVASES drawings are kept."""

    is_template = True
    MAX_CANVASES = 32  # drawings in flight (one per visitor pressing Find at once)
    MAX_LAYER = 3
    MAX_SIDE = 2048  # a 280x280 canvas on a high-DPI screen is sent at 560-840 px

    def get_block_name(self) -> str:  # a template takes its direct base's name, and there is no
        return "imageeditor"  # "sketchpad" frontend: gr.Sketchpad is itself a template of ImageEditor

    def get_block_class(self) -> str:
        return "imageeditor"

    @server
    def accept_blobs(self, data):
        fields, files = data.data, data.files
        index = fields.get("index")
        if fields.get("type") not in ("layer", "background", "composite") or len(files) != 1 \
                or not isinstance(fields.get("id"), str) or len(fields["id"]) > 100:
            raise HTTPException(400, "not a drawing")
        if index not in (None, "", "null") and (not str(index).isdigit() or int(index) > self.MAX_LAYER):
            raise HTTPException(400, "not a layer of this drawing")
        try:
            width, height = Image.open(io.BytesIO(files[0][1])).size  # the header only
        except Exception:
            raise HTTPException(400, "the drawing is not a picture") from None
        if max(width, height) > self.MAX_SIDE:
            raise HTTPException(400, "the drawing is larger than the canvas")
        while len(self.blob_storage) >= self.MAX_CANVASES and fields["id"] not in self.blob_storage:
            self.blob_storage.pop(next(iter(self.blob_storage)))  # the oldest drawing nobody sent on
        return super().accept_blobs(data)


class Server:
    """Runs actions for the page: `serve(fn)` wraps one."""

    def __init__(self, outputs: OutputFiles, workers: int, uploads: UploadFiles | None = None):
        # Inference runs on `workers` long-lived threads. Gradio hands requests to a pool of up to 40
        # threads that come and go, and every thread that runs torch grows the process by its own
        # allocator arena and caches (bench/inference_threads.py: ~1.3 GB with 40 threads, a flat
        # ~0.5 GB with 2). Gradio's threads only wait on these.
        self.inference = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inference")
        self.outputs, self.uploads = outputs, uploads
        self.blocks: gr.Blocks | None = None  # set by the page: whose queue says when a visitor left

    def serve(self, fn, uploaded_args: tuple[int, ...] = ()):
        """`fn` for the page: see the module docstring. `uploaded_args`: positions of arguments that
        are visitors' uploads, deleted once the call has ended, however it ended. The call stops
        (studio/cancellation.py) when its visitor cancels or leaves."""
        @functools.wraps(fn)
        async def wrapper(*args):
            uploads = [args[i] for i in uploaded_args if i < len(args)] if self.uploads is not None else []
            for path in uploads:
                self.uploads.use(path)
            stop = threading.Event()
            watcher = asyncio.create_task(self._watch(asyncio.current_task(), stop))
            future = self.inference.submit(run_cancellable, stop, lambda: self.outputs.as_files(fn(*args)))
            try:
                return await asyncio.wrap_future(future)
            except asyncio.CancelledError:
                stop.set()  # the running action stops at its next check; a queued one never starts
                raise
            except InvalidInput as e:
                raise gr.Error(public(str(e)), print_exception=False) from None
            except gr.Error:
                raise
            except Stopped:
                raise gr.Error("stopped: nobody was waiting for the result any more", print_exception=False) from None
            except Exception:
                log.exception("%s failed", getattr(fn, "__name__", "an action"))
                raise gr.Error(UNEXPECTED, print_exception=False) from None
            finally:
                watcher.cancel()
                for path in uploads:
                    self.uploads.release(path)
        return wrapper

    async def _watch(self, task: asyncio.Task | None, stop: threading.Event) -> None:
        """Set `stop` once Gradio has given up on this call's job: its visitor left (Gradio then marks
        the job not alive but lets it run on)."""
        name = task.get_name() if task is not None else ""
        if "<gradio-sep>" not in name or self.blocks is None:
            return
        event_id = name.split("<gradio-sep>", 1)[1]
        while not stop.is_set():
            await asyncio.sleep(WATCH_EVERY_S)
            if job_abandoned(self.blocks, event_id):
                stop.set()


def job_abandoned(blocks: gr.Blocks, event_id: str) -> bool:
    """Whether Gradio's queue holds this event's job as no longer alive (its visitor is gone). Gradio
    internals (Queue.active_jobs, Event.alive): tests/test_gradio_internals.py checks them."""
    for jobs in getattr(blocks._queue, "active_jobs", None) or []:
        for event in jobs or []:
            if getattr(event, "_id", None) == event_id:
                return not getattr(event, "alive", True)
    return False


def class_dropdown_update(studio, key, allow_all: bool, all_classes: str):
    m = studio.registry.models.get(key)
    names = m.class_names if m else []
    choices = ([all_classes] if allow_all else []) + names
    return gr.update(choices=choices, value=choices[0] if choices else None, visible=bool(names))


def who_is(request: gr.Request | None) -> str:
    if request is None:
        return "someone"
    return request.username or (request.client.host if request.client else "someone")
