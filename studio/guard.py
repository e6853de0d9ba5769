"""An ASGI middleware in front of every route the app serves: body caps from one route table, upload
quotas, and a brake on password guessing, all enforced on the raw request before Gradio parses a
byte of it or checks the login (Gradio parses a JSON body before it answers 401: a 49 MB
`{"data":[{},{},...]}` cost +1.3 GB on the way to that 401).

- **Body caps.** `ROUTES` names every route that takes a body and its cap; any other route gets the
  smallest. Paths are matched whole, so `/gradio_api/call/upload` is an action call (64 KB), not an
  upload. The bytes are counted as they arrive, so bodies without a Content-Length are capped too.
- **Upload quotas.** Files uploaded but not yet used by an action are charged to the client that
  sent them (bytes and count, per client and in total, studio/upload_files.py); an upload that would
  go over is refused with 429 before it is read. Every upload is removed after its grace, used or not.
- **Login.** Failed logins are slowed down per (client address, user name) with progressive delays
  (1 s, 2 s, 4 s ... after FREE_FAILURES), so one attacker cannot lock out other users or addresses.
  A successful login leaves a signed *device cookie* (OWASP's "slow down online guessing with device
  cookies"): a browser that holds one for that user is throttled on its own count only, so an
  attacker sharing the owner's address cannot keep the owner out. The client address is the
  connection's peer; X-Forwarded-For counts only from proxies named in GAN_TRUSTED_PROXIES (app.py
  hands that list to uvicorn, which by default trusted any loopback peer's header).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import threading
import time
from dataclasses import dataclass

FREE_FAILURES = 3
MAX_WAIT_S = 60.0
DEVICE_COOKIE = "gan-studio-device"
DEVICE_COOKIE_DAYS = 30
KB = 1 << 10


@dataclass(frozen=True)
class BodyCaps:
    """Bytes a request body may have, by kind of route."""
    upload: int = 10 << 20  # a file: the largest the page accepts, plus the multipart framing (set at launch)
    canvas: int = 1 << 20  # the sketchpad's layers and composite (280x280 PNGs, multipart)
    call: int = 64 * KB  # an action's JSON: seeds, latents as text, references to uploaded files
    small: int = 4 * KB  # login, cancel, and every route not named below


# Every route that takes more than a few bytes, matched against the whole path (trailing "/" removed).
ROUTES: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p), kind) for p, kind in (
    (r"/gradio_api/upload", "upload"),
    (r"/gradio_api/component_server", "canvas"),
    (r"/gradio_api/(?:queue/join|call/v2/[^/]+|call/[^/]+|run/[^/]+|api/[^/]+)", "call"),
))


def route_kind(path: str) -> str:
    """Which cap a path gets: the first full match in ROUTES, else "small"."""
    path = path.rstrip("/") or "/"
    for pattern, kind in ROUTES:
        if pattern.fullmatch(path):
            return kind
    return "small"


class LoginThrottle:
    """Progressive delays per key: after `free` failures a key waits 1 s, 2 s, 4 s ... (at most
    `max_wait`) before its next try counts; a success clears the key."""

    def __init__(self, free: int = FREE_FAILURES, max_wait: float = MAX_WAIT_S, clock=time.monotonic):
        self.free, self.max_wait, self.clock = free, max_wait, clock
        self._failures: dict[tuple, tuple[int, float]] = {}  # key -> (failures, when the last one happened)
        self._lock = threading.Lock()

    def wait_s(self, key: tuple) -> float:
        """Seconds this key must still wait before a login try counts (0: now)."""
        with self._lock:
            failures, last = self._failures.get(key, (0, 0.0))
        if failures < self.free:
            return 0.0
        return max(0.0, last + min(self.max_wait, 2.0 ** (failures - self.free)) - self.clock())

    def record(self, key: tuple, success: bool) -> None:
        with self._lock:
            if success:
                self._failures.pop(key, None)
            else:
                failures, _ = self._failures.get(key, (0, 0.0))
                self._failures[key] = (failures + 1, self.clock())
            if len(self._failures) > 10_000:  # forget the oldest keys rather than grow without end
                for old in sorted(self._failures, key=lambda k: self._failures[k][1])[:5_000]:
                    del self._failures[old]


class DeviceCookies:
    """Signed "this browser logged in as USER before" cookies (the key lives as long as the process)."""

    def __init__(self, secret: bytes | None = None):
        self.secret = secret or os.urandom(32)

    def _sign(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, user: str) -> str:
        text = f"{base64.urlsafe_b64encode(user.encode()).decode()}.{os.urandom(9).hex()}"
        return f"{text}.{self._sign(text)}"

    def device_of(self, cookie: str | None, user: str) -> str | None:
        """The cookie's device id when it is genuine and was issued for `user`, else None."""
        if not cookie or cookie.count(".") != 2 or len(cookie) > 400:
            return None
        text, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(self._sign(text), signature):
            return None
        name, device = text.split(".")
        try:
            return device if base64.urlsafe_b64decode(name.encode()).decode() == user else None
        except (ValueError, UnicodeDecodeError):
            return None


