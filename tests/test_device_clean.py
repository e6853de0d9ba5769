"""Device-clean code (#45, first part): every stage that needs only shapes runs with its modules on
PyTorch's `meta` device, where a tensor made on an implicit device (the CPU) fails at once, as it
would on a GPU. One training step of every preset, and sampling with and without the critic."""

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
    extra = {"none": {}, "projection": {"conditional": True},
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
