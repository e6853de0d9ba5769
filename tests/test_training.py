import json
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import run_training
from safetensors.torch import load_file

from gan import load_generator
from gan.checkpoint import CheckpointError, load_training_state
from gan.data.idx import load_dataset, to_model_range
from gan.models import PRESETS, build_discriminator, build_generator, preset_models
from gan.sampling.latents import latent_for_seeds, sample
from gan.train import main
from gan.training.config import TrainConfig, resolve
from gan.training.device import autocast_dtype, cpu_has_native_bf16, precision_warning
from gan.training.loop import TrainingDiverged, lr_scale
from gan.training.losses import r1_penalty


def test_short_run_writes_loadable_checkpoint_that_learned(trained_checkpoint):
    G, meta = load_generator(trained_checkpoint)
    assert meta["steps"] == 30 and meta["dataset"] == "mnist" and meta["loss"] == "hinge"
    assert meta["class_names"] == [str(i) for i in range(10)] and meta["data_range"] == [-1.0, 1.0]
    torch.manual_seed(meta["seed"])  # the untrained generator of the same run
    initial = build_generator(meta["arch"], **meta["generator_args"]).eval()
    trained_images = sample(G, seeds=range(16)).astype(float)
    initial_images = sample(initial, seeds=range(16)).astype(float)
    assert abs(trained_images - initial_images).mean() > 20  # out of 255: a visibly different picture

    run = trained_checkpoint.parent
    steps = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert steps == [5, 10, 15, 20, 25, 30]
    assert sorted(p.name for p in (run / "samples").iterdir()) == [f"step_0000{s}.png" for s in (10, 20, 30)]
    assert (run / "progress.gif").stat().st_size > 0
    from PIL import Image
    assert Image.open(run / "losses.png").size == (860, 420)


def test_snapshots_keep_the_generator_over_time(tmp_path, mnist_dir):
    run_training(tmp_path / "s", steps=25, snapshot_every=10, sample_every=100, checkpoint_every=100)
    snaps = sorted((tmp_path / "s" / "snapshots").glob("*.safetensors"))
    assert [p.stem for p in snaps] == ["step_000010", "step_000020", "step_000025"]  # every 10, and the end
    metas = [json.loads(p.with_suffix(".json").read_text()) for p in snaps]
    assert [m["steps"] for m in metas] == [10, 20, 25]
    assert 0 < metas[0]["train_seconds"] < metas[1]["train_seconds"] < metas[2]["train_seconds"]
    first, last = load_file(snaps[0]), load_file(snaps[-1])
    assert not all(torch.equal(first[k], last[k]) for k in first)


def test_same_seed_same_weights_and_resume_is_exact(tmp_path, mnist_dir):
    full = run_training(tmp_path / "full", steps=20, checkpoint_every=10)
    part = run_training(tmp_path / "part", steps=10, checkpoint_every=10)
    again = run_training(tmp_path / "again", steps=10, checkpoint_every=10)
    first, second = load_file(part), load_file(again)
    assert all(torch.equal(first[k], second[k]) for k in first)  # same seed + flags -> same weights

    resumed = run_training(tmp_path / "part", steps=20, checkpoint_every=10, resume=True)
    a, b = load_training_state(full.parent / "state.pt"), load_training_state(resumed.parent / "state.pt")
    for net in ("G", "D", "ema_G"):
        assert all(torch.equal(a[net][k], b[net][k]) for k in a[net]), net
    assert a["step"] == b["step"] == 20
    log_steps = [json.loads(line)["step"] for line in (tmp_path / "part" / "log.jsonl").read_text().splitlines()]
    assert log_steps == [5, 10, 15, 20]


