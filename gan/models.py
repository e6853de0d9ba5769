"""Generators and discriminators: an MLP pair and a DCGAN-style conv pair, plus named presets.

Every module is built from plain JSON-able constructor arguments, so a checkpoint can record
them and `build_generator(arch, **args)` rebuilds the exact architecture later.

Class conditioning (num_classes > 0):
- generators concatenate a learned label embedding to z. Labels may be class indices or
  soft class weights (N x num_classes), which lets the app morph one class into another.
- discriminators use a projection head (Miyato & Koyama, 2018): logit = w.h + <embed(y), h>,
  which conditions more reliably than concatenating labels to the input. With `class_head` they
  also predict the class from h (AC-GAN, Odena et al., 2017), for the trainer's auxiliary loss;
  with `twin_class_head` a second head learns the classes of generated images (TAC-GAN, Gong et
  al., 2019), which the trainer uses to cancel AC-GAN's push away from class boundaries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import torch
import torch.nn as nn

# The pictures every net was built for before the shape was a parameter: a checkpoint whose args
# give no image_shape draws these (gan/checkpoint.py reads the same default from the sidecar).
IMAGE_SHAPE = (1, 28, 28)
SIZES = (28, 32, 64)  # the square sizes the conv presets have layouts for


def picture_numel(image_shape) -> int:
    c, h, w = image_shape
    return c * h * w


def activation(name: str, slope: float = 0.2) -> nn.Module:
    return {"leaky_relu": lambda: nn.LeakyReLU(slope), "relu": nn.ReLU}[name]()


class LabelEmbedding(nn.Module):
    """nn.Embedding that also accepts soft labels (rows of class weights)."""

    def __init__(self, num_classes: int, dim: int):
        super().__init__()
        self.table = nn.Embedding(num_classes, dim)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        if labels.dtype.is_floating_point:
            return labels @ self.table.weight
        return self.table(labels)


class ConditionalGenerator(nn.Module):
    """Shared plumbing: latent (+ label embedding) -> `self.body` -> image in the output range."""

    latent_dim: int
    num_classes: int

    def _input(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.num_classes:
            if labels is None:
                raise ValueError("this generator is class-conditional: pass labels")
            return torch.cat([z, self.embed(labels)], dim=1)
        return z


class MLPGenerator(ConditionalGenerator):
    def __init__(self, latent_dim: int = 100, hidden: list[int] = (256, 512, 1024), num_classes: int = 0,
                 embed_dim: int = 10, batch_norm: bool = True, bn_momentum: float = 0.1,
                 act: str = "leaky_relu", slope: float = 0.2, output: str = "tanh", image_shape=IMAGE_SHAPE):
        super().__init__()
        self.latent_dim, self.num_classes, self.output = latent_dim, num_classes, output
        self.image_shape = tuple(image_shape)
        if num_classes:
            self.embed = LabelEmbedding(num_classes, embed_dim)
        layers, width = [], latent_dim + (embed_dim if num_classes else 0)
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h, momentum=bn_momentum))
            layers.append(activation(act, slope))
            width = h
        layers += [nn.Linear(width, picture_numel(self.image_shape)), nn.Tanh() if output == "tanh" else nn.Sigmoid()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(self._input(z, labels)).view(-1, *self.image_shape)


def upsample_conv(c_in: int, c_out: int, kernel: int, stride: int) -> nn.ConvTranspose2d:
    """A transposed conv that multiplies the spatial size by exactly `stride`."""
    padding = (kernel - stride + 1) // 2
    output_padding = stride + 2 * padding - kernel
    if not 0 <= output_padding < stride or output_padding and stride == 1:
        raise ValueError(f"kernel {kernel} with stride {stride} cannot scale the size by exactly {stride}")
    return nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, output_padding, bias=False)


class DCGANGenerator(ConditionalGenerator):
    """Dense -> (C0, s, s) -> upsampling stages -> image_shape, where s is the picture's size over the
    product of the strides (7 for 28x28 and strides 2, 2; 4 for 32 or 64). The last stage's c_out is
    the picture's channel count.

    A stage is [c_out, stride] or [c_out, stride, kernel]."""

    def __init__(self, latent_dim: int = 100, base_channels: int = 256,
                 stages: list[list[int]] = ((128, 2), (1, 2)), kernel: int = 4, num_classes: int = 0,
                 embed_dim: int = 10, bn_momentum: float = 0.1, act: str = "relu", slope: float = 0.2,
                 output: str = "tanh", image_shape=IMAGE_SHAPE):
        super().__init__()
        self.latent_dim, self.num_classes, self.output = latent_dim, num_classes, output
        self.image_shape = channels, size, _ = tuple(image_shape)
        if num_classes:
            self.embed = LabelEmbedding(num_classes, embed_dim)
        scale = 1
        for stage in stages:
            scale *= stage[1]
        if size % scale or stages[-1][0] != channels:
            raise ValueError(f"DCGAN stages must upsample to {size}x{size} (their strides multiply to {scale}) "
                             f"and end with {channels} channel(s)")
        self.start = size // scale
        width = latent_dim + (embed_dim if num_classes else 0)
        self.project = nn.Sequential(
            nn.Linear(width, base_channels * self.start ** 2, bias=False),
            nn.BatchNorm1d(base_channels * self.start ** 2, momentum=bn_momentum),
            activation(act, slope),
        )
        self.base_channels = base_channels
        layers, c = [], base_channels
        for i, (c_out, stride, *k) in enumerate(stages):  # a stage may set its own kernel: [c_out, stride, k]
            layers.append(upsample_conv(c, c_out, k[0] if k else kernel, stride))
            if i < len(stages) - 1:
                layers += [nn.BatchNorm2d(c_out, momentum=bn_momentum), activation(act, slope)]
            c = c_out
        layers.append(nn.Tanh() if output == "tanh" else nn.Sigmoid())
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.project(self._input(z, labels)).view(-1, self.base_channels, self.start, self.start)
        return self.body(h)


class ProjectionDiscriminator(nn.Module):
    """features(x) -> h; logit = linear(h) (+ <embed(y), h> when conditional).

    forward(x, labels, classes=True) returns (logit, class logits, twin class logits or None)
    (needs class_head=True; the twin needs twin_class_head=True)."""

    num_classes: int

    def _heads(self, width: int, num_classes: int, class_head: bool, twin_class_head: bool) -> None:
        if class_head and not num_classes:
            raise ValueError("class_head needs a class-conditional discriminator (num_classes > 0)")
        if twin_class_head and not class_head:
            raise ValueError("twin_class_head needs class_head")
        self.num_classes = num_classes
        self.linear = nn.Linear(width, 1)
        if num_classes:
            self.embed = LabelEmbedding(num_classes, width)
        self.classify = nn.Linear(width, num_classes) if class_head else None
        self.classify_twin = nn.Linear(width, num_classes) if twin_class_head else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None, classes: bool = False):
        h = self.features(x)
        logit = self.linear(h).squeeze(1)
        if self.num_classes:
            if labels is None:
                raise ValueError("this discriminator is class-conditional: pass labels")
            logit = logit + (self.embed(labels) * h).sum(dim=1)
        if not classes:
            return logit
        if self.classify is None:
            raise ValueError("this discriminator has no class head (build it with class_head=True)")
        return logit, self.classify(h), None if self.classify_twin is None else self.classify_twin(h)


class MLPDiscriminator(ProjectionDiscriminator):
    def __init__(self, hidden: list[int] = (512, 256), num_classes: int = 0, dropout: float = 0.0,
                 slope: float = 0.2, class_head: bool = False, twin_class_head: bool = False, image_shape=IMAGE_SHAPE):
        super().__init__()
        self.image_shape = tuple(image_shape)
        layers, width = [nn.Flatten()], picture_numel(image_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(slope)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        self.features = nn.Sequential(*layers)
        self._heads(width, num_classes, class_head, twin_class_head)


class DCGANDiscriminator(ProjectionDiscriminator):
    """Strided convs (each halves the size), LeakyReLU, optional dropout; no BatchNorm so
    that every loss, WGAN-GP included, is valid (its penalty is per-sample)."""

    def __init__(self, channels: list[int] = (64, 128), kernel: int = 4, num_classes: int = 0,
                 dropout: float = 0.0, slope: float = 0.2, class_head: bool = False, twin_class_head: bool = False,
                 image_shape=IMAGE_SHAPE):
        super().__init__()
        self.image_shape = tuple(image_shape)
        layers, (c, size, _) = [], image_shape
        for c_out in channels:
            layers += [nn.Conv2d(c, c_out, kernel, 2, (kernel - 1) // 2), nn.LeakyReLU(slope)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            c, size = c_out, (size + 2 * ((kernel - 1) // 2) - kernel) // 2 + 1
        layers.append(nn.Flatten())
        self.features = nn.Sequential(*layers)
        self._heads(c * size * size, num_classes, class_head, twin_class_head)


class ResidualBlock(nn.Module):
    """R3GAN's block (Huang et al., 2024): 1x1 expand -> grouped 3x3 -> 1x1 back, LeakyReLU, added to
    the input; no normalisation. The last conv starts at zero and the others are scaled down with
    the depth (fix-up initialisation), so a deep stack starts as the identity and trains stably."""

    def __init__(self, channels: int, expansion: int = 2, group_size: int = 16, total_blocks: int = 1):
        super().__init__()
        hidden = channels * expansion
        self.expand = nn.Conv2d(channels, hidden, 1)
        # R3GAN's grouped 3x3 saves FLOPs on a GPU; oneDNN's grouped kernels are slow on a CPU (group_size 0: dense).
        self.spatial = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden // group_size if group_size else 1)
        self.project = nn.Conv2d(hidden, channels, 1)
        self.act = nn.LeakyReLU(0.2)
        scale = total_blocks ** (-1 / 4)  # L^(-1/(2m-2)) with m = 3 layers per block
        for conv in (self.expand, self.spatial):
            nn.init.kaiming_normal_(conv.weight, a=0.2)
            conv.weight.data.mul_(scale)
            nn.init.zeros_(conv.bias)
        nn.init.zeros_(self.project.weight)
        nn.init.zeros_(self.project.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.project(self.act(self.spatial(self.act(self.expand(x)))))


def residual_stage(c_in: int, c_out: int, blocks: int, total_blocks: int, expansion: int, group_size: int,
                   scale: str | None) -> nn.Sequential:
    """A change of resolution and width, then blocks. Resampling is a 1x1 conv with pixel
    (un)shuffle: bilinear up and average-pool down with a 1x1 conv cost 3x more on a CPU."""
    layers = []
    if scale == "up":
        layers += [nn.Conv2d(c_in, c_out * 4, 1), nn.PixelShuffle(2)]
    elif scale == "down":
        layers += [nn.PixelUnshuffle(2), nn.Conv2d(c_in * 4, c_out, 1)]
    elif c_in != c_out:
        layers.append(nn.Conv2d(c_in, c_out, 1))
    layers += [ResidualBlock(c_out, expansion, group_size, total_blocks) for _ in range(blocks)]
    return nn.Sequential(*layers)


class ResidualGenerator(ConditionalGenerator):
    """R3GAN-style generator: dense -> (C0, s, s) -> one stage per resolution, each doubling -> 1x1 conv
    -> image. `channels` and `blocks` give one width and block count per resolution (for 28x28:
    7, 14, 28; for 32: 4, 8, 16, 32)."""

    def __init__(self, latent_dim: int = 64, channels: list[int] = (128, 128, 64), blocks: list[int] = (1, 1, 1),
                 expansion: int = 2, group_size: int = 16, num_classes: int = 0, embed_dim: int = 32,
                 output: str = "tanh", image_shape=IMAGE_SHAPE):
        super().__init__()
        self.latent_dim, self.num_classes, self.output = latent_dim, num_classes, output
        self.image_shape = tuple(image_shape)
        self.start = start_size(self.image_shape, len(channels))
        if num_classes:
            self.embed = LabelEmbedding(num_classes, embed_dim)
        width = latent_dim + (embed_dim if num_classes else 0)
        self.base_channels = channels[0]
        self.project = nn.Linear(width, channels[0] * self.start ** 2)
        total, stages, c = sum(blocks), [], channels[0]
        for i, (c_out, n) in enumerate(zip(channels, blocks)):
            stages.append(residual_stage(c, c_out, n, total, expansion, group_size, "up" if i else None))
            c = c_out
        self.stages = nn.Sequential(*stages, nn.LeakyReLU(0.2), nn.Conv2d(c, self.image_shape[0], 1),
                                    nn.Tanh() if output == "tanh" else nn.Sigmoid())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.stages(self.project(self._input(z, labels)).view(-1, self.base_channels, self.start, self.start))


class ResidualDiscriminator(ProjectionDiscriminator):
    """The generator mirrored: 1x1 conv -> one stage per resolution, each halving -> flatten -> projection head."""

    def __init__(self, channels: list[int] = (64, 128, 128), blocks: list[int] = (1, 1, 1), expansion: int = 2,
                 group_size: int = 16, num_classes: int = 0, class_head: bool = False, twin_class_head: bool = False,
                 image_shape=IMAGE_SHAPE):
        super().__init__()
        self.image_shape = tuple(image_shape)
        end = start_size(image_shape, len(channels))
        total, layers, c = sum(blocks), [nn.Conv2d(image_shape[0], channels[0], 1)], channels[0]
        for i, (c_out, n) in enumerate(zip(channels, blocks)):
            layers.append(residual_stage(c, c_out, n, total, expansion, group_size, "down" if i else None))
            c = c_out
        layers += [nn.LeakyReLU(0.2), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self._heads(c * end * end, num_classes, class_head, twin_class_head)


def start_size(image_shape, resolutions: int) -> int:
    """The smallest resolution of a net whose `resolutions` levels each double the one before."""
    size = image_shape[1]
    if size % 2 ** (resolutions - 1):
        raise ValueError(f"{resolutions} resolutions, each doubling, cannot end at {size}x{size}")
    return size // 2 ** (resolutions - 1)


GENERATORS = {"mlp": MLPGenerator, "dcgan": DCGANGenerator, "residual": ResidualGenerator}
DISCRIMINATORS = {"mlp": MLPDiscriminator, "dcgan": DCGANDiscriminator, "residual": ResidualDiscriminator}


class SelfConditioned(nn.Module):
    """An unconditional generator made of a conditional one trained on label-free modes (gan/data/modes.py).

    Its latent has one coordinate more than the network's: coordinate 0 picks the mode and the
    rest feed the network, so the network's latent is independent of the mode, as in training.
    (Reading the mode from the network's own z[0] first seemed to cost FD, 3.51 vs 3.20, but that
    gap was within the ±0.2 that FD moves with the seed set; see docs/experiments.md.) The mode is
    u = Phi(sqrt(d) * z[0] / |z|) mapped through the modes' cumulative frequencies: about uniform u
    gives modes in their data frequencies, the same seed always gives the same mode, and
    truncation (which scales z) keeps every sample in its mode. Pasted, slider-moved and
    interpolated latents need no extra input.
    """

    def __init__(self, net: ConditionalGenerator, frequencies: list[float]):
        super().__init__()
        self.net, self.latent_dim, self.num_classes = net, net.latent_dim + 1, 0
        self.output = getattr(net, "output", "tanh")
        cumulative = torch.tensor(frequencies, dtype=torch.float64, device="cpu").cumsum(0)  # a buffer: .to() moves it
        self.register_buffer("cumulative", (cumulative / cumulative[-1]).float(), persistent=False)

    @property
    def num_modes(self) -> int:
        return len(self.cumulative)

    def modes(self, z: torch.Tensor) -> torch.Tensor:
        """Each latent's mode. The one definition, also exported to ONNX as it is (gan/sampling/
        onnx_graphs.py), hence Phi(x) = (1 + erf(x / sqrt 2)) / 2 rather than ndtr, and a count of
        the cumulative frequencies below u rather than searchsorted (same values, ops ONNX has)."""
        direction = z[:, 0] * z.shape[1] ** 0.5 / z.norm(dim=1).clamp(min=1e-12)
        u = 0.5 * (1 + torch.erf(direction.float() / math.sqrt(2)))
        return (self.cumulative[None] < u[:, None]).sum(1).clamp(max=self.num_modes - 1)

    def mode_ratios(self) -> torch.Tensor:
        """Per mode, the z[0] / |z| that puts a latent in the middle of the mode's interval of u
        (float64). The browser's explorer places latents in a mode with the same numbers."""
        cumulative = self.cumulative.double()
        lower = torch.cat([cumulative.new_zeros(1), cumulative[:-1]])
        return torch.special.ndtri((lower + cumulative) / 2) / self.latent_dim ** 0.5

    def in_mode(self, z: torch.Tensor, modes: torch.Tensor) -> torch.Tensor:
        """`z` with coordinate 0 set so that modes(z) == `modes` and the others kept:
        z[0] = r * |z[1:]| / sqrt(1 - r^2). gan.invert searches each mode with the mode held fixed,
        then returns a latent that draws the same picture without a label. The result is on z's device
        (latents drawn on the CPU stay there)."""
        ratio = self.mode_ratios()[modes.to(self.cumulative.device)].to(device=z.device, dtype=z.dtype)
        rest = z[:, 1:].norm(dim=1)
        return torch.cat([(ratio * rest / (1 - ratio ** 2).sqrt())[:, None], z[:, 1:]], 1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z[:, 1:], self.modes(z) if labels is None else labels)


