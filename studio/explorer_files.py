"""What the in-browser explorer downloads, served by the app itself (no CDN):

    /explorer/runtime/<version>/<file>   onnxruntime-web (studio/browser_runtime.py) and its licence
    /explorer/static/<file>              the page's own scripts (studio/ui/static/)
    /explorer/models.json                the loaded models, each with its meta URL
    /explorer/models/<key>.json          one model's explorer meta (gan/sampling/onnx_graphs.py)
    /explorer/graphs/<file>.onnx         its generator / encoder / critic graph, named by the weights' sha256

Graphs are exported from the loaded checkpoints on first use (about a second each) and kept on
disk, named by the weights' hash: they cannot go stale, models trained from the page work in the
browser too, and nothing exported has to ship. Runtime files and graphs have versioned names, so
browsers cache them for good; each is stored precompressed, so 200 visitors cost the server file
reads, not compression. With a login on, every one of these routes asks for it as the page does.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
from pathlib import Path

import brotli
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gan.checkpoint import discriminator_paths
from gan.fileio import atomic_write, file_sha256
from gan.sampling.onnx_graphs import critic_onnx, encoder_onnx, explorer_meta, generator_onnx

from .browser_runtime import FILES, LICENCE_NAME, VERSION, BrowserRuntime
from .registry import LoadedModel, ModelRegistry

log = logging.getLogger("gan_studio")
STATIC = Path(__file__).resolve().parent / "ui" / "static"
MEDIA_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
               ".onnx": "application/octet-stream", ".txt": "text/plain; charset=utf-8", ".json": "application/json"}
FOREVER = "public, max-age=31536000, immutable"
GRAPHS_FORMAT = 2  # part of every exported file's name: raise it when the graphs or the meta change shape
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,120}$")


def send_file(request: Request, path: Path, cache: str) -> Response:
    """`path`, as its .br or .gz copy where the browser takes one and it exists."""
    accepted = request.headers.get("accept-encoding", "")
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
        packed = path.with_name(path.name + suffix)
        if encoding in accepted and packed.is_file():
            return FileResponse(packed, media_type=media_type, headers={**headers, "Content-Encoding": encoding})
    return FileResponse(path, media_type=media_type, headers=headers)


def weights_hash(generator_path: Path) -> str:
    """Names a model's graphs by its weights: the generator's, and its critic's (refitted on its own)."""
    critic = discriminator_paths(generator_path)[0]
    return file_sha256(generator_path)[:16] + (f"-{file_sha256(critic)[:8]}" if critic.is_file() else "")


def logged_in(request: Request) -> bool:
    """Gradio's own check (routes.py, get_current_user): no login configured, or a valid session cookie."""
    app = request.app
    if getattr(app, "auth", None) is None and getattr(app, "auth_dependency", None) is None:
        return True
    cookie_id = getattr(app, "cookie_id", "")
    token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(f"access-token-unsecure-{cookie_id}")
    return token is not None and token in getattr(app, "tokens", {})