def test_bf16_runs_convs_in_bfloat16_keeps_fp32_weights_and_resumes_exactly(tmp_path, mnist_dir, capsys):
    conv_dtypes = set()
    small = dict(batch_size=16)  # bf16 is emulated (slow) on CPUs without AVX512-BF16/AMX

    def record(module, inputs, output):
        if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            conv_dtypes.add(output.dtype)

    hook = torch.nn.modules.module.register_module_forward_hook(record)
    try:
        full = run_training(tmp_path / "full", steps=20, precision="bf16", conditional=True, sample_every=100, **small)
    finally:
        hook.remove()
    assert ("no native bfloat16" in capsys.readouterr().err) == (not cpu_has_native_bf16())
    # training forwards ran in bf16; the export's BatchNorm recalibration and sampling stay fp32
    assert conv_dtypes == {torch.bfloat16, torch.float32}
    state = load_training_state(full.parent / "state.pt")
    assert {t.dtype for net in ("G", "D", "ema_G") for t in state[net].values() if t.is_floating_point()} \
        == {torch.float32}
    fp32 = load_file(run_training(tmp_path / "fp32", steps=20, conditional=True, sample_every=100, **small))
    bf16 = load_file(full)
    assert not all(torch.equal(fp32[k], bf16[k]) for k in fp32)

    run_training(tmp_path / "part", steps=10, precision="bf16", conditional=True, sample_every=100, **small)
    resumed = run_training(tmp_path / "part", steps=20, precision="bf16", conditional=True, sample_every=100,
                           resume=True, **small)
    assert all(torch.equal(bf16[k], t) for k, t in load_file(resumed).items())
    with pytest.raises(CheckpointError, match="precision: saved 'bf16', now 'fp32'"):
        run_training(tmp_path / "part", steps=30, conditional=True, resume=True, **small)


def test_fp16_trains_with_a_gradient_scaler(tmp_path, mnist_dir, monkeypatch):
    import gan.training.device as device_module

    made = []
    real_scaler = device_module.gradient_scaler

    def recording(device, precision):
        made.append(real_scaler(device, precision))
        return made[-1]

    monkeypatch.setattr("gan.training.loop.gradient_scaler", recording)
    path = run_training(tmp_path / "fp16", steps=10, precision="fp16", sample_every=100)
    weights = load_file(path)
    assert all(torch.isfinite(t).all() for t in weights.values())
    assert len(made) == 2 and all(s.is_enabled() for s in made)
    assert all(s.get_scale() > 0 for s in made)  # both networks' steps went through a scaler


def test_bf16_warns_only_on_a_cpu_without_native_bfloat16(monkeypatch):
    import gan.training.device as train_module

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    monkeypatch.setattr(train_module, "cpu_has_native_bf16", lambda: False)
    assert "no native bfloat16" in precision_warning("bf16", cpu)
    assert precision_warning("fp32", cpu) is None
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert precision_warning("bf16", cuda) is None  # GPUs from Ampere on have their own bf16 units
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert "runs as fp16 with a gradient scaler" in precision_warning("bf16", cuda)
    assert autocast_dtype(cuda, "bf16") == torch.float16 and autocast_dtype(cpu, "bf16") == torch.bfloat16
    monkeypatch.setattr(train_module, "cpu_has_native_bf16", lambda: True)
    assert precision_warning("bf16", cpu) is None


def test_resume_drops_a_log_line_torn_by_a_crash(tmp_path, mnist_dir):
    run_training(tmp_path / "run", steps=10, checkpoint_every=10)
    log = tmp_path / "run" / "log.jsonl"
    log.write_text(log.read_text() + '{"step": 15, "loss_d": 0.6')  # died mid-line after the checkpoint
    run_training(tmp_path / "run", steps=20, checkpoint_every=10, resume=True)
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == [5, 10, 15, 20]
    assert (tmp_path / "run" / "losses.png").exists()


def test_lr_decay_is_linear_to_zero_over_the_end_of_the_run(tmp_path, mnist_dir):
    assert [lr_scale(s, 100, 0.5) for s in (0, 50, 75, 99)] == [1.0, 1.0, 0.5, pytest.approx(0.02)]
    assert lr_scale(99, 100, 0.0) == 1.0
    run_training(tmp_path / "d", steps=20, lr_decay=0.5)
    state = load_training_state(tmp_path / "d" / "state.pt")
    lrs = [g["lr"] for opt in ("opt_g", "opt_d") for g in state[opt]["param_groups"]]
    # the last step (index 19) ran at (20 - 19) / 10 of the preset's rate
    assert lrs == [pytest.approx(PRESETS["dcgan"].lr * 0.1)] * 2


