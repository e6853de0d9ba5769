"""An encoder per generator: picture -> latent, the fast start of GAN inversion (gan/invert.py).

    python -m gan.encoder --checkpoint checkpoints/mnist-dcgan-cond.safetensors

writes checkpoints/mnist-dcgan-cond.encoder.safetensors + .encoder.json beside the generator.

Trained against the frozen generator, as in the in-domain inversion literature (Zhu et al. 2020):
on the generator's own samples, where the true latent is known (latent loss + reconstruction
loss), and on real training images, where only the reconstruction can be judged (pixel loss +
evaluator-feature loss + a prior keeping |z|^2 near latent_dim). For a conditional generator the
class is an input (one-hot planes), so inversion asks the encoder once per class. The sidecar
records the sha256 of the generator's weights: an encoder for other weights is never used.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from gan.devices import module_device
from gan.fileio import file_sha256
from gan.inversion.features import FeatureLoss  # the same distance the search minimises
from gan.sampling.latents import output_range
from gan.training.device import autocast as precision_autocast
from gan.tensor_files import CheckpointError, load_into, read_sidecar, read_tensors, save_tensors

SUFFIX = ".encoder"


class Encoder(nn.Module):
    """[N, C, H, W] images in the generator's output range (+ labels) -> [N, latent_dim]. Strided
    4x4 convs halve the size down to 7 or 8 (28 -> 14 -> 7; 64 -> 32 -> 16 -> 8), a 3x3 one to 4x4."""

    def __init__(self, latent_dim: int, num_classes: int = 0, width: int = 64, image_shape=(1, 28, 28)):
        super().__init__()
        self.latent_dim, self.num_classes, self.image_shape = latent_dim, num_classes, tuple(image_shape)
        channels, size, _ = self.image_shape
        layers, c_in, c_out = [], channels + num_classes, width
        while size > 8:
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1)] + ([nn.BatchNorm2d(c_out)] if layers else []) + [nn.LeakyReLU(0.2)]
            c_in, c_out, size = c_out, min(2 * c_out, 4 * width), size // 2
        self.net = nn.Sequential(
            *layers, nn.Conv2d(c_in, 4 * width, 3, 2, 1), nn.BatchNorm2d(4 * width), nn.LeakyReLU(0.2),  # 4x4
            nn.Flatten(), nn.Linear(4 * width * 16, latent_dim),
        )

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes:
            planes = F.one_hot(labels, self.num_classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, planes.expand(-1, -1, *x.shape[2:])], 1)
        return self.net(x)


@dataclass
class EncoderConfig:
    steps: int = 3000
    batch_size: int = 64  # half generated, half real
    lr: float = 1e-3
    latent_weight: float = 1.0
    feature_weight: float = 0.5
    prior_weight: float = 0.02
    width: int = 64
    seed: int = 0
    precision: str = "fp32"  # "bf16": autocast, faster on CPUs with AVX512-BF16


def paths_for(generator_path: str | Path) -> tuple[Path, Path]:
    stem = Path(generator_path).with_suffix("")
    return stem.with_name(stem.name + SUFFIX + ".safetensors"), stem.with_name(stem.name + SUFFIX + ".json")


def save_encoder(generator_path: str | Path, encoder: Encoder, meta: dict) -> Path:
    weights, sidecar = paths_for(generator_path)
    # float16 on disk halves the file; a start for the optimisation does not need more digits
    state = {k: v.half() if v.is_floating_point() else v for k, v in encoder.state_dict().items()}
    return save_tensors(weights, state, sidecar, meta)


def load_encoder(generator_path: str | Path) -> Encoder | None:
    """The encoder beside a generator checkpoint, or None when there is none (or it belongs to
    other weights: inversion then starts from the best of many random seeds instead). A broken
    encoder is a broken file (CheckpointError), not a reason to fall back silently."""
    weights, sidecar = paths_for(generator_path)
    if not weights.exists() or not sidecar.exists():
        return None
    meta = read_sidecar(sidecar, ("generator_sha256", "latent_dim", "num_classes", "config"))
    if meta["generator_sha256"] != file_sha256(generator_path):
        return None
    try:
        encoder = Encoder(meta["latent_dim"], meta["num_classes"], meta["config"]["width"],
                          meta.get("image_shape", (1, 28, 28)))
    except (TypeError, ValueError, KeyError) as e:
        raise CheckpointError(f"{sidecar}: cannot build the encoder from its arguments ({e})") from None
    state = {k: v.float() if v.is_floating_point() else v for k, v in read_tensors(weights).items()}
    return load_into(encoder, state, weights, sidecar.name).eval()


def real_images(dataset: str, data_range, data_dir=None):
    from gan.data import training_sets
    from gan.data.idx import DataError, to_model_range

    try:
        data = training_sets.load(dataset, "train", data_dir, allow_download=False)
    except DataError:
        return None, None
    return to_model_range(data.images, data_range), data.labels


def train_encoder(generator: nn.Module, meta: dict, cfg: EncoderConfig, data_dir=None, log=print) -> tuple[Encoder, dict]:
    from gan.evaluation.evaluator_net import load_classifier


    torch.manual_seed(cfg.seed)
    generator.eval().requires_grad_(False)
    d, k = generator.latent_dim, generator.num_classes
    data_range = output_range(generator)
    from gan.checkpoint import image_shape

    shape = image_shape(meta)
    device = module_device(generator)  # the encoder trains where the generator is
    encoder = Encoder(d, k, cfg.width, shape).to(device)
    optimiser = torch.optim.Adam(encoder.parameters(), lr=cfg.lr, betas=(0.9, 0.99))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, cfg.steps)
    real, real_labels = real_images(meta["dataset"], data_range, data_dir)
    try:
        classifier = load_classifier(meta["dataset"])[0].requires_grad_(False).to(device)
    except CheckpointError:
        classifier = None
    if real is None:
        log(f"no {meta['dataset']} training data found: training on generated images only")
    half = cfg.batch_size // 2
    started = time.time()
    autocast = precision_autocast(device, cfg.precision)
    for step in range(1, cfg.steps + 1):
        z = torch.randn(half, d, device=device)
        y = torch.randint(0, k, (half,), device=device) if k else None
        with torch.no_grad(), autocast:
            fake = generator(z, y).float()
        with autocast:
            z_hat = encoder(fake, y).float()
            recon = generator(z_hat, y).float()
        loss_latent = F.mse_loss(z_hat, z)
        loss = cfg.latent_weight * loss_latent + F.mse_loss(recon, fake)
        if real is not None:
            idx = torch.randint(0, len(real), (half,), device="cpu")  # the real pictures stay in host memory
            x, yr = real[idx].to(device), (real_labels[idx].to(device) if k else None)
            with autocast:
                zr = encoder(x, yr).float()
                recon_real = generator(zr, yr).float()
            loss_real = F.mse_loss(recon_real, x) + cfg.prior_weight * (zr.pow(2).mean(1) - 1).pow(2).mean()
            if classifier is not None:
                loss_real = loss_real + cfg.feature_weight * FeatureLoss(classifier, x, data_range)(recon_real).mean()
            loss = loss + loss_real
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 250 == 0 or step == cfg.steps:
            log(f"step {step}/{cfg.steps}  loss {loss.item():.4f}  latent mse {loss_latent.item():.4f}  "
                f"{time.time() - started:.0f}s")
    encoder.eval()
    with torch.no_grad():  # held-out figures on fresh generated images
        gen = torch.Generator().manual_seed(12345)
        z = torch.randn(1000, d, generator=gen).to(device)
        y = torch.randint(0, k, (1000,), generator=gen).to(device) if k else None
        fake = generator(z, y)
        z_hat = encoder(fake, y)
        lo, hi = data_range
        figures = {"latent_mse": round(F.mse_loss(z_hat, z).item(), 4),
                   "pixel_error": round(((generator(z_hat, y) - fake).abs().mean() / (hi - lo)).item(), 4)}
    generator.requires_grad_(True)
    info = {"kind": "encoder", "latent_dim": d, "num_classes": k, "config": asdict(cfg),
            **({"image_shape": list(shape)} if shape != (1, 28, 28) else {}),
            "train_seconds": round(time.time() - started, 1), "trained_on_real_images": real is not None,
            "generated_heldout": figures}
    return encoder, info
