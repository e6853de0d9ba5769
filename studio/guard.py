"""An ASGI middleware in front of the whole app: request size caps and a brake on password guessing.

- **Body caps.** Gradio's upload routes take files up to `max_file_size` (set at launch); every
  other request is JSON of a few kilobytes (seeds, latents, references to uploaded files), so a
  body over `body_limit` is refused with 413 before Gradio parses it (a 40 MB base64 data URL cost
  +303 MB before Gradio refused it). The cap holds for bodies without a Content-Length too: the
  bytes are counted as they arrive.
- **Login throttle.** After FREE_FAILURES wrong passwords from one client, that client must wait
  1 s, then 2, 4, ... (at most MAX_WAIT_S) before the next try counts; tries made meanwhile get 429
  at once, the right password included, so guessing runs at a few tries a minute instead of
  hundreds a second. A right password resets the client's count.
"""

from __future__ import annotations

import json
import threading
import time

FREE_FAILURES = 3
MAX_WAIT_S = 60.0
UPLOAD_ROUTES = ("/upload", "/component_server")  # multipart: files (the canvas's layers go to the second)


class LoginThrottle:
    def __init__(self, free: int = FREE_FAILURES, max_wait: float = MAX_WAIT_S, clock=time.monotonic):
        self.free, self.max_wait, self.clock = free, max_wait, clock
        self._failures: dict[str, tuple[int, float]] = {}  # client -> (failures, when the last one happened)
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds this client must still wait before a login try counts (0: now)."""
        with self._lock:
            failures, last = self._failures.get(client, (0, 0.0))
        if failures < self.free:
            return 0.0
        return max(0.0, last + min(self.max_wait, 2.0 ** (failures - self.free)) - self.clock())

    def record(self, client: str, success: bool) -> None:
        with self._lock:
            if success:
                self._failures.pop(client, None)
            else:
                failures, _ = self._failures.get(client, (0, 0.0))
                self._failures[client] = (failures + 1, self.clock())
            if len(self._failures) > 10_000:  # forget the oldest clients rather than grow without end
                for key in sorted(self._failures, key=lambda k: self._failures[k][1])[:5_000]:
                    del self._failures[key]


class RequestGuard:
    def __init__(self, app, body_limit: int = 1 << 20, upload_limit: int | None = None,
                 throttle: LoginThrottle | None = None):
        self.app, self.body_limit, self.upload_limit = app, body_limit, upload_limit
        self.throttle = throttle or LoginThrottle()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"].rstrip("/")
        client = (scope.get("client") or ("unknown", 0))[0]
        is_login = scope["method"] == "POST" and path.endswith("/login")
        if is_login and (wait := self.throttle.wait_s(client)) > 0:
            return await reply(send, 429, f"too many wrong passwords: try again in {wait:.0f} s",
                               [(b"retry-after", str(int(wait) + 1).encode())])
        limit = self.upload_limit if path.endswith(UPLOAD_ROUTES) else self.body_limit
        if limit is not None:
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                return await reply(send, 413, f"request too large: at most {limit // 1024:,} KB here")
            receive = counted(receive, limit)
        if is_login:
            send = watched(send, lambda status: self.throttle.record(client, status < 400))
        try:
            await self.app(scope, receive, send)
        except BodyTooLarge:
            await reply(send, 413, f"request too large: at most {limit // 1024:,} KB here")


class BodyTooLarge(Exception):
    pass


def counted(receive, limit: int):
    seen = 0

    async def wrapper():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message
    return wrapper


def watched(send, on_status):
    async def wrapper(message):
        if message["type"] == "http.response.start":
            on_status(message["status"])
        await send(message)
    return wrapper


async def reply(send, status: int, detail: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"detail": detail}).encode()
    try:
        # connection: close, so the server drops the rest of a refused body instead of reading it in
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                                (b"content-length", str(len(body)).encode()), *headers]})
        await send({"type": "http.response.body", "body": body})
    except RuntimeError:  # the response had already begun: the connection just ends
        pass
