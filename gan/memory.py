"""Hand memory the app freed back to the system.

glibc keeps what a thread frees in that thread's malloc arena, for reuse: the app's start-up work
(models, the sliders' principal directions, loading the training-set indexes) left about 210 MB
there that a long-lived app never used again (bench/app_memory.py, docs/memorisation.md), and each
big picture a visitor sends (gan/data/pictures.py) leaves its decoded buffers in the arena of the
thread that decoded it.
"""

from __future__ import annotations

import ctypes


def release_freed_memory() -> None:
    """malloc_trim(0): free pages of every arena go back to the system. No-op off glibc."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
