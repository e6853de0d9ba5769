"""The critic (gan/judging/): fitted and calibrated beside a generator, read as percentiles and a
saliency map, and used to choose samples reproducibly."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from gan.checkpoint import load_generator, save_generator
from gan.data.idx import load_dataset, to_model_range
from gan.judging.fit import CriticConfig, fit_critic, generated
from gan.judging.selection import group_quota, keep_by_critic
from gan.judging.verdict import Critic, percentile
from gan.sampling.latents import latent_for_seeds

SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints"


@pytest.fixture(scope="module")
def small_critic(tmp_path_factory, conditional_checkpoint):
    folder = tmp_path_factory.mktemp("critic")
    for suffix in (".safetensors", ".json"):
        shutil.copy(conditional_checkpoint.with_suffix(suffix), folder / f"g{suffix}")
    path = folder / "g.safetensors"
    fit_critic(path, CriticConfig(steps=60, calibration=500, log_every=1000), log=lambda _: None)
    return path


def test_percentile_reads_the_table_between_its_quantiles():
    table = [0.0, 1.0, 2.0, 3.0, 4.0]  # 0, 25, 50, 75, 100 %
    assert percentile(table, -5) == 0 and percentile(table, 9) == 100
    assert percentile(table, 2.0) == pytest.approx(50) and percentile(table, 2.5) == pytest.approx(62.5)


def test_a_fitted_critic_is_saved_calibrated_and_loaded(small_critic, tmp_path):
    critic = Critic.load(small_critic)
    assert critic is not None and critic.num_classes == 10
    real_q, fake_q = critic.tables["real_quantiles"], critic.tables["generated_quantiles"]
    assert len(real_q) == len(fake_q) == 201 and real_q == sorted(real_q) and fake_q == sorted(fake_q)
    assert "EMA" in critic.meta["trained_against"]
    with pytest.raises(ValueError, match="pass labels"):
        critic.scores(torch.zeros(1, 1, 28, 28))
    # new generator weights: the old critic is not paired with them
    for f in small_critic.parent.glob("g.*"):
        shutil.copy(f, tmp_path / f.name)
    generator, meta = load_generator(tmp_path / "g.safetensors")
    with torch.no_grad():
        next(generator.parameters()).add_(0.01)
    save_generator(tmp_path / "g.safetensors", generator, meta)
    assert Critic.load(tmp_path / "g.safetensors") is None


def test_the_saliency_map_is_a_finite_seeded_picture_sized_map(conditional_checkpoint, tmp_path):
    for suffix in (".safetensors", ".json"):
        shutil.copy(conditional_checkpoint.with_suffix(suffix), tmp_path / f"g{suffix}")
    fit_critic(tmp_path / "g.safetensors", CriticConfig(steps=20, calibration=200), log=lambda _: None)
    critic = Critic.load(tmp_path / "g.safetensors")
    generator, _ = load_generator(tmp_path / "g.safetensors")
    image = generated(generator, latent_for_seeds([3], generator.latent_dim), torch.tensor([3]))
    heat = critic.saliency(image, 3)
    assert heat.shape == (28, 28) and np.isfinite(heat).all() and 0 <= heat.min() and heat.max() <= 1
    assert heat.max() == 1 and heat.std() > 0  # somewhere it looks more than elsewhere
    assert np.array_equal(heat, critic.saliency(image, 3))


@pytest.mark.parametrize("rule", ["top", "drs"])
def test_kept_seeds_are_reproducible_and_keep_the_class_shares(small_critic, rule):
    generator, _ = load_generator(small_critic)
    critic = Critic.load(small_critic)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 7, 7])
    kept = keep_by_critic(generator, critic.net, critic.tables, 100, 8, 0.25, rule, labels)
    again = keep_by_critic(generator, critic.net, critic.tables, 100, 8, 0.25, rule, labels)
    assert kept.seeds == again.seeds and len(set(kept.seeds)) == 8
    assert torch.equal(kept.labels, labels)  # each picture is of the class it was asked for
    assert torch.equal(kept.z, latent_for_seeds(kept.seeds, generator.latent_dim))  # a kept seed redraws it
    # the chosen candidates are the best-scored of their class among those drawn
    if rule == "top":
        drawn = list(range(100, 100 + kept.candidates))
        z = latent_for_seeds(drawn, generator.latent_dim)
        y = labels[torch.arange(len(drawn)) % 8]
        scores = critic.scores(generated(generator, z, y), y)
        for c in labels.unique():
            best = [drawn[i] for i in torch.argsort(scores, descending=True).tolist() if y[i] == c][:2]
            assert sorted(best) == sorted(s for s, lab in zip(kept.seeds, kept.labels) if lab == c)


def test_keeping_everything_keeps_the_plain_seeds(small_critic):
    generator, _ = load_generator(small_critic)
    critic = Critic.load(small_critic)
    kept = keep_by_critic(generator, critic.net, critic.tables, 5, 4, 1.0, "top", torch.arange(4))
    assert kept.seeds == [5, 6, 7, 8] and kept.candidates == 4


def test_group_quota_scales_shares_by_largest_remainder():
    assert group_quota(torch.tensor([0, 0, 0, 1, 1, 2]), 4) == {0: 2, 1: 1, 2: 1}
    assert sum(group_quota(torch.randint(0, 7, (50,), generator=torch.Generator().manual_seed(1)), 13).values()) == 13


@pytest.mark.parametrize("name", ["mnist-dcgan", "fashion-dcgan-cond"])
def test_a_shipped_critic_is_calibrated_on_unseen_real_pictures(name):
    """The tables come from the first half of the test split; the second half must read near the
    median, and noise near the bottom."""
    critic = Critic.load(SHIPPED / f"{name}.safetensors")
    assert critic is not None, f"{name} ships without its critic"
    meta = load_generator(SHIPPED / f"{name}.safetensors")[1]
    x, y = load_dataset(meta["dataset"], "test")
    unseen = slice(critic.tables["calibration_pictures"], critic.tables["calibration_pictures"] + 2000)
    labels = y[unseen] if critic.num_classes else None
    real = [v.real_percentile for v in critic.verdicts(to_model_range(x[unseen], (-1.0, 1.0)), labels)]
    assert 35 < np.median(real) < 65
    noise = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    noise_labels = torch.arange(200) % 10 if critic.num_classes else None
    assert np.median([v.real_percentile for v in critic.verdicts(noise, noise_labels)]) < 5


def test_the_sample_command_keeps_by_the_critic_and_prints_the_seeds(small_critic, tmp_path, capsys):
    from gan.sample import main

    args = ["--checkpoint", str(small_critic), "--n", "4", "--class", "3", "--seed", "10", "--critic-keep", "0.5"]
    assert main([*args, "--out", str(tmp_path / "a.png")]) == 0
    first = capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "b.png")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == first.splitlines()[0]
    seeds = [int(s) for s in first.splitlines()[0].split("seeds: ")[1].split(", ")]
    assert "kept 4 of 8 candidates" in first and len(set(seeds)) == 4 and all(10 <= s < 18 for s in seeds)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert main([*args[:-1], "0.05", "--out", str(tmp_path / "c.png")]) == 2


def test_every_shipped_model_has_its_critic_fitted_to_its_own_weights():
    from gan.checkpoint import is_generator_sidecar

    generators = [p.with_suffix(".safetensors") for p in SHIPPED.glob("*.json") if is_generator_sidecar(p)]
    assert len(generators) >= 11
    missing = [p.stem for p in generators if Critic.load(p) is None]
    assert not missing, f"no critic (or one fitted to other weights) for: {missing}"


def test_platt_scaling_recovers_a_known_slope_and_stays_finite_when_separable():
    from gan.judging.fit import MAX_PLATT_SLOPE, platt

    g = torch.Generator().manual_seed(0)
    logits = torch.randn(20_000, generator=g) * 3
    is_real = torch.rand(20_000, generator=g) < torch.sigmoid(0.5 * logits - 1.0)  # a = 0.5, b = -1
    a, b = platt(logits[is_real], logits[~is_real])
    assert a == pytest.approx(0.5, abs=0.05) and b == pytest.approx(-1.0, abs=0.1)
    a, b = platt(torch.linspace(5, 9, 100), torch.linspace(-9, -5, 100))  # perfectly separated
    assert np.isfinite([a, b]).all() and 0 < a <= MAX_PLATT_SLOPE
