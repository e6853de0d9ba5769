"""A wheel is a complete install (#41.6): built, installed into a fresh virtualenv outside the
checkout, `gan-studio` serves the shipped models and `python -m gan.evaluate` finds the evaluators,
both from the wheel's own copy; and the package list in pyproject.toml is every package there is."""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_lists_every_package_of_the_project():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.relative_to(ROOT).parts) for top in ("gan", "studio") for p in [ROOT / top, *(ROOT / top).rglob("*")]
             if p.is_dir() and "__pycache__" not in p.parts and any(p.glob("*.py"))}
    assert found <= listed and {p for p in listed if not p.startswith("gan_studio_checkpoints")} == found


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv outside the checkout with the wheel installed (its dependencies come from
    the test's own environment, by a path entry: no editable install, no checkout on the path)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(work / "dist"), str(ROOT)], check=True, capture_output=True, timeout=600)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", *map(str, (work / "dist").glob("*.whl"))],
                   check=True, capture_output=True, timeout=600)
    target = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 check=True, capture_output=True, text=True).stdout.strip())
    (target / "test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv


def run_in(venv: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GAN_CHECKPOINTS", "PYTHONPATH")}
    return subprocess.run([str(venv / "bin" / "python"), *args], cwd=venv.parent, env={**env, **kw.pop("env", {})},
                          capture_output=True, text=True, timeout=600, **kw)


@pytest.mark.slow
def test_the_installed_package_runs_from_its_own_copy(installed):
    out = run_in(installed, "-c", "import gan, app, gan.paths as p; print(gan.__file__); print(p.checkpoints_dir())")
    code, checkpoints = out.stdout.split()
    assert str(installed) in code and str(ROOT) not in code, out.stdout
    assert Path(checkpoints).is_relative_to(installed) and (Path(checkpoints) / "mnist-dcgan.safetensors").is_file()


@pytest.mark.slow
def test_the_installed_command_evaluates_with_the_installed_evaluators(installed, mnist_dir):
    checkpoint = run_in(installed, "-c", "import gan.paths as p; print(p.checkpoints_dir())").stdout.strip()
    out = run_in(installed, "-m", "gan.evaluate", "--checkpoint", f"{checkpoint}/mnist-dcgan.safetensors", "--n", "200",
                 env={"GAN_DATA_DIR": str(mnist_dir)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.splitlines()[0])["fd"] > 0


@pytest.mark.slow
def test_gan_studio_from_the_wheel_answers_sample(installed, tmp_path):
    port = free_port()
    log = open(tmp_path / "app.log", "wb")
    env = {k: v for k, v in os.environ.items() if k not in ("GAN_CHECKPOINTS", "PYTHONPATH")}
    proc = subprocess.Popen([str(installed / "bin" / "gan-studio"), "--port", str(port)], cwd=tmp_path, stdout=log,
                            stderr=subprocess.STDOUT, env={**env, "GRADIO_TEMP_DIR": str(tmp_path / "gradio"),
                                                           "GRADIO_ANALYTICS_ENABLED": "False"})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "app.log").read_text()[-3000:]
                time.sleep(0.5)
        request = urllib.request.Request(url + "gradio_api/call/sample", json.dumps({"data": ["mnist-dcgan", 0, 4, 1.0, "All classes"]}).encode(),
                                         {"Content-Type": "application/json"})
        event = json.loads(urllib.request.urlopen(request, timeout=30).read())["event_id"]
        answer = urllib.request.urlopen(f"{url}gradio_api/call/sample/{event}", timeout=120).read().decode()
        assert re.findall(r"^event: (\w+)", answer, re.M)[-1] == "complete", answer[-500:]
        assert "mnist-dcgan: seeds 0-3" in answer
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def test_one_setting_moves_the_checkpoints_and_their_evaluators(tmp_path, monkeypatch):
    from gan.evaluation.evaluator_net import evaluator_path
    from gan.paths import checkpoints_dir, evaluators_dir, shipped_checkpoints_dir

    monkeypatch.setenv("GAN_CHECKPOINTS", str(tmp_path))
    assert checkpoints_dir() == tmp_path
    assert evaluators_dir() == shipped_checkpoints_dir() / "evaluators"  # no evaluators of its own: the shipped ones
    (tmp_path / "evaluators").mkdir()
    assert evaluator_path("mnist") == tmp_path / "evaluators" / "mnist-classifier.safetensors"
