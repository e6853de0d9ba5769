"""Fit a critic to a trained generator, after training, and calibrate it.

The discriminator from training judged the raw generator of each step, never the EMA average the
app samples, and the shipped models' training runs kept it only in their state.pt. So each model's
critic is fitted afresh: the preset's discriminator (class-conditional by projection when the
generator is), trained with the logistic loss (optionally + R1 on real pictures) against the
frozen generator. The logistic loss gives a logit whose sigmoid estimates p(real), which
Discriminator Rejection Sampling needs.

Calibration (held out, never trained on): the scores of the first half of the test split and of
fresh samples become quantile tables, so a verdict reads as a percentile; a Platt fit a*logit + b
on the same scores corrects the logit for DRS (Azadi et al., 2019, section 3.2).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gan.checkpoint import discriminator_meta, image_shape, load_discriminator, load_generator, save_discriminator
from gan.data import training_sets
from gan.devices import module_device
from gan.data.idx import to_model_range
from gan.models import build_discriminator, preset_models
from gan.sampling.latents import latent_for_seeds, output_range, to_unit_range

CALIBRATION_SEED = 3 * 2**20  # fresh samples for the quantile tables, far from browsed and evaluation seeds
QUANTILES = 201               # 0, 0.5, ..., 100 %


@dataclass
class CriticConfig:
    steps: int = 2000
    batch_size: int = 64
    lr: float = 1e-3   # 2e-4 left held-out AUC near 0.55 after 1,600 steps; 1e-3 reached 0.71 (bench/critic_auc.py)
    r1: float = 0.0    # R1 = 0.1 did no better (bench/critic_auc.py); SmoothGrad already smooths the map
    seed: int = 0
    calibration: int = 5000  # real test images and samples scored for the tables
    log_every: int = 500
    noise_every: int = 8  # one noise picture per 8 samples: a critic that never saw noise rated it 100 % real


def critic_args(meta: dict) -> dict:
    """The dcgan preset's discriminator for the generator's pictures, conditional when it takes labels."""
    return preset_models("dcgan", meta["num_classes"], image_shape(meta))[2]


def pictures(generator, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """The generator's pictures for z (and labels) in [-1, 1], where the generator is."""
    device = module_device(generator)
    return to_unit_range(generator(z.to(device), None if labels is None else labels.to(device)),
                         output_range(generator))


generated = torch.no_grad()(pictures)


def score(critic, images: torch.Tensor, labels: torch.Tensor | None, batch: int = 1000) -> torch.Tensor:
    """The critic's logits for [-1, 1] pictures (labels for a conditional critic), on the CPU."""
    device = module_device(critic)
    with torch.no_grad():
        return torch.cat([critic(images[i:i + batch].to(device),
                                 None if labels is None else labels[i:i + batch].to(device)).cpu()
                          for i in range(0, len(images), batch)])


def scores_of(generator, critic, z: torch.Tensor, labels: torch.Tensor | None, batch: int = 1000) -> torch.Tensor:
    """The critic's logits for the generator's pictures of z, a batch at a time (memory stays flat)."""
    return torch.cat([score(critic, generated(generator, z[i:i + batch], None if labels is None else labels[i:i + batch]),
                            None if labels is None else labels[i:i + batch]) for i in range(0, len(z), batch)])


def quantile_table(scores: torch.Tensor) -> list[float]:
    return [round(v, 5) for v in torch.quantile(scores.double(), torch.linspace(0, 1, QUANTILES, dtype=torch.double, device=scores.device)).tolist()]


