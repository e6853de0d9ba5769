"""DistributedDataParallel with 2 CPU processes (gloo), launched by torchrun as users do."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from gan import load_generator
from gan.models import count_parameters

pytestmark = [pytest.mark.slow, pytest.mark.distributed]

HERE = Path(__file__).resolve().parent


def torchrun(nproc: int, *args, timeout: int = 300) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=HERE.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def rank_outputs(tmp_path_factory, mnist_dir):
    out = tmp_path_factory.mktemp("ddp")
    torchrun(2, str(HERE / "ddp_worker.py"), str(out), "5")
    torchrun(1, str(HERE / "ddp_worker.py"), str(out), "5")
    return {name: load_file(out / f"{name}.safetensors") for name in ("rank0-of-2", "rank1-of-2", "rank0-of-1")}


def test_ranks_hold_identical_parameters_after_training(rank_outputs):
    r0, r1 = rank_outputs["rank0-of-2"], rank_outputs["rank1-of-2"]
    params = [k for k in r0 if k.startswith("param.")]
    assert params and all(torch.equal(r0[k], r1[k]) for k in params)


def test_two_processes_match_one_process_first_step_gradients(rank_outputs):
    two, one = rank_outputs["rank0-of-2"], rank_outputs["rank0-of-1"]
    grads = [k for k in one if k.startswith("grad.")]
    assert {k.split(".")[1] for k in grads} == {"G", "D"}
    for k in grads:
        torch.testing.assert_close(two[k], one[k], rtol=1e-4, atol=1e-6, msg=k)
    # and the runs stay together: same data, same noise, averaged gradients
    for k in (k for k in one if k.startswith("param.")):
        torch.testing.assert_close(two[k], one[k], rtol=1e-3, atol=1e-4, msg=k)


def test_torchrun_cli_writes_a_loadable_checkpoint(tmp_path, mnist_dir):
    out = tmp_path / "run"
    result = torchrun(2, "-m", "gan.train", "--preset", "dcgan", "--steps", "6", "--limit", "2000",
                      "--out-dir", str(out), "--log-every", "2", "--sample-every", "3", "--no-progress",
                      "--device", "cpu")
    G, meta = load_generator(out / "generator.safetensors")
    n_params = count_parameters(G)
    assert "over 2 process(es)" in result.stderr and result.stderr.count(f"G {n_params:,} params") == 1  # rank 0 logs
    assert meta["steps"] == 6 and meta["processes"] == 2 and meta["batch_size"] == 64
    assert [int(line.split('"step": ')[1].split(",")[0]) for line in (out / "log.jsonl").read_text().splitlines()] \
        == [2, 4, 6]


def test_uneven_global_batch_is_refused(tmp_path, mnist_dir):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "gan.train",
           "--batch-size", "63", "--steps", "2", "--limit", "500", "--out-dir", str(tmp_path), "--device", "cpu"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=HERE.parent)
    assert result.returncode != 0 and "must divide evenly over 2 processes" in result.stderr
