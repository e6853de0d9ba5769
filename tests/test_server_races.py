"""Races in the server (#41.5): what two threads doing things at once must not break."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent


def test_models_added_and_removed_at_once_are_all_accounted_for(checkpoint_dir, monkeypatch):
    import studio.registry as registry_module
    from studio.registry import ModelRegistry

    registry = ModelRegistry(checkpoint_dir)
    order = registry_module.picker_order
    monkeypatch.setattr(registry_module, "picker_order", lambda *a: (time.sleep(0.002), order(*a))[1])  # widen the window
    path = checkpoint_dir / "mnist-small.safetensors"
    threads = [threading.Thread(target=registry.add, args=(f"live/run-{i}", path)) for i in range(8)]
    threads += [threading.Thread(target=registry.remove, args=("mnist-small-cond",))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert {f"live/run-{i}" for i in range(8)} <= set(registry.models)
    assert "mnist-small-cond" not in registry.models


def test_importing_the_file_helpers_never_touches_the_umask():
    script = ("import os, sys; os.umask(0o027); "
              "import gan.fileio as f; "
              "f.atomic_write(sys.argv[1], b'x'); "
              "print(oct(os.umask(0o027)), oct(os.stat(sys.argv[1]).st_mode & 0o777))")
    out = subprocess.run([sys.executable, "-c", script, "/tmp/gan-umask-probe"], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()
    assert out == ["0o27", "0o640"]
    source = (ROOT / "gan" / "fileio.py").read_text()
    assert "os.umask(" not in source  # reading it by setting it leaves a window for other threads


def test_a_live_run_is_spawned_in_its_own_session_and_niced_after_the_spawn(tmp_path):
    from studio.training import NICENESS, LiveTraining

    trainer = LiveTraining(tmp_path / "runs")
    out = tmp_path / "runs" / "live" / "probe"
    trainer._launch(out, [sys.executable, "-c", "import time; time.sleep(20)"], "t", "started", "fast")
    pid = trainer._proc.pid
    try:
        assert os.getpriority(os.PRIO_PROCESS, pid) >= NICENESS
        assert os.getsid(pid) == pid != os.getsid(0)
    finally:
        trainer._proc.kill()
        trainer._proc.wait()
        shutil.rmtree(out, ignore_errors=True)
    source = (ROOT / "studio" / "training.py").read_text()
    assert "preexec_fn=" not in source  # deadlock-prone in a threaded server (subprocess docs)


def test_graphs_are_exported_from_a_copy_on_the_inference_threads(checkpoint_dir, tmp_path, monkeypatch):
    import studio.explorer_files as explorer_files
    from studio.explorer_files import ModelGraphs
    from studio.registry import ModelRegistry

    registry = ModelRegistry(checkpoint_dir)
    seen = []

    def record(generator):
        seen.append((generator, threading.current_thread().name))
        return b"onnx"

    monkeypatch.setattr(explorer_files, "generator_onnx", record)
    monkeypatch.setattr(explorer_files, "encoder_onnx", lambda encoder: b"onnx")
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="inference")
    graphs = ModelGraphs(registry, tmp_path / "graphs", run=lambda fn: pool.submit(fn).result())
    graphs.meta("mnist-small")
    generator, thread = seen[0]
    assert generator is not registry.models["mnist-small"].generator  # a copy: requests keep the live one
    assert thread.startswith("inference")


def test_the_quick_evaluation_leaves_nothing_cached_in_the_web_process(trained_checkpoint, tmp_path):
    import shutil as sh

    from gan.evaluation import scores
    from studio.training import quick_evaluation

    for suffix in (".safetensors", ".json"):
        sh.copy(trained_checkpoint.with_suffix(suffix), tmp_path / f"g{suffix}")
    before = scores.real_reference.cache_info().currsize
    metrics = quick_evaluation(tmp_path / "g.safetensors")
    assert metrics["fd"] > 0 and "metrics" in __import__("json").loads((tmp_path / "g.json").read_text())
    assert scores.real_reference.cache_info().currsize == before  # the test split was embedded elsewhere
