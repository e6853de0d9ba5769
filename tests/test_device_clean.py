"""Device-clean code (#45, first part): every stage that needs only shapes runs with its modules on
PyTorch's `meta` device, where a tensor made on an implicit device (the CPU) fails at once, as it
would on a GPU. One training step of every preset, and sampling with and without the critic."""

import ast
from pathlib import Path

import pytest
import torch

from gan.judging.selection import keep_by_critic
from gan.models import PRESETS, SelfConditioned, build_discriminator, build_generator, preset_models
from gan.training.batches import RealBatches
from gan.training.config import TrainConfig, resolve
from gan.training.loop import build_models, train_step

META = torch.device("meta")


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("classes", ["none", "projection", "tac"])
def test_one_training_step_of_every_preset_runs_on_another_device(preset, classes):
    extra = {"none": {}, "projection": {"conditional": True, "mode_seeking": 1.0},
             "tac": {"conditional": True, "aux_class_weight": 1.0, "aux_twin": True}}[classes]
    cfg = resolve(TrainConfig(dataset="mnist", preset=preset, r1=0.1, r2=0.1, **extra))
    num_classes = 10 if extra else 0
    _, _, G, D, ema_G, opt_g, opt_d = build_models(cfg, num_classes, META)
    batches = RealBatches(torch.zeros(512, 28, 28, dtype=torch.uint8), torch.arange(512) % 10, cfg.batch_size, 0,
                          (-1.0, 1.0), META)
    loss_d, loss_g, d_real, d_fake = train_step(G, D, opt_g, opt_d, ema_G, batches, 0, cfg, bool(num_classes))
    assert loss_d.device == META and d_fake.shape == (cfg.batch_size,)


def test_a_self_conditioned_generator_and_the_critic_sample_on_another_device():
    arch, g_args, d_args = preset_models("dcgan", 0)
    net = build_generator(arch, **{**g_args, "num_classes": 5})
    generator = SelfConditioned(net, [0.4, 0.3, 0.1, 0.1, 0.1]).to(META).eval()
    critic = build_discriminator(arch, **d_args).to(META).eval()
    z = torch.randn(6, generator.latent_dim, device=META)
    assert generator(z).device == META
    assert generator.in_mode(z, torch.zeros(6, dtype=torch.long, device=META)).device == META
    tables = {"platt": [1.0, 0.0], "generated_quantiles": [float(i) for i in range(201)]}
    with pytest.raises(NotImplementedError):  # the scores reach the host only to be ranked, and meta has none
        keep_by_critic(generator, critic, tables, 0, 4, 0.5, "top")


# Tensor factories that take a device: each call in the library must say where its tensor lives,
# device=... (or draw from a generator=..., the CPU's by design, as seeded latents do).
FACTORIES = {"randn", "rand", "randint", "randperm", "zeros", "ones", "empty", "full", "arange", "linspace",
             "eye", "tensor", "as_tensor", "normal"}


def implicit_device_calls(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in FACTORIES
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch"
                and not {k.arg for k in node.keywords} & {"device", "generator"}):
            found.append(f"{filename}:{node.lineno}: torch.{node.func.attr}(...) without device=")
    return found


def test_no_tensor_is_made_on_an_implicit_device_in_the_library_or_the_app():
    root = Path(__file__).resolve().parent.parent
    found = [hit for folder in ("gan", "studio") for path in sorted((root / folder).rglob("*.py"))
             for hit in implicit_device_calls(path.read_text(), str(path.relative_to(root)))]
    assert not found, "\n".join(found)


def test_the_scan_finds_the_self_conditioned_models_old_concatenation():
    old = "lower = torch.cat([torch.zeros(1), cumulative[:-1]])\n"  # models.py before #45: crashed on CUDA
    assert implicit_device_calls(old, "models.py") == ["models.py:1: torch.zeros(...) without device="]
    assert implicit_device_calls("lower = torch.cat([torch.zeros(1, device=c.device), c[:-1]])\n", "m.py") == []


@pytest.mark.parametrize("command", ["gan.train", "gan.sample", "gan.evaluate", "gan.invert", "gan.encoder",
                                     "gan.neighbours", "gan.export", "gan.classifier"])
def test_every_command_takes_a_device(command):
    import importlib

    parser_help = help_text(importlib.import_module(command).main)
    assert "--device" in parser_help


def help_text(main) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    return out.getvalue()


def test_the_critic_commands_take_a_device():
    from gan.critic import main

    for sub in ("fit", "calibrate", "judge"):
        assert "--device" in help_text(lambda argv, s=sub: main([s, *argv]))


def test_gan_device_decides_auto_and_a_wrong_name_is_refused(monkeypatch):
    from gan.devices import pick_device

    monkeypatch.setenv("GAN_DEVICE", "meta")
    assert pick_device() == META and pick_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("GAN_DEVICE", "")
    assert pick_device().type in ("cpu", "cuda", "mps")
    with pytest.raises(ValueError, match="unknown device"):
        pick_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda:1")


def test_the_app_loads_its_models_where_gan_device_says(monkeypatch, tmp_path, trained_checkpoint):
    from studio.registry import ModelRegistry

    monkeypatch.setenv("GAN_DEVICE", "meta")
    registry = ModelRegistry(trained_checkpoint.parent)
    assert registry.device == META
    assert {next(m.generator.parameters()).device for m in registry.models.values()} == {META}