def build_generator(arch: str, **args) -> ConditionalGenerator:
    if arch not in GENERATORS:
        raise ValueError(f"unknown generator architecture {arch!r}; known: {', '.join(GENERATORS)}")
    return GENERATORS[arch](**args)


def build_discriminator(arch: str, **args) -> ProjectionDiscriminator:
    if arch not in DISCRIMINATORS:
        raise ValueError(f"unknown discriminator architecture {arch!r}; known: {', '.join(DISCRIMINATORS)}")
    return DISCRIMINATORS[arch](**args)


@dataclass(frozen=True)
class Preset:
    """An architecture plus the training recipe it was designed with."""

    arch: str
    description: str
    generator: dict
    discriminator: dict
    loss: str = "nonsat"
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 64
    label_smoothing: float = 0.0
    ema: float = 0.0
    steps: int = 5000
    r1: float = 0.0
    r2: float = 0.0
    penalty_end: float = 1.0
    # Layouts for other picture sizes: {size: (generator overrides, discriminator overrides)}. The
    # generator/discriminator above are the 28x28 layout; MLPs need none (they read the shape).
    layouts: dict = field(default_factory=dict)


# The project's own default: DCGAN, hinge loss, EMA sampling.
DCGAN = Preset(
    arch="dcgan",
    description="project default: DCGAN (3x3 conv at 7x7, two 4x4 upsamplings), hinge loss, Adam 4e-4 beta1 0, EMA G",
    # The 3x3 stage at 7x7 (+34% time per step) reached the lean 16,000-step FD in 4,000-6,000 steps.
    generator=dict(latent_dim=64, base_channels=128, stages=[[128, 1, 3], [64, 2], [1, 2]], kernel=4, act="relu"),
    discriminator=dict(channels=[64, 128], kernel=4),
    # Adam beta1 0 and lr 4e-4 (measured against the DCGAN-paper 0.5 / 2e-4: same FD in half the steps);
    # the EMA generator averages out the extra step noise.
    loss="hinge", lr=4e-4, betas=(0.0, 0.99), batch_size=64, ema=0.999, steps=16000,
    # From a 4x4 start, widths halving as the resolution doubles (the last stage's width becomes the
    # picture's channels); D mirrors it with one strided conv per halving down to 4x4.
    layouts={
        32: (dict(stages=[[128, 1, 3], [128, 2], [64, 2], [1, 2]]), dict(channels=[64, 128, 256])),
        64: (dict(stages=[[128, 1, 3], [128, 2], [64, 2], [32, 2], [1, 2]]), dict(channels=[32, 64, 128, 256])),
    },
)

