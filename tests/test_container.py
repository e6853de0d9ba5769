"""Build the Dockerfile and run the image for real: a client must get a generated PNG back.

Needs a Docker engine. When none runs, this starts `dockerd` itself (Debian's docker.io) and
stops it by PID afterwards. No registry is reachable on CI machines, so when the Dockerfile's
base image cannot be pulled, a stand-in is made locally: debootstrap a minimal Debian bookworm,
`docker import` it, add Debian's Python 3.11 (plus this machine's CA certificates, which HTTPS
needs here), and tag it with the base name the Dockerfile uses.

Docker missing entirely fails this test loudly; set GAN_ALLOW_NO_DOCKER=1 to skip instead.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port
from test_concurrency import CALLS, CLIENTS, hammer

pytestmark = [pytest.mark.slow, pytest.mark.container]

ROOT = Path(__file__).resolve().parent.parent
BASE_IMAGE = re.search(r"ARG PYTHON_IMAGE=(\S+)", (ROOT / "Dockerfile").read_text()).group(1)
IMAGE = "gan-studio:test"
DOCKER_ROOT = Path(tempfile.gettempdir()) / "gan-studio-docker"  # kept between runs: layer cache
STAND_IN = """FROM local/bookworm
COPY certs/ /usr/local/share/ca-certificates/
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      python3 python3-pip python3-venv ca-certificates && update-ca-certificates \\
 && rm -rf /var/lib/apt/lists/* /usr/lib/python3*/EXTERNALLY-MANAGED \\
 && ln -s /usr/bin/python3 /usr/local/bin/python && ln -s /usr/bin/pip3 /usr/local/bin/pip
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt
"""


def docker(*args, check=True, timeout=900, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}  # the legacy builder: no buildx on these machines
    result = subprocess.run(["docker", *args], timeout=timeout, capture_output=True, text=True, env=env, **kwargs)
    if check and result.returncode != 0:
        pytest.fail(f"docker {' '.join(args[:3])} failed ({result.returncode}):\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def engine_answers() -> bool:
    try:
        return docker("info", check=False, timeout=20).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


def unavailable(reason: str):
    message = f"DOCKER UNAVAILABLE: {reason}. The container test did not run."
    if os.environ.get("GAN_ALLOW_NO_DOCKER") == "1":
        pytest.skip(message)
    pytest.fail(message + " Install docker.io (see .ci/run) or set GAN_ALLOW_NO_DOCKER=1 to skip.")


@pytest.fixture(scope="module")
def docker_engine():
    if engine_answers():
        yield
        return
    dockerd = shutil.which("dockerd")
    if not dockerd or not shutil.which("docker"):
        unavailable("neither a running engine nor dockerd/docker binaries")
    log = open(Path(tempfile.gettempdir()) / "gan-studio-dockerd.log", "w")
    proc = subprocess.Popen([dockerd, "--data-root", str(DOCKER_ROOT), "--exec-root",
                             str(Path(tempfile.gettempdir()) / "gan-studio-docker-exec")], stdout=log, stderr=log)
    deadline = time.time() + 60
    while not engine_answers():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            unavailable(f"dockerd did not start (see {log.name})")
        time.sleep(0.5)
    yield
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def debian_mirror() -> str:
    for path in glob.glob("/etc/apt/sources.list.d/*") + ["/etc/apt/sources.list"]:
        if os.path.isfile(path):
            match = re.search(r"(?:URIs:\s*|deb\s+)(https?://\S+/debian)\b", open(path).read())
            if match:
                return match.group(1)
    return "http://deb.debian.org/debian"


def ensure_base_image() -> None:
    if docker("image", "inspect", BASE_IMAGE, check=False).returncode == 0:
        return
    if docker("pull", BASE_IMAGE, check=False, timeout=120).returncode == 0:
        return
    if docker("image", "inspect", "local/bookworm", check=False).returncode != 0:
        if not shutil.which("debootstrap"):
            unavailable(f"{BASE_IMAGE} cannot be pulled and debootstrap is missing to make a stand-in")
        with tempfile.TemporaryDirectory() as rootfs:
            subprocess.run(["debootstrap", "--variant=minbase", "bookworm", rootfs, debian_mirror()], check=True,
                           capture_output=True, timeout=900)
            tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
            subprocess.run(["docker", "import", "-", "local/bookworm"], stdin=tar.stdout, check=True,
                           capture_output=True, timeout=600)
            tar.wait()
    with tempfile.TemporaryDirectory() as context:
        (Path(context) / "certs").mkdir()
        for crt in glob.glob("/usr/local/share/ca-certificates/*.crt"):
            shutil.copy(crt, Path(context) / "certs")
        (Path(context) / "Dockerfile").write_text(STAND_IN)
        docker("build", "-t", BASE_IMAGE, context)


def local_torch_wheel() -> Path | None:
    folders = [os.environ.get("PIP_FIND_LINKS", ""), "/opt/wheels"]
    for folder in filter(None, folders):
        wheels = sorted(Path(folder).glob("torch-2.13.0*cp311*.whl"))
        if wheels:
            return wheels[0]
    return None


@pytest.fixture(scope="module")
def image(docker_engine):
    ensure_base_image()
    build_args = []
    wheel = local_torch_wheel()
    copied = None
    if wheel:  # offline: the CPU wheel from pip's find-links folder, not PyTorch's index
        copied = ROOT / "docker" / "wheels" / wheel.name
        shutil.copy(wheel, copied)
        build_args = ["--build-arg", "TORCH_INDEX_URL="]
    try:
        docker("build", "-t", IMAGE, *build_args, str(ROOT), timeout=1800)
    finally:
        if copied:
            copied.unlink(missing_ok=True)
    size = int(docker("image", "inspect", IMAGE, "--format", "{{.Size}}").stdout.strip())
    print(f"\nimage {IMAGE}: {size / 1e9:.2f} GB")
    assert size < 1.5e9, f"image is {size / 1e9:.2f} GB, over the 1.5 GB target"
    return IMAGE


def test_container_serves_generated_images(image, checkpoint_dir):
    from gradio_client import Client
    from PIL import Image

    port = free_port()
    name = f"gan-studio-test-{port}"
    extra = Path(tempfile.mkdtemp(prefix="gan-studio-volume-"))  # mounted: its models must join the shipped ones
    downloads = Path(tempfile.mkdtemp(prefix="gan-studio-downloads-"))
    shutil.copytree(checkpoint_dir, extra, dirs_exist_ok=True)
    for path in [extra, *extra.rglob("*")]:  # readable by the container's non-root user, as a user would mount
        path.chmod(0o755 if path.is_dir() else 0o644)
    docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:7860",
           "-v", f"{extra}:/app/checkpoints/mounted:ro", image)
    try:
        deadline = time.time() + 180
        status = ""
        while time.time() < deadline and status != "healthy":
            status = docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
            if status == "unhealthy":
                break
            time.sleep(1)
        logs = docker("logs", name, check=False).stdout + docker("logs", name, check=False).stderr
        assert status == "healthy", f"container is {status!r}:\n{logs[-3000:]}"

        url = f"http://127.0.0.1:{port}/"
        assert urllib.request.urlopen(url, timeout=10).status == 200
        client = Client(url, verbose=False)
        models = client.predict(api_name="/models")
        assert "mounted/mnist-small" in [m["name"] for m in models]
        baked = [m for m in models if not m["name"].startswith("mounted/")]
        assert baked, "the image must ship its checkpoints"
        for model in (baked[0], next(m for m in models if m["name"] == "mounted/mnist-small")):
            klass = model["classes"][0] if model["conditional"] else "All classes"
            path, info = client.predict(model["name"], 7, 16, 1.0, klass, api_name="/sample")
            png = Image.open(path)
            assert png.format == "PNG" and png.size[0] > 100 and "seeds 7-22" in info

        # The in-browser explorer's files come from the image itself (fetched at build time), not a CDN.
        from studio.browser_runtime import VERSION

        wasm = urllib.request.Request(f"{url}explorer/runtime/{VERSION}/ort-wasm-simd-threaded.wasm",
                                      headers={"Accept-Encoding": "br"})
        with urllib.request.urlopen(wasm, timeout=30) as response:
            assert response.headers["Content-Encoding"] == "br" and len(response.read()) > 1_000_000
        licence = urllib.request.urlopen(f"{url}explorer/runtime/{VERSION}/LICENSE.txt", timeout=10).read().decode()
        assert "MIT License" in licence
        for model in ("mounted/mnist-small", baked[0]["name"]):
            meta = json.load(urllib.request.urlopen(f"{url}explorer/models/{urllib.parse.quote(model, safe='')}.json",
                                                    timeout=60))
            assert meta["name"] == model
            assert urllib.request.urlopen(url + meta["generator_url"], timeout=30).status == 200

        # Many visitors asking the same thing at once, as in tests/test_concurrency.py, against the container.
        klass = baked[0]["classes"][0] if baked[0]["conditional"] else "All classes"
        for api_name, args in (("/sample", (baked[0]["name"], 0, 64, 1.0, klass)), ("/model_card", (baked[0]["name"],))):
            errors, formats = hammer(url, api_name, args, downloads)
            assert not errors and len(formats) == CLIENTS * CALLS, (api_name, errors[:3])

        uid = docker("exec", name, "id", "-u").stdout.strip()
        assert uid != "0", "the app must not run as root"
        app_lines = [line.split() for line in docker("top", name, "-o", "pid,uid,args").stdout.splitlines()
                     if "app.py" in line]
        assert app_lines and all(fields[1] != "0" for fields in app_lines), app_lines  # uid column
    finally:
        docker("rm", "-f", name, check=False)
        shutil.rmtree(extra, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)
