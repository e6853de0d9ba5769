"""Text a visitor sees: never a server path, never a traceback.

Errors can carry absolute paths (Gradio's temp folder, the runs folder, the Python install) and a
crashed process's output can hold a whole traceback. Both tell an attacker about the server and
help nobody else, so what goes to the page passes through `public()`; the full text goes to the
server log.
"""

from __future__ import annotations

import re

# An absolute path of two or more parts: /tmp/gradio/abc/x.png, /home/me/runs/live/y/images
ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/(?:[^\s/'\"<>|:;,()\[\]]+/)+[^\s/'\"<>|:;,()\[\]]*")
WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\[^\s'\"<>|;,()]*")
MAX_CHARS = 400


def without_paths(text: str) -> str:
    """Every absolute path replaced by its last part ("…/x.png"), which is the visitor's own name."""
    def last_part(match: re.Match) -> str:
        tail = match.group(0).rstrip("/").rsplit("/", 1)[-1]
        return f"…/{tail}" if tail else "…"
    return WINDOWS_PATH.sub("…", ABSOLUTE_PATH.sub(last_part, text))


def public(text: str) -> str:
    """`text` fit for the page: no paths, no traceback, at most MAX_CHARS characters."""
    if "Traceback (most recent call last)" in text:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        last = lines[-1] if lines else ""
        text = f"an internal error ({last.split(':', 1)[0].strip()[:60]}); the server log has the details"
    text = without_paths(text)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS - 1] + "…"