def test_r1_flattens_the_discriminator_at_real_images(tmp_path, mnist_dir):
    """--r1 must reach D's updates: with an overwhelming penalty, D's input gradient on real digits
    ends far smaller than in the same run without it (few steps, so the GAN's chaos cannot blur it)."""
    x, y = load_dataset("mnist", "test", limit=256)
    real = to_model_range(x, (-1.0, 1.0))
    penalties = {}
    for gamma in (0.0, 1000.0):
        run_training(tmp_path / str(gamma), steps=8, r1=gamma)
        D = build_discriminator("dcgan", **preset_models("dcgan")[2])
        D.load_state_dict(load_training_state(tmp_path / str(gamma) / "state.pt")["D"])
        penalties[gamma] = r1_penalty(D, real).item()
    assert penalties[1000.0] < 0.2 * penalties[0.0]


@pytest.mark.slow
def test_aux_class_loss_trains_the_class_head_and_the_generator(tmp_path, mnist_dir):
    """AC-GAN term: D's class head must learn real digits, and G must learn to make samples
    that head reads as the requested class (well above the 10% of chance, after 60 steps)."""
    path = run_training(tmp_path / "aux", steps=60, conditional=True, aux_class_weight=10.0)
    D = build_discriminator("dcgan", **preset_models("dcgan", 10)[2], class_head=True)
    D.load_state_dict(load_training_state(tmp_path / "aux" / "state.pt")["D"])  # strict: the head was saved
    G, _ = load_generator(path)
    x, y = load_dataset("mnist", "test", limit=1000)
    wanted = torch.arange(1000) % 10
    with torch.no_grad():
        real_classes = D(to_model_range(x, (-1.0, 1.0)), y, classes=True)[1]  # (logit, class head, twin head)
        fake_classes = D(G(latent_for_seeds(range(1000), G.latent_dim), wanted), wanted, classes=True)[1]
    assert (real_classes.argmax(1) == y).double().mean() > 0.5
    assert (fake_classes.argmax(1) == wanted).double().mean() > 0.4


@pytest.mark.slow
def test_twin_class_head_learns_the_generators_classes(tmp_path, mnist_dir):
    """TAC-GAN: the twin head is trained on generated images with their requested classes, so it
    must read G's samples as those classes (an untrained head reads 10% by chance)."""
    path = run_training(tmp_path / "tac", steps=60, conditional=True, aux_class_weight=10.0, aux_twin=True)
    D = build_discriminator("dcgan", **preset_models("dcgan", 10)[2], class_head=True, twin_class_head=True)
    D.load_state_dict(load_training_state(tmp_path / "tac" / "state.pt")["D"])  # strict: both heads saved
    G, meta = load_generator(path)
    assert meta["config"]["aux_twin"] is True
    wanted = torch.arange(1000) % 10
    with torch.no_grad():
        _, real_head, twin_head = D(G(latent_for_seeds(range(1000), G.latent_dim), wanted), wanted, classes=True)
    assert (twin_head.argmax(1) == wanted).double().mean() > 0.4


def test_aux_twin_needs_the_class_loss(capsys):
    assert main(["--conditional", "--aux-twin", "--out-dir", "/nonexistent/never-created"]) == 2
    assert "--aux-twin needs --aux-class-weight > 0" in capsys.readouterr().err


def test_aux_class_loss_needs_a_conditional_run(capsys):
    assert main(["--aux-class-weight", "1", "--out-dir", "/nonexistent/never-created"]) == 2
    assert "--aux-class-weight needs --conditional" in capsys.readouterr().err


def test_different_seed_different_weights(tmp_path, mnist_dir):
    a = load_file(run_training(tmp_path / "a", steps=5, seed=1))
    b = load_file(run_training(tmp_path / "b", steps=5, seed=2))
    assert not all(torch.equal(a[k], b[k]) for k in a)