# A modern baseline (R3GAN, Huang et al., 2024): residual nets without normalisation, the
# relativistic pairing loss with R1 + R2, penalties annealed 10x over the run, EMA G.
R3 = Preset(
    arch="residual",
    description="R3GAN-style: residual G/D (no normalisation), RpGAN + R1 + R2 (annealed), Adam 4e-4 beta1 0, EMA G",
    # Blocks where pixels are few: the same nets with blocks at 28x28 cost 3x more per step on a CPU
    # (bench/train_throughput.py); dense 3x3 convs (group_size 0) beat grouped ones there.
    generator=dict(latent_dim=64, channels=[128, 64, 32], blocks=[1, 1, 0], expansion=1, group_size=0),
    discriminator=dict(channels=[32, 64, 128], blocks=[0, 1, 1], expansion=1, group_size=0),
    loss="rpgan", lr=4e-4, betas=(0.0, 0.99), batch_size=64, ema=0.999, steps=12000,
    r1=0.5, r2=0.5, penalty_end=0.1,
    layouts={  # one more resolution per doubling, blocks kept where pixels are few (as at 28)
        32: (dict(channels=[128, 128, 64, 32], blocks=[1, 1, 1, 0]),
             dict(channels=[32, 64, 128, 128], blocks=[0, 1, 1, 1])),
        64: (dict(channels=[128, 128, 64, 32, 16], blocks=[1, 1, 1, 0, 0]),
             dict(channels=[16, 32, 64, 128, 128], blocks=[0, 0, 1, 1, 1])),
    },
)