def noise_pictures(n: int, shape, rng: torch.Generator) -> torch.Tensor:
    """Pictures no data set holds: uniform noise, half of it blurred into blobs. A critic fitted only
    against a good generator extrapolates to them at random (uniform noise read as 100 % real)."""
    x = torch.rand(n, *shape, generator=rng) * 2 - 1
    blobs = F.interpolate(F.avg_pool2d(x[: n // 2], 4), size=shape[1:], mode="bilinear", align_corners=False)
    return torch.cat([blobs * 3, x[n // 2:]]).clamp(-1, 1)


MAX_PLATT_SLOPE = 50.0


def platt(real: torch.Tensor, fake: torch.Tensor, iterations: int = 50, ridge: float = 0.0) -> tuple[float, float]:
    """(a, b) minimising the logistic loss of sigmoid(a * logit + b) on held-out real (1) / fake (0).
    Where the critic separates them perfectly the unpenalised fit runs off to an infinite slope; a
    ridge penalty on a then keeps it finite (the fit is redone with ridge 0.01)."""
    x = torch.cat([real, fake]).double()
    y = torch.cat([torch.ones_like(real), torch.zeros_like(fake)]).double()
    ab = torch.tensor([1.0, 0.0], dtype=torch.double, device="cpu", requires_grad=True)
    opt = torch.optim.LBFGS([ab], max_iter=iterations, line_search_fn="strong_wolfe")

    def loss():
        opt.zero_grad()
        value = F.binary_cross_entropy_with_logits(ab[0] * x + ab[1], y) + ridge * ab[0] ** 2
        value.backward()
        return value

    opt.step(loss)
    a, b = ab.detach().tolist()
    if not ridge and not (math.isfinite(a) and math.isfinite(b) and abs(a) <= MAX_PLATT_SLOPE):
        return platt(real, fake, iterations, ridge=0.01)
    return round(a, 6), round(b, 6)


def recalibrate(generator_path, n: int = CriticConfig.calibration, data_dir=None, device="cpu") -> dict:
    """Redo a saved critic's tables (not its weights), as fit_critic makes them."""
    critic, meta = load_discriminator(generator_path, device)
    generator, generator_meta = load_generator(generator_path, device)
    meta["critic"] = {**meta.get("critic", {}), **calibrate(critic, generator, generator_meta, n, data_dir)}
    save_discriminator(generator_path, critic, {k: v for k, v in meta.items() if k != "format_version"})
    return meta


def fit_critic(generator_path, cfg: CriticConfig = CriticConfig(), data_dir=None, log=print, device="cpu") -> dict:
    """Fit, calibrate and save the critic beside the generator (both on `device`; the batches are drawn
    on the CPU's generator, so a seed fits the same critic anywhere up to rounding); returns its sidecar."""
    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    generator, meta = load_generator(generator_path, device)
    generator.requires_grad_(False)
    data = training_sets.load(meta["dataset"], "train", data_dir)
    images, labels = data.images, data.labels
    args = critic_args(meta)
    critic = build_discriminator("dcgan", **args).to(device)
    opt = torch.optim.Adam(critic.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(cfg.seed)
    for step in range(1, cfg.steps + 1):
        idx = torch.randint(len(images), (cfg.batch_size,), generator=rng)
        real, y = to_model_range(images[idx], (-1.0, 1.0)).to(device), labels[idx].to(device)
        y = y if meta["num_classes"] else None
        fake = generated(generator, torch.randn(cfg.batch_size, generator.latent_dim, generator=rng), y)
        junk = noise_pictures(cfg.batch_size // cfg.noise_every, real.shape[1:], rng).to(device)
        real.requires_grad_(cfg.r1 > 0)
        real_logit, fake_logit = critic(real, y), critic(fake, y)
        junk_logit = critic(junk, None if y is None else y[:len(junk)])
        loss = (F.softplus(-real_logit).mean() + F.softplus(fake_logit).mean()
                + F.softplus(junk_logit).mean() / cfg.noise_every)
        if cfg.r1:  # its double-backward graph would otherwise be built, at zero weight, every step
            grad, = torch.autograd.grad(real_logit.sum(), real, create_graph=True)
            loss = loss + cfg.r1 / 2 * grad.square().sum(dim=(1, 2, 3)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % cfg.log_every == 0 or step == cfg.steps:
            log(f"step {step}: loss {loss.item():.3f}, real {real_logit.mean().item():+.2f}, "
                f"generated {fake_logit.mean().item():+.2f}")
    critic.eval()
    tables = calibrate(critic, generator, meta, cfg.calibration, data_dir)
    sidecar = discriminator_meta(generator_path, arch="dcgan", discriminator_args=args, dataset=meta["dataset"],
                                 class_names=meta["class_names"], data_range=(-1.0, 1.0), steps=cfg.steps,
                                 trained_against="the frozen EMA generator, after training (gan/judging/fit.py)")
    sidecar["critic"] = {"loss": "logistic", "r1": cfg.r1, "noise_every": cfg.noise_every, "lr": cfg.lr, "batch_size": cfg.batch_size,
                         "seed": cfg.seed, "fit_seconds": round(time.perf_counter() - t0, 1), **tables}
    save_discriminator(generator_path, critic, sidecar)
    return sidecar


def calibrate(critic, generator, meta: dict, n: int, data_dir=None) -> dict:
    """The quantile tables and the Platt fit, from the scores of the first n test images (the
    second half of the split stays unseen, for checking the tables) and of n samples from
    CALIBRATION_SEED on."""
    test = training_sets.load(meta["dataset"], "test", data_dir)  # the training pictures where there is no test split
    x_test, y_test = test.images, test.labels
    real, real_y = to_model_range(x_test[:n], (-1.0, 1.0)), y_test[:n] if meta["num_classes"] else None
    fake_y = torch.arange(n, device="cpu") % meta["num_classes"] if meta["num_classes"] else None
    z = latent_for_seeds(range(CALIBRATION_SEED, CALIBRATION_SEED + n), generator.latent_dim)
    real_scores, fake_scores = score(critic, real, real_y), scores_of(generator, critic, z, fake_y)
    a, b = platt(real_scores, fake_scores)
    return {"real_quantiles": quantile_table(real_scores), "generated_quantiles": quantile_table(fake_scores),
            "platt": [a, b], "calibration_pictures": n}
