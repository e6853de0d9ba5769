"""Files visitors upload, on a budget: each is charged to the client that sent it, kept while an
action uses it, and removed a grace period after its last use or, if no action ever uses it, after
its arrival. Gradio would keep every upload for an hour, used or not (ten 45 MB uploads that no
action touched filled 451 MB of disk in 3.3 s), so the request guard (studio/guard.py) asks
`reserve` before an upload is read and refuses it with one sentence when the sender, or everyone
together, already holds too much.

Not deleted at once after use: Gradio stores uploads by content, so two visitors (or API calls)
sending the same file at the same time share one path, and the second must still find it. Only
files inside Gradio's upload folder are touched, never the app's own outputs there.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MB = 1 << 20


@dataclass(frozen=True)
class UploadQuota:
    client_mb: float = 100.0  # held on disk for one client address
    client_files: int = 32
    total_mb: float = 400.0  # held for everyone together
    total_files: int = 512

    @classmethod
    def for_largest(cls, largest_mb: float) -> UploadQuota:
        """Two of the largest files per client, eight in all."""
        return cls(client_mb=2 * largest_mb, total_mb=8 * largest_mb)


@dataclass
class Held:
    client: str
    size: int
    expires: float | None  # None while an action uses the file
    users: int = 0


class UploadFiles:
    def __init__(self, root: str | Path, keep: str | Path, grace_s: float = 30.0, unused_s: float = 300.0,
                 quota: UploadQuota = UploadQuota(), clock=time.monotonic):
        self.root, self.keep = Path(root).resolve(), Path(keep).resolve()
        self.grace_s, self.unused_s, self.quota, self.clock = grace_s, unused_s, quota, clock
        self._held: dict[Path, Held] = {}
        self._pending: dict[str, tuple[int, int]] = {}  # client -> (bytes, requests) being uploaded now
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None

    # --- the budget, asked by the request guard -------------------------------------------------

    def _totals(self, client: str | None) -> tuple[int, int]:
        """(bytes, files) held and being uploaded, by `client` or (None) by everyone."""
        held = [h for h in self._held.values() if client is None or h.client == client]
        pending = [v for c, v in self._pending.items() if client is None or c == client]
        return sum(h.size for h in held) + sum(b for b, _ in pending), len(held) + sum(n for _, n in pending)

    def reserve(self, client: str, size: int) -> str | None:
        """Book `size` bytes for an upload from `client`: None, or why it is refused."""
        with self._lock:
            for who, (mb, files) in ((client, (self.quota.client_mb, self.quota.client_files)),
                                     (None, (self.quota.total_mb, self.quota.total_files))):
                held, count = self._totals(who)
                if held + size > mb * MB or count + 1 > files:
                    whose = "you have" if who is not None else "visitors have"
                    return (f"too many uploads waiting: {whose} {held / MB:.0f} MB in {count} file(s) not yet "
                            f"removed (at most {mb:.0f} MB, {files} files); unused uploads are removed "
                            f"{self.unused_s:.0f} s after they arrive")
            size0, n0 = self._pending.get(client, (0, 0))
            self._pending[client] = (size0 + size, n0 + 1)
        return None

    def unreserve(self, client: str, size: int) -> None:
        with self._lock:
            size0, n0 = self._pending.get(client, (size, 1))
            if n0 <= 1:
                self._pending.pop(client, None)
            else:
                self._pending[client] = (size0 - size, n0 - 1)

    def arrived(self, client: str, charge: int, paths: list[str]) -> None:
        """Gradio stored an upload's files: charge them to `client`, due `unused_s` from now."""
        for path in paths:
            if (upload := self._upload(path)) is None:
                continue
            try:
                size = upload.stat().st_size
            except OSError:
                continue
            with self._lock:
                held = self._held.setdefault(upload, Held(client, size, None))
                if held.users == 0:
                    held.expires = self.clock() + self.unused_s
            self._start_reaper()

    # --- use by actions --------------------------------------------------------------------------

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
                held = self._held.setdefault(upload, Held("", 0, None))
                held.users += 1
                held.expires = None

    def release(self, path) -> None:
        if (upload := self._upload(path)) is None:
            return
        with self._lock:
            held = self._held.setdefault(upload, Held("", 0, None))
            held.users = max(0, held.users - 1)
            if held.users == 0:
                held.expires = self.clock() + self.grace_s
        self._start_reaper()

    def held_mb(self) -> float:
        with self._lock:
            return self._totals(None)[0] / MB

    # --- removal ----------------------------------------------------------------------------------

    def _start_reaper(self) -> None:
        with self._lock:
            if self._reaper is None or not self._reaper.is_alive():
                self._reaper = threading.Thread(target=self._reap, name="upload-reaper", daemon=True)
                self._reaper.start()

    def _reap(self) -> None:
        while True:
            time.sleep(min(5.0, max(min(self.grace_s, self.unused_s) / 4, 0.1)))
            now = self.clock()
            with self._lock:
                due = [p for p, h in self._held.items() if h.expires is not None and h.expires <= now]
                for p in due:
                    del self._held[p]
                done = not self._held
                if done:
                    self._reaper = None
            for p in due:
                p.unlink(missing_ok=True)
                if p.parent != self.root and p.parent.is_dir() and not any(p.parent.iterdir()):
                    shutil.rmtree(p.parent, ignore_errors=True)  # Gradio's one-folder-per-upload
            if done:
                return
