"""Generators and encoders as ONNX graphs, for the browser (onnxruntime-web) and anyone else.

Each graph keeps what the PyTorch model takes, in a form ONNX and a browser can feed:
- an unconditional generator: z [N, d] -> images [N, C, H, W] (the checkpoint's image_shape) in its output range;
- a conditional one: z and class weights [N, K] (one-hot rows pick a class; mixed rows morph
  between classes, as the interpolation does);
- a self-conditioned one (trained on label-free modes): z [N, d + 1] alone, its mode read from
  z[0] by SelfConditioned.modes itself (written with ops ONNX has). The page picks a mode by
  setting z[0] (`mode_ratios`);
- an inversion encoder: pictures [N, C, H, W] in the generator's range (+ class weights) -> z;
- a critic (gan/judging/): pictures [N, C, H, W] in [-1, 1] (+ class weights) -> logits [N].

`explorer_meta` is what a page needs beside the graph: latent size, classes or modes, output
range, the sliders' principal directions, how a seed becomes a latent, how a drawing is made like
the data set's pictures (gan/data/pictures.py PictureRule) and the critic's percentile tables.

The export uses torch's TorchScript-based exporter (it needs the `onnx` package): the graphs are
plain convolutions, and it needs no onnxscript. tests/test_onnx_export.py checks every shipped
model against onnxruntime.
"""

from __future__ import annotations

import copy
import io
import warnings
from dataclasses import asdict

import torch
import torch.nn as nn

from gan.data.pictures import picture_rule
from gan.sampling.latents import output_range

OPSET = 17


class BrowserGenerator(nn.Module):
    """The generator with label inputs ONNX can take (see the module docstring)."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.self_conditioned = hasattr(generator, "cumulative")
        self.generator = generator
        self.num_classes = getattr(generator, "num_classes", 0)
        self.num_modes = generator.num_modes if self.self_conditioned else 0

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.self_conditioned:  # the mode read from z[0] by the model's own rule, as one-hot weights
            modes = self.generator.modes(z)
            return self.generator.net(z[:, 1:], (modes[:, None] == torch.arange(self.num_modes, device=modes.device)).float())
        return self.generator(z, labels)


class BrowserEncoder(nn.Module):
    """An inversion encoder (gan/inversion/encoder_net.py) with class weights instead of indices."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is not None:
            x = torch.cat([x, labels[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        return self.encoder.net(x)


def to_onnx(module: nn.Module, inputs: dict[str, torch.Tensor], output: str) -> bytes:
    """`module` traced on `inputs` (batch size free) as ONNX bytes. Tracing runs on the CPU (a graph
    holds no device): a module elsewhere is traced from a CPU copy."""
    if any(t.device.type != "cpu" for t in module.state_dict().values()):
        module = copy.deepcopy(module).cpu()
    module.eval()
    names = list(inputs)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, tuple(inputs.values()), buffer, dynamo=False, opset_version=OPSET,
                          input_names=names, output_names=[output],
                          dynamic_axes={name: {0: "n"} for name in [*names, output]})
    return buffer.getvalue()


def generator_inputs(generator: nn.Module, n: int = 2) -> dict[str, torch.Tensor]:
    inputs = {"z": torch.randn(n, generator.latent_dim, device="cpu")}  # export traces on the CPU
    if getattr(generator, "num_classes", 0):
        inputs["labels"] = torch.eye(generator.num_classes, device="cpu")[torch.arange(n, device="cpu") % generator.num_classes]
    return inputs


def generator_onnx(generator: nn.Module) -> bytes:
    return to_onnx(BrowserGenerator(generator), generator_inputs(generator), "images")


def picture_inputs(num_classes: int, image_shape=(1, 28, 28)) -> dict[str, torch.Tensor]:
    """What the graphs that read pictures (the encoder, the critic) are traced on."""
    inputs = {"pictures": torch.zeros(2, *image_shape, device="cpu")}
    if num_classes:
        inputs["labels"] = torch.eye(num_classes, device="cpu")[:2]
    return inputs


def encoder_onnx(encoder: nn.Module) -> bytes:
    return to_onnx(BrowserEncoder(encoder), picture_inputs(encoder.num_classes, encoder.image_shape), "z")


def critic_onnx(critic: nn.Module) -> bytes:
    """A critic as it is: its label embedding already takes class weights (rows of soft labels)."""
    return to_onnx(critic, picture_inputs(critic.num_classes, critic.image_shape), "logits")


def mode_ratios(generator: nn.Module) -> list[float]:
    """SelfConditioned.mode_ratios, for the meta the browser reads."""
    return generator.mode_ratios().tolist()


def explorer_meta(key: str, label: str, meta: dict, generator: nn.Module, directions: torch.Tensor,
                  has_encoder: bool, critic_tables: dict | None = None) -> dict:
    """What the browser explorer needs to draw this model (see the module docstring)."""
    self_conditioned = hasattr(generator, "cumulative")
    frequencies = list(meta.get("modes", {}).get("frequencies", [])) if self_conditioned else []
    return {
        "name": key, "label": label, "dataset": meta.get("dataset", ""),
        "latent_dim": generator.latent_dim,
        "image_shape": list(meta.get("image_shape", (1, 28, 28))),  # [channels, height, width] the graphs draw
        "classes": list(meta.get("class_names", [])) if getattr(generator, "num_classes", 0) else [],
        "modes": [{"name": f"mode {i + 1}", "share": share, "ratio": ratio}
                  for i, (share, ratio) in enumerate(zip(frequencies, mode_ratios(generator)))] if self_conditioned else [],
        "output_range": list(output_range(generator)),
        "directions": [[round(v, 7) for v in row] for row in directions.tolist()],
        "encoder": has_encoder,
        # seed S -> torch.randn(latent_dim, generator=torch.Generator().manual_seed(S)): mt19937 and
        # torch's Box-Muller over blocks of 16 (gan/sampling/latents.py; the page ports it exactly)
        "seed_latent": "torch.randn/mt19937",
        "picture_rule": asdict(picture_rule(meta.get("dataset", ""))),  # what the drawing guess prepares
        # the critic's verdict as percentiles (gan/judging/verdict.py percentile), or None without a critic
        "critic": {k: critic_tables[k] for k in ("real_quantiles", "generated_quantiles")} if critic_tables else None,
    }
