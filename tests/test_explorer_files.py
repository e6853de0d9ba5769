"""The explorer's file routes (studio/explorer_files.py) and the runtime's checks
(studio/browser_runtime.py), without a browser: the login guards them as it guards the page,
names never reach the file system unchecked, graphs are exported once and named by the weights,
and a tarball that is not the pinned one is refused."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from studio import browser_runtime
from studio.browser_runtime import VERSION, BrowserRuntime, RuntimeUnavailable, install
from studio.explorer_files import ModelGraphs, routes
from studio.registry import ModelRegistry

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def registry():
    return ModelRegistry(ROOT / "checkpoints")


def client_for(registry, tmp_path, auth=None, tokens=None) -> TestClient:
    runtime = BrowserRuntime(tmp_path / "runtime")  # not installed: runtime files answer 503
    app = Starlette(routes=routes(runtime, ModelGraphs(registry, tmp_path / "graphs")))
    app.auth, app.auth_dependency, app.cookie_id, app.tokens = auth, None, "abc", tokens or {}
    return TestClient(app)


def test_a_model_is_exported_once_and_its_graphs_are_named_by_the_weights(registry, tmp_path):
    client = client_for(registry, tmp_path)
    listing = client.get("/explorer/models.json").json()
    assert {m["name"] for m in listing} == set(registry.models)
    meta = client.get("/explorer/models/mnist-dcgan-cond.json").json()
    assert meta["classes"] == [str(i) for i in range(10)] and len(meta["directions"]) == 8
    assert meta["generator_url"].startswith("explorer/graphs/mnist-dcgan-cond-") and meta["encoder_url"]
    graph = client.get("/" + meta["generator_url"])  # relative to the page: the app may sit under a path prefix
    assert graph.status_code == 200 and "immutable" in graph.headers["cache-control"]
    written = sorted(p.name for p in (tmp_path / "graphs").iterdir())
    assert client.get("/explorer/models/mnist-dcgan-cond.json").json() == meta
    assert sorted(p.name for p in (tmp_path / "graphs").iterdir()) == written  # not exported again


def test_with_a_login_nothing_is_served_without_the_session_cookie(registry, tmp_path):
    locked = client_for(registry, tmp_path, auth={"user": "pw"}, tokens={"good-token": "user"})
    for path in ("/explorer/models.json", "/explorer/models/mnist-dcgan.json", f"/explorer/runtime/{VERSION}/LICENSE.txt",
                 "/explorer/graphs/anything.onnx"):
        assert locked.get(path).status_code == 401, path
    locked.cookies.set("access-token-abc", "stolen")
    assert locked.get("/explorer/models.json").status_code == 401
    locked.cookies.set("access-token-abc", "good-token")
    assert locked.get("/explorer/models.json").status_code == 200


def test_names_never_reach_the_file_system_unchecked(registry, tmp_path):
    client = client_for(registry, tmp_path)
    (tmp_path / "graphs").mkdir()
    (tmp_path / "secret.onnx").write_bytes(b"x")
    for path in ("/explorer/graphs/..%2Fsecret.onnx", "/explorer/graphs/.hidden", "/explorer/static/..%2F..%2Fapp.py",
                 "/explorer/static/nope.js", "/explorer/models/..%2Fx.json", f"/explorer/runtime/{VERSION}/app.py",
                 "/explorer/runtime/0.0.0/ort.wasm.min.mjs"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/explorer/runtime/{VERSION}/ort.wasm.min.mjs").status_code == 503  # not fetched yet


def test_static_scripts_are_served_compressed_when_the_browser_takes_it(registry, tmp_path):
    client = client_for(registry, tmp_path)
    response = client.get("/explorer/static/explorer.js", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    assert "export function mount" in response.text


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path):
    fake = tarball({f"package/dist/{name}": b"evil()" for name in browser_runtime.FILES})
    with pytest.raises(RuntimeUnavailable, match="checksum"):
        install(fake, tmp_path / "rt")
    assert not (tmp_path / "rt").exists()


def test_the_pinned_tarball_installs_its_three_files_precompressed(tmp_path, monkeypatch):
    files = {f"package/dist/{name}": f"// {name}".encode() for name in browser_runtime.FILES}
    files["package/dist/ort.all.min.js"] = b"not kept"
    data = tarball(files)
    monkeypatch.setattr(browser_runtime, "INTEGRITY", browser_runtime.integrity_of(data))
    install(data, tmp_path / "rt")
    kept = sorted(p.name for p in (tmp_path / "rt").iterdir())
    assert len(kept) == 3 * (len(browser_runtime.FILES) + 1) and "ort.all.min.js" not in kept
    assert "MIT License" in (tmp_path / "rt" / "LICENSE.txt").read_text()
    assert browser_runtime.is_installed(tmp_path / "rt")


def test_the_pin_is_the_one_documented():
    assert browser_runtime.TARBALL_URL.endswith(f"onnxruntime-web-{VERSION}.tgz")
    assert browser_runtime.INTEGRITY.startswith("sha512-")
    json.dumps(VERSION)
