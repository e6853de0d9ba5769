"""What a person (or an API client) can do with a loaded generator.

Every action validates its inputs (raising InvalidInput), is deterministic in them, and
returns PIL images plus a one-line description of exactly what produced them, so any
picture on the page can be reproduced from its caption.
"""

from __future__ import annotations

import torch
from PIL import Image

from gan.images import gif_bytes, make_grid, upscale
from gan.sampling import generate, interpolate, latent_for_seeds, sample

from .metrics import metric_rows
from .outputs import OutputFiles
from .registry import DATASET_TITLES, NUM_DIRECTIONS, LoadedModel, ModelRegistry
from .validation import (MAX_FRAMES, MAX_IMAGES, MAX_SEED, MAX_SLIDER, MAX_TRUNCATION, InvalidInput, as_choice,
                         as_float, as_int, parse_latent)

ALL_CLASSES = "All classes"
BASES = ("principal", "raw")
MODES = ("lerp", "slerp")
DISPLAY_WIDTH = 1024  # grids are upscaled (nearest-neighbour) to about this many pixels


def for_display(image: Image.Image, most: int = 10) -> Image.Image:
    """Upscale by the largest whole factor (at most `most`) that keeps it about DISPLAY_WIDTH wide."""
    scale = max(1, min(most, DISPLAY_WIDTH // image.width))
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST)


def format_latent(z: torch.Tensor) -> str:
    return ", ".join(f"{v:.4f}" for v in z.tolist())


class Studio:
    def __init__(self, registry: ModelRegistry, outputs: OutputFiles | None = None):
        self.registry = registry
        self.outputs = outputs or OutputFiles()

    # --- lookup helpers ---------------------------------------------------------------

    def model(self, key) -> LoadedModel:
        if not isinstance(key, str) or key not in self.registry.models:
            known = ", ".join(self.registry.models) or "none loaded"
            raise InvalidInput(f"unknown model {key!r}; available: {known}")
        return self.registry.models[key]

    def class_index(self, m: LoadedModel, class_name, allow_all: bool = False) -> int | None:
        """None means unconditional (or 'all classes' where allowed)."""
        if not m.class_names:
            return None
        choices = ([ALL_CLASSES] if allow_all else []) + m.class_names
        as_choice(class_name, "class", choices)
        return None if class_name == ALL_CLASSES else m.class_names.index(class_name)

    # --- actions ----------------------------------------------------------------------

    def list_models(self) -> list[dict]:
        return [{"name": m.key, "label": m.label, "dataset": m.meta["dataset"], "arch": m.meta["arch"],
                 "preset": m.meta.get("preset"), "conditional": bool(m.meta["num_classes"]),
                 "classes": m.class_names, "latent_dim": m.meta["latent_dim"], "steps": m.meta.get("steps"),
                 "metrics": m.meta.get("metrics", {})} for m in self.registry.models.values()]

    def sample_grid(self, key, seed, n, truncation=1.0, class_name=ALL_CLASSES) -> tuple[Image.Image, str]:
        m = self.model(key)
        seed = as_int(seed, "seed", 0, MAX_SEED - MAX_IMAGES)
        n = as_int(n, "number of images", 1, MAX_IMAGES)
        truncation = as_float(truncation, "truncation", 0.0, MAX_TRUNCATION)
        label = self.class_index(m, class_name, allow_all=True)
        if m.class_names and label is None:  # one row per seed, one column per class
            k = len(m.class_names)
            rows = max(1, n // k)
            z = latent_for_seeds(range(seed, seed + rows), m.generator.latent_dim).repeat_interleave(k, 0)
            images = sample(m.generator, z=z, labels=torch.arange(k).repeat(rows), truncation=truncation)
            grid = make_grid(images, nrow=k)
            what = f"seeds {seed}-{seed + rows - 1} (one per row) × all {k} classes"
            which = f"row r uses seed {seed}+r"
        else:
            images = sample(m.generator, seeds=range(seed, seed + n), labels=label, truncation=truncation)
            grid = make_grid(images)
            what = f"seeds {seed}-{seed + n - 1}" if n > 1 else f"seed {seed}"
            what += f", class {m.class_names[label]!r}" if label is not None else ""
            which = f"image i uses seed {seed}+i"
        return for_display(grid), f"{m.key}: {what}, truncation {truncation:g} ({which})"

    def slider_latent(self, m: LoadedModel, seed, basis, values) -> torch.Tensor:
        seed = as_int(seed, "seed", 0, MAX_SEED)
        basis = as_choice(basis, "basis", list(BASES))
        if len(values) != NUM_DIRECTIONS:
            raise InvalidInput(f"expected {NUM_DIRECTIONS} slider values, got {len(values)}")
        offsets = torch.tensor([as_float(v, f"slider {i + 1}", -MAX_SLIDER, MAX_SLIDER) for i, v in enumerate(values)])
        z = latent_for_seeds([seed], m.generator.latent_dim)[0]
        if basis == "raw":
            z[:NUM_DIRECTIONS] += offsets[: m.generator.latent_dim]
        else:
            z += offsets @ m.directions()
        return z

    def slider_image(self, key, seed, class_name=None, basis="principal", *values) -> tuple[Image.Image, str, str]:
        m = self.model(key)
        label = self.class_index(m, class_name)
        z = self.slider_latent(m, seed, basis, values)
        image = upscale(generate(m.generator, z[None], label)[0], 10)
        moved = ", ".join(f"{i + 1}: {float(v):+g}" for i, v in enumerate(values) if float(v)) or "none"
        cls = f", class {class_name!r}" if label is not None else ""
        return image, f"{m.key}: seed {int(seed)}{cls}, {basis} sliders moved: {moved}", format_latent(z)

    def endpoint(self, m: LoadedModel, seed, latent_text) -> torch.Tensor:
        if latent_text is not None and str(latent_text).strip():
            return torch.tensor(parse_latent(latent_text, m.generator.latent_dim))
        return latent_for_seeds([as_int(seed, "seed", 0, MAX_SEED)], m.generator.latent_dim)[0]

    def interpolate(self, key, start_seed, end_seed, start_class=None, end_class=None, frames=16, mode="slerp",
                    start_latent="", end_latent="") -> tuple[Image.Image, str, str]:
        m = self.model(key)
        frames = as_int(frames, "frames", 2, MAX_FRAMES)
        mode = as_choice(mode, "mode", list(MODES))
        z0, z1 = self.endpoint(m, start_seed, start_latent), self.endpoint(m, end_seed, end_latent)
        path = interpolate(z0, z1, frames, mode)
        labels = None
        a, b = self.class_index(m, start_class), self.class_index(m, end_class)
        if a is not None:  # morph classes through soft labels: one-hot(a) -> one-hot(b)
            k = len(m.class_names)
            onehot = torch.eye(k)
            labels = torch.lerp(onehot[a][None], onehot[b][None], torch.linspace(0, 1, frames)[:, None])
        images = generate(m.generator, path, labels)
        strip = for_display(make_grid(images, nrow=frames), most=4)
        gif = self.outputs.write(gif_bytes([upscale(img, 8) for img in images]), "interpolation.gif")

        def describe(seed, text):
            return "pasted latent" if text is not None and str(text).strip() else f"seed {int(seed)}"

        cls = f", class {start_class!r} → {end_class!r}" if a is not None else ""
        return strip, gif, (f"{m.key}: {describe(start_seed, start_latent)} → {describe(end_seed, end_latent)}"
                            f"{cls}, {frames} frames, {mode}")

    def model_card(self, key) -> tuple[str, Image.Image]:
        m = self.model(key)
        meta = m.meta
        rows = [("data set", DATASET_TITLES.get(meta["dataset"], meta["dataset"])),
                ("architecture", f"{meta['arch']} (preset `{meta.get('preset', '?')}`), "
                                 f"{meta.get('parameters', 0):,} parameters"),
                ("conditional", "yes: " + ", ".join(m.class_names) if m.class_names else
                 f"no: self-conditioned on {meta['modes']['count']} label-free modes of the pixels" if meta.get("modes")
                 else "no"),
                ("latent size", meta["latent_dim"]),
                ("loss", meta.get("loss", "?")),
                ("training", f"{meta.get('steps', '?')} steps, batch {meta.get('batch_size', '?')}, "
                             f"{meta.get('train_seconds', 0) / 60:.1f} min on {meta.get('device', '?')}"),
                ("file", f"`{m.path.name}`")]
        rows += metric_rows(meta.get("metrics", {}), meta["dataset"])
        table = "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
        grid, _ = self.sample_grid(key, 0, 100 if m.class_names else 64, 1.0, ALL_CLASSES if m.class_names else None)
        return f"**{m.label}**\n\n{table}", grid