class RequestGuard:
    """See the module docstring. `uploads`: the upload ledger (studio/upload_files.py), or None."""

    def __init__(self, app, caps: BodyCaps = BodyCaps(), uploads=None, throttle: LoginThrottle | None = None,
                 devices: DeviceCookies | None = None):
        self.app, self.caps, self.uploads = app, caps, uploads
        self.throttle = throttle or LoginThrottle()
        self.devices = devices or DeviceCookies()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        root = scope.get("root_path") or ""
        if root and path.startswith(root):
            path = path[len(root):]
        kind = route_kind(path)
        limit = getattr(self.caps, kind)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await reply(send, 413, f"request too large: at most {limit // KB:,} KB here")
        receive = counted(receive, limit)
        if length is None and b"transfer-encoding" in headers and kind != "upload":
            # A body of unknown length is read up to the cap here, so every route refuses it alike
            # (a handler that never reads its body would otherwise answer as if none was sent).
            try:
                receive = replay(await read_body(receive))
            except BodyTooLarge:
                return await reply(send, 413, f"request too large: at most {limit // KB:,} KB here")
        client = (scope.get("client") or ("unknown", 0))[0]
        charge = None
        try:
            if scope["method"] == "POST" and path.rstrip("/") == "/login":
                return await self._login(scope, receive, send, client, headers)
            if kind == "upload" and self.uploads is not None and scope["method"] == "POST":
                charge = int(length) if length is not None else limit
                refused = self.uploads.reserve(client, charge)
                if refused:
                    return await reply(send, 429, refused, [(b"retry-after", b"30")])
                send = captured(send, lambda body: self.uploads.arrived(client, charge, paths_in(body)))
            await self.app(scope, receive, send)
        except BodyTooLarge:
            await reply(send, 413, f"request too large: at most {limit // KB:,} KB here")
        finally:
            if charge is not None:
                self.uploads.unreserve(client, charge)

    async def _login(self, scope, receive, send, client: str, headers: dict):
        body = await read_body(receive)  # at most caps.small bytes: `receive` is counted
        user = await login_user(scope, body)
        device = self.devices.device_of(cookie_value(headers.get(b"cookie", b""), DEVICE_COOKIE), user)
        key = ("device", device) if device else ("client", client, user.lower())
        if (wait := self.throttle.wait_s(key)) > 0:
            return await reply(send, 429, f"too many wrong passwords: try again in {wait:.0f} s",
                               [(b"retry-after", str(int(wait) + 1).encode())])

        async def send_and_record(message):
            if message["type"] == "http.response.start":
                ok = message["status"] < 400
                self.throttle.record(key, ok)
                if ok and user:
                    cookie = (f"{DEVICE_COOKIE}={self.devices.issue(user)}; Path=/; HttpOnly; SameSite=Strict; "
                              f"Max-Age={DEVICE_COOKIE_DAYS * 86400}")
                    message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, replay(body), send_and_record)


async def read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes):
    """A `receive` that hands over `body` once, then waits for the client to leave."""
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # as a server's receive does after the body: nothing more comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


async def login_user(scope, body: bytes) -> str:
    """The user name a login form names ('' when it names none): urlencoded or multipart."""
    from starlette.requests import Request

    try:
        form = await Request(scope, replay(body)).form()
        user = form.get("username")
        return user.strip()[:200] if isinstance(user, str) else ""
    except Exception:  # a malformed form: Gradio answers it; the key is then (client, '')
        return ""


def cookie_value(header: bytes, name: str) -> str | None:
    for part in header.decode("latin1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


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


def captured(send, on_body, limit: int = 64 * KB):
    """`send` that also hands a successful response's body (its first `limit` bytes) to `on_body`."""
    status, chunks = 0, []

    async def wrapper(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and status < 400:
            if sum(map(len, chunks)) < limit:
                chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                on_body(b"".join(chunks))
        await send(message)
    return wrapper


def paths_in(body: bytes) -> list[str]:
    """The file paths Gradio's upload route answers with (a JSON list of strings)."""
    try:
        value = json.loads(body)
    except ValueError:
        return []
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []


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