class ModelGraphs:
    """Each loaded model's graphs and meta, exported on first use into `folder` (see the module docstring)."""

    def __init__(self, registry: ModelRegistry, folder: Path, run=None):
        """`run(fn)`: where an export runs, e.g. on the app's bounded inference threads rather than a
        request's thread (default: right here)."""
        self.registry, self.folder = registry, Path(folder)
        self.run = run or (lambda fn: fn())
        self._locks: dict[str, threading.Lock] = {}
        self._stems: dict[str, tuple[LoadedModel, str]] = {}  # key -> (the loaded model, its files' stem)
        self._guard = threading.Lock()

    def meta(self, key: str) -> dict:
        """The model's explorer meta with its graphs' URLs; exports what is missing."""
        m = self.registry.models[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            known = self._stems.get(key)
            if known is None or known[0] is not m:  # hashed once per loaded model, not per visitor
                stem = f"{re.sub(r'[^A-Za-z0-9_-]', '_', key)}-{weights_hash(m.path)}-v{GRAPHS_FORMAT}"
                self._stems[key] = known = (m, stem)
            stem = known[1]
            meta_path = self.folder / f"{stem}.json"
            if not meta_path.is_file():
                self.run(lambda: self._export(m, stem, meta_path))
            return json.loads(meta_path.read_text())

    def _export(self, m: LoadedModel, stem: str, meta_path: Path) -> None:
        """Exports copies: tracing a model runs it, and requests are using the live one meanwhile."""
        self.folder.mkdir(parents=True, exist_ok=True)
        encoder = copy.deepcopy(m.encoder())
        generator = copy.deepcopy(m.generator)
        critic = m.critic()
        graphs = {f"{stem}.onnx": generator_onnx(generator)}
        if encoder is not None:
            graphs[f"{stem}.encoder.onnx"] = encoder_onnx(encoder)
        if critic is not None:
            graphs[f"{stem}.critic.onnx"] = critic_onnx(copy.deepcopy(critic.net))
        for name, data in graphs.items():
            atomic_write(self.folder / name, data)
            packed = brotli.compress(data, quality=5)
            if len(packed) < 0.95 * len(data):
                atomic_write(self.folder / (name + ".br"), packed)
        info = explorer_meta(m.key, m.label, m.meta, generator, m.directions(), encoder is not None,
                             critic.tables if critic is not None else None)
        info["generator_url"] = f"explorer/graphs/{stem}.onnx"
        info["encoder_url"] = f"explorer/graphs/{stem}.encoder.onnx" if encoder is not None else None
        info["critic_url"] = f"explorer/graphs/{stem}.critic.onnx" if critic is not None else None
        atomic_write(meta_path, json.dumps(info).encode())  # last: its presence means the graphs are there
        log.info("exported %s for the in-browser explorer", m.key)

    def export_all(self) -> None:
        for key in list(self.registry.models):
            try:
                self.meta(key)
            except Exception:  # one model that cannot be exported must not stop the others
                log.exception("exporting %s for the in-browser explorer failed", key)


def routes(runtime: BrowserRuntime, graphs: ModelGraphs) -> list[Route]:
    def refused(request: Request) -> Response | None:
        return None if logged_in(request) else PlainTextResponse("log in first", status_code=401)

    def runtime_file(request: Request) -> Response:
        name = request.path_params["name"]
        if (denied := refused(request)) is not None:
            return denied
        if request.path_params["version"] != VERSION or name not in (*FILES, LICENCE_NAME):
            return PlainTextResponse("not found", status_code=404)
        folder = runtime.folder()
        if folder is None:
            why = "is still being fetched" if not runtime.problem else "is not available on this server"
            return PlainTextResponse(f"the browser runtime {why}", status_code=503, headers={"Retry-After": "10"})
        return send_file(request, folder / name, FOREVER)

    def static_file(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        name = request.path_params["name"]
        path = STATIC / name
        if not SAFE_NAME.match(name) or not path.is_file():
            return PlainTextResponse("not found", status_code=404)
        return send_file(request, path, "no-cache")

    def model_list(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        return JSONResponse([{"name": m.key, "label": m.label, "meta_url": f"explorer/models/{m.key}.json"}
                             for m in graphs.registry.models.values()], headers={"Cache-Control": "no-cache"})

    def model_meta(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        key = request.path_params["key"]
        if key not in graphs.registry.models:
            return PlainTextResponse("unknown model", status_code=404)
        return JSONResponse(graphs.meta(key), headers={"Cache-Control": "no-cache"})

    def graph_file(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        name = request.path_params["name"]
        path = graphs.folder / name
        if not SAFE_NAME.match(name) or not name.endswith(".onnx") or not path.is_file():
            return PlainTextResponse("not found", status_code=404)
        return send_file(request, path, FOREVER)

    # sync handlers: Starlette runs them on its thread pool, so a first export never blocks the event loop
    return [Route("/explorer/runtime/{version}/{name}", runtime_file),
            Route("/explorer/static/{name}", static_file),
            Route("/explorer/models.json", model_list),
            Route("/explorer/models/{key:path}.json", model_meta),  # keys of mounted folders hold a /
            Route("/explorer/graphs/{name}", graph_file)]