PRESETS: dict[str, Preset] = {
    "dcgan": DCGAN,
    "r3": R3,
    # The previous default, kept for comparison (and as the faster choice): the same recipe, no 3x3 stage.
    "dcgan-lean": replace(
        DCGAN,
        description="previous default: dcgan without the 3x3 stage (4x4 kernels only), same recipe, ~25% less time per step",
        generator={**DCGAN.generator, "stages": [[64, 2], [1, 2]]},
        layouts={size: ({"stages": g["stages"][1:]}, d) for size, (g, d) in DCGAN.layouts.items()},
    ),
    "mlp": Preset(
        arch="mlp",
        description="project MLP: BatchNorm MLP generator, hinge loss, EMA generator",
        generator=dict(latent_dim=64, hidden=[256, 512, 1024], batch_norm=True),
        discriminator=dict(hidden=[512, 256], dropout=0.0),
        loss="hinge", lr=2e-4, batch_size=64, ema=0.999, steps=10000,
    ),
    # Reference designs this project grew from, reproduced so they can be compared.
    "keras-mlp": Preset(
        arch="mlp",
        description="Keras GAN example: MLP G with BatchNorm(momentum 0.8), LeakyReLU D",
        generator=dict(latent_dim=100, hidden=[256, 512, 1024], batch_norm=True, bn_momentum=0.2),
        discriminator=dict(hidden=[512, 256]),
        loss="minimax", lr=2e-4, batch_size=64, steps=10000,
    ),
    "tf-dcgan": Preset(
        arch="dcgan",
        description="TensorFlow DCGAN tutorial: 5x5 kernels, 256-128-64 channels, dropout 0.3 in D",
        generator=dict(latent_dim=100, base_channels=256, stages=[[128, 1], [64, 2], [1, 2]], kernel=5,
                       act="leaky_relu", bn_momentum=0.01),
        discriminator=dict(channels=[64, 128], kernel=5, dropout=0.3),
        loss="nonsat", lr=1e-4, betas=(0.9, 0.999), batch_size=256, steps=3000,
    ),
    "numpy-mlp": Preset(
        arch="mlp",
        description="from-scratch NumPy GAN: one hidden layer, sigmoid output on [0, 1] data",
        generator=dict(latent_dim=100, hidden=[512], batch_norm=False, act="leaky_relu", output="sigmoid"),
        discriminator=dict(hidden=[512]),
        loss="minimax", lr=2e-4, batch_size=64, steps=10000,
    ),
    "torch-mlp": Preset(
        arch="mlp",
        description="classic PyTorch vanilla GAN: latent 128, no BatchNorm, dropout 0.3 in D",
        generator=dict(latent_dim=128, hidden=[256, 512, 1024], batch_norm=False),
        discriminator=dict(hidden=[256, 128, 64], dropout=0.3),
        loss="nonsat", lr=2e-4, batch_size=64, steps=10000,
    ),
}


