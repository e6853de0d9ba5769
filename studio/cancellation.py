"""Work nobody waits for stops: a visitor who cancels, or leaves, frees the inference thread.

The page's actions run on a few long-lived inference threads (studio/ui/serving.py). Each run gets
an Event that is set when its visitor cancels or goes away; long loops ask `cancelled()` between
their steps (an inversion between two optimisation steps), so a queued inversion of a visitor who
left no longer keeps 1-2 cores busy for minutes.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar

_current: ContextVar[threading.Event | None] = ContextVar("gan_studio_cancel", default=None)


def cancelled() -> bool:
    """Whether the visitor of the action running on this thread has cancelled or left."""
    event = _current.get()
    return event is not None and event.is_set()


def run_cancellable(event: threading.Event, fn, *args):
    """fn(*args) with `cancelled()` answering from `event`; not started at all once it is set."""
    if event.is_set():
        return None
    token = _current.set(event)
    try:
        return fn(*args)
    finally:
        _current.reset(token)