def test_resume_refuses_different_settings(tmp_path, mnist_dir):
    run_training(tmp_path / "r", steps=5)
    with pytest.raises(CheckpointError, match="loss: saved 'hinge', now 'lsgan'"):
        run_training(tmp_path / "r", steps=10, loss="lsgan", resume=True)


def test_non_finite_loss_stops_without_overwriting(tmp_path, mnist_dir, monkeypatch):
    good = run_training(tmp_path / "r", steps=10)
    before = good.read_bytes()
    calls = {"n": 0}
    import gan.training.loop as train_module
    real_loss = train_module.generator_loss

    def exploding(kind, fake, real=None):
        calls["n"] += 1
        return real_loss(kind, fake, real) * (float("nan") if calls["n"] > 3 else 1.0)

    monkeypatch.setattr(train_module, "generator_loss", exploding)
    with pytest.raises(TrainingDiverged, match="step 14: loss became non-finite"):
        run_training(tmp_path / "r", steps=20, resume=True)
    assert good.read_bytes() == before


@pytest.mark.parametrize("argv, message", [
    (["--steps", "-3"], "--steps must be positive"),
    (["--batch-size", "0"], "--batch-size must be positive"),
    (["--ema", "1.5"], "--ema must lie in"),
    (["--lr", "0"], "--lr must be positive"),
    (["--r1", "-1"], "--r1 must be >= 0"),
])
def test_cli_refuses_nonsense(argv, message, capsys):
    assert main(argv + ["--out-dir", "/nonexistent/never-created"]) == 2
    assert message in capsys.readouterr().err


def test_cli_rejects_unknown_choices_and_documents_flags(capsys):
    with pytest.raises(SystemExit):
        main(["--preset", "bogus"])
    assert "invalid choice: 'bogus'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out
    for flag in ("--dataset", "--preset", "--loss", "--ema", "--resume", "--d-steps", "--label-smoothing", "--precision", "keras-mlp"):
        assert flag in help_text


def test_batch_larger_than_data_is_refused(tmp_path, mnist_dir):
    with pytest.raises(ValueError, match="larger than the data set"):
        run_training(tmp_path / "r", limit=10, batch_size=64)


def test_resolve_refuses_an_unknown_precision():
    with pytest.raises(ValueError, match="unknown precision 'int8'; choose one of: fp32, bf16, fp16"):
        resolve(TrainConfig(precision="int8"))


def test_resolve_fills_preset_defaults():
    cfg = resolve(TrainConfig(preset="tf-dcgan"))
    assert (cfg.loss, cfg.lr, cfg.batch_size, cfg.beta1) == ("nonsat", 1e-4, 256, 0.9)
    assert cfg.out_dir.endswith("mnist-tf-dcgan")


def test_sigterm_saves_a_final_checkpoint(tmp_path, mnist_dir):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "gan.train", "--steps", "100000", "--limit", "2000",
                             "--out-dir", str(out), "--log-every", "1", "--no-progress", "--device", "cpu"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = out / "log.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (log.exists() and log.stat().st_size > 0):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "interrupted at step" in err
    state = load_training_state(out / "state.pt")
    G, meta = load_generator(out / "generator.safetensors")
    assert 0 < state["step"] == meta["steps"] < 100000


def test_a_run_saves_its_discriminator_beside_the_generator(trained_checkpoint):
    """#42: every model trained from now on keeps its critic, loadable by the generator's rules."""
    import torch

    from gan.checkpoint import discriminator_paths, load_discriminator, load_generator
    from gan.sampling.latents import latent_for_seeds

    weights, sidecar = discriminator_paths(trained_checkpoint)
    assert weights.is_file() and sidecar.is_file()
    discriminator, meta = load_discriminator(trained_checkpoint)
    assert meta["kind"] == "discriminator" and meta["steps"] == load_generator(trained_checkpoint)[1]["steps"]
    generator = load_generator(trained_checkpoint)[0]
    with torch.no_grad():
        scores = discriminator(generator(latent_for_seeds(range(4), generator.latent_dim)))
    scores = scores[0] if isinstance(scores, tuple) else scores
    assert scores.shape[0] == 4 and torch.isfinite(scores).all()