def preset_models(name: str, num_classes: int = 0, image_shape=IMAGE_SHAPE) -> tuple[str, dict, dict]:
    """(arch, generator args, discriminator args) for a preset, with conditioning applied, laid out
    for `image_shape` (channels, size, size). For 1x28x28 the args are the preset's own, without an
    image_shape, so that they (and the checkpoints they build) stay as they always were."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    p = PRESETS[name]
    g, d = {**p.generator, "num_classes": num_classes}, {**p.discriminator, "num_classes": num_classes}
    channels, size, width = image_shape = tuple(image_shape)
    if image_shape == IMAGE_SHAPE:
        return p.arch, g, d
    if size != width or size not in SIZES or channels not in (1, 3):
        raise ValueError(f"pictures of shape {image_shape}: the presets are laid out for 1 or 3 channels "
                         f"at {', '.join(map(str, SIZES))} px square")
    if p.arch != "mlp" and size != 28:
        if size not in p.layouts:
            shaped = ", ".join(n for n, q in PRESETS.items() if size in q.layouts or q.arch == "mlp")
            raise ValueError(f"preset {name!r} is laid out for 28x28 only; at {size} px use {shaped}")
        g, d = {**g, **p.layouts[size][0]}, {**d, **p.layouts[size][1]}
    if p.arch == "dcgan":  # the last stage draws the picture's channels
        g["stages"] = [*g["stages"][:-1], [channels, *g["stages"][-1][1:]]]
    return p.arch, {**g, "image_shape": list(image_shape)}, {**d, "image_shape": list(image_shape)}


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
