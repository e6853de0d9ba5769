"""Tripwires for the Gradio internals this project relies on or works around. Each fails loudly, naming
the file to revisit, when an upgrade of Gradio changes the code it depends on (the source of each
method is pinned by a hash taken from gradio 6.31.0: a changed hash means "read the new code, then
update the hash"). The upstream bugs behind the workarounds are written down, with reproductions, in
docs/gradio-upstream.md."""

from __future__ import annotations

import hashlib
import inspect

import gradio as gr
import pytest
from gradio import blocks, processing_utils, queueing, routes
from gradio.components import image_editor

PINNED = [
    # (what, the object, its source hash, the file of ours that depends on it)
    ("Queue.start_processing", queueing.Queue.start_processing, "d65be5a5cbed97d7", "studio/ui/quiet_queue.py"),
    ("Queue.start_progress_updates", queueing.Queue.start_progress_updates, "7cbbec1cf932324c",
     "studio/ui/quiet_queue.py"),
    ("Queue.clean_events", queueing.Queue.clean_events, "ee8f9ecc82409acb", "studio/ui/serving.py (job_abandoned)"),
    ("Blocks.preprocess_data", blocks.Blocks.preprocess_data, "6848b88bd303f76f", "studio/ui/clean_errors.py"),
    ("ImageEditor.accept_blobs", image_editor.ImageEditor.accept_blobs, "df94aa22f15061f5",
     "studio/ui/serving.py (BoundedSketchpad)"),
    ("ImageEditor.preprocess", image_editor.ImageEditor.preprocess, "503efdbfc2f75cca",
     "studio/ui/serving.py (BoundedSketchpad)"),
    ("processing_utils.save_pil_to_cache", processing_utils.save_pil_to_cache, "ea8f5a3ffa0371a1",
     "studio/outputs.py"),
    ("Slider.preprocess", gr.Slider.preprocess, "69425dd15c512a0f", "studio/ui/serving.py (LenientSlider)"),
    ("Number.preprocess", gr.Number.preprocess, "6684d34e6cac5559", "studio/ui/serving.py (LenientNumber)"),
]


@pytest.mark.parametrize("what, obj, pinned, ours", PINNED, ids=[p[0] for p in PINNED])
def test_the_gradio_code_we_rely_on_is_the_code_we_read(what, obj, pinned, ours):
    digest = hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]
    assert digest == pinned, (f"gradio {gr.__version__} changed {what} (source hash {digest}, read at {pinned}): "
                              f"revisit {ours}, then update the hash in tests/test_gradio_internals.py")


def test_the_queue_swap_and_the_job_flags_exist():
    """quieten() swaps the queue's class; job_abandoned() reads active_jobs and each event's alive."""
    from studio.ui.quiet_queue import QuietQueue, quieten
    from studio.ui.serving import job_abandoned

    with gr.Blocks() as demo:
        gr.Button().click(lambda: None)
    demo.queue()
    quieten(demo)
    assert isinstance(demo._queue, QuietQueue)
    assert isinstance(demo._queue.active_jobs, list)
    event = queueing.Event(session_hash="s", fn=demo.fns[0], request=None, username=None)
    assert event.alive is True and hasattr(event, "_id")
    demo._queue.active_jobs.append([event])  # as start_processing places a running job
    assert not job_abandoned(demo, event._id)
    event.alive = False  # what Queue.clean_events does when the visitor's stream closes
    assert job_abandoned(demo, event._id)


def test_the_login_cookie_check_reads_what_gradio_writes():
    """studio/explorer_files.py `logged_in` repeats Gradio's session check (routes.py get_current_user):
    the cookie names and the app's `tokens` map must still be what Gradio's /login writes."""
    source = inspect.getsource(routes)
    assert 'f"access-token-{app.cookie_id}"' in source and 'f"access-token-unsecure-{app.cookie_id}"' in source
    assert "app.tokens[token] = username" in source
    with gr.Blocks() as demo:
        gr.Button()
    app = routes.App.create_app(demo)
    assert hasattr(app, "cookie_id") and isinstance(app.tokens, dict) and hasattr(app, "auth")


def test_the_preprocess_wrapper_refuses_a_changed_signature():
    from studio.ui.clean_errors import clean_input_errors

    with gr.Blocks() as demo:
        gr.Button()

    async def other(block_fn, values, state):  # a renamed parameter, as an upgrade might do
        return values

    demo.preprocess_data = other
    with pytest.raises(RuntimeError, match="revisit studio/ui/clean_errors.py"):
        clean_input_errors(demo)
