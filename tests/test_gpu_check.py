"""scripts/gpu_check.sh, tiny, on the CPU (#45): every stage runs on the device it is given, and the
app's actions work on a registry loaded there. On a GPU the same script measures (docs/performance.md)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_stage_runs_on_the_named_device(tmp_path, mnist_dir):
    env = {**os.environ, "PYTHON": sys.executable, "WORK": str(tmp_path)}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh"), "--device", "cpu", "--tiny"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    for run in ("dcgan", "mlp", "dcgan-cond", "dcgan-modes"):
        assert any(line.split()[:1] == [run] and line.endswith("img/s") for line in out.splitlines()), run
    assert "kept 16 of 32 candidates" in out and "distance" in out and '"fd"' in out
    assert (tmp_path / "onnx" / "generator.onnx").stat().st_size > 0
    assert out.count("sample, interpolate, sliders, critic and find on cpu") == 2
    assert out.rstrip().endswith("gpu_check: all stages ran on cpu")
