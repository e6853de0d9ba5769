"""What a person (or an API client) can do with a loaded generator.

Every action validates its inputs (raising InvalidInput), is deterministic in them, and
returns PIL images plus a one-line description of exactly what produced them, so any
picture on the page can be reproduced from its caption.
"""

from __future__ import annotations

import math
import threading

import torch
from PIL import Image

from gan.checkpoint import image_shape
from gan.evaluation.training_index import closeness_sentence, neighbours_image
from gan.inversion.search import DEFAULT_STEPS
from gan.memory import release_freed_memory
from gan.sampling.images import gif_bytes, grid_size, make_grid, tile_index, upscale
from gan.sampling.latents import format_latent, generate, interpolate, latent_for_seeds, sample
from studio.critic_view import REAL, SAMPLE, judge, kept_by_critic, order_by_critic, real_picture, sample_picture
from studio.critic_view import SOURCES as CRITIC_SOURCES
from studio.drawing import find_picture, read_picture
from studio.metrics import metric_rows
from studio.neighbour_indexes import NeighbourIndexes
from studio.outputs import OutputFiles
from studio.registry import NUM_DIRECTIONS, LoadedModel, ModelRegistry, dataset_title
from studio.validation import (
    MAX_FRAMES,
    MAX_IMAGES,
    MAX_SEED,
    MAX_SLIDER,
    MAX_TRUNCATION,
    InvalidInput,
    as_choice,
    as_float,
    as_int,
    as_number,
    parse_latent,
    shown,
)

ALL_CLASSES = "All classes"
ANY_MODE, ALL_MODES = "Any mode", "All modes"  # self-conditioned models: by frequency, or one column per mode
MODE_STRIP_SEEDS = 4
BASES = ("principal", "raw")
MODES = ("lerp", "slerp")
MIN_CRITIC_KEEP = 0.1  # 10 candidates a picture at most
DISPLAY_WIDTH = 1024  # grids are upscaled (nearest-neighbour) to about this many pixels
STRIP_MOST = 4  # an interpolation strip, at most 4x


def has_latent(latent_text) -> bool:
    """Whether a latent was given as text (it then replaces the seed)."""
    return latent_text is not None and bool(str(latent_text).strip())


def describe_source(seed, latent_text) -> str:
    return "pasted latent" if has_latent(latent_text) else f"seed {int(seed)}"


def display_scale(width: int, most: int = 10) -> int:
    """The largest whole factor (at most `most`) that keeps an image about DISPLAY_WIDTH wide."""
    return max(1, min(most, DISPLAY_WIDTH // width))


def for_display(image: Image.Image, most: int = 10) -> Image.Image:
    scale = display_scale(image.width, most)
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST)


def tile_at(x, y, n: int, ncol: int, tile: tuple[int, int], most: int = 10) -> int:
    """The index of the grid tile under display pixel (x, y) of the grid as the page shows it
    (make_grid's geometry, scaled by for_display(..., most))."""
    scale = display_scale(grid_size(n, ncol, tile)[0], most)
    i = tile_index(as_number(x, "x") / scale, as_number(y, "y") / scale, n, ncol, tile)
    if i is None:
        raise InvalidInput("no image there: click a tile of the grid")
    return i


class Studio:
    def __init__(self, registry: ModelRegistry, outputs: OutputFiles | None = None,
                 indexes: NeighbourIndexes | None = None):
        self.registry = registry
        self.outputs = outputs or OutputFiles()
        self.indexes = indexes or NeighbourIndexes(m.meta["dataset"] for m in registry.models.values())

    def warm_up(self, then=None) -> None:
        """Start-up work, kept off the request path: cached neighbour indexes load now (0.1-0.2 s
        each); missing ones are built in the background (requests meanwhile are told "building"),
        as are the sliders' principal directions (about a second per model), then `then()`."""
        self.indexes.load_cached()
        self.indexes.build_in_background()
        threading.Thread(target=self._compute_directions, args=(then,), name="principal-directions", daemon=True).start()

    def _compute_directions(self, then=None) -> None:
        for m in list(self.registry.models.values()):
            m.directions()
        if then is not None:
            then()
        release_freed_memory()

    # --- lookup helpers ---------------------------------------------------------------

    def model(self, key) -> LoadedModel:
        if not isinstance(key, str) or key not in self.registry.models:
            known = ", ".join(self.registry.models) or "none loaded"
            raise InvalidInput(f"unknown model {shown(key)}; available: {known}")
        return self.registry.models[key]

    def class_index(self, m: LoadedModel, class_name, allow_all: bool = False) -> int | None:
        """None means unconditional (or 'all classes' where allowed)."""
        if not m.class_names:
            return None
        choices = ([ALL_CLASSES] if allow_all else []) + m.class_names
        as_choice(class_name, "class", choices)
        return None if class_name == ALL_CLASSES else m.class_names.index(class_name)

    def sample_choices(self, m: LoadedModel) -> list[str]:
        """What the Sample tab's class picker offers: classes, a self-conditioned model's modes, or nothing."""
        if m.class_names:
            return [ALL_CLASSES, *m.class_names]
        if m.mode_names:
            return [ANY_MODE, ALL_MODES, *m.mode_names]
        return []

    def mode_index(self, m: LoadedModel, name) -> int | None:
        """A mode picked by name; None: every seed keeps its own mode (ANY_MODE, and the 'All classes'
        the page sent before modes could be picked)."""
        if name in (None, ANY_MODE, ALL_CLASSES) or not m.mode_names:
            return None
        return m.mode_names.index(as_choice(name, "mode", [ALL_MODES, *m.mode_names])) if name != ALL_MODES else -1

    @staticmethod
    def mode_latents(m: LoadedModel, seeds, modes) -> torch.Tensor:
        """The seeds' latents with each one's mode put into it (SelfConditioned.in_mode), so the
        latent alone draws a sample of that mode."""
        return m.generator.in_mode(latent_for_seeds(seeds, m.generator.latent_dim), torch.as_tensor(modes, device="cpu"))

    def mode_strip(self, key) -> list[tuple[str, str]]:
        """Each discovered mode of a self-conditioned model: MODE_STRIP_SEEDS samples in a column and a
        caption (its number and share of the data), as (PNG path, caption) for a gallery."""
        m = self.model(key)
        if not m.mode_names:
            return []
        k = len(m.mode_names)
        seeds = list(range(MODE_STRIP_SEEDS)) * k
        images = sample(m.generator, z=self.mode_latents(m, seeds, torch.arange(k, device="cpu").repeat_interleave(MODE_STRIP_SEEDS)))
        column = MODE_STRIP_SEEDS
        return [(self.outputs.png(make_grid(images[i * column:(i + 1) * column], nrow=1, scale=2), f"mode-{i + 1}.png"),
                 f"#{i + 1} · {share:.1%}")  # short enough for a tenth of the page's width
                for i, share in enumerate(m.mode_shares)]

    # --- actions ----------------------------------------------------------------------

    def list_models(self) -> list[dict]:
        return [{"name": m.key, "label": m.label, "dataset": m.meta["dataset"], "arch": m.meta["arch"],
                 "preset": m.meta.get("preset"), "conditional": bool(m.meta["num_classes"]),
                 "classes": m.class_names, "modes": m.mode_names, "latent_dim": m.meta["latent_dim"], "steps": m.meta.get("steps"),
                 "metrics": m.meta.get("metrics", {})} for m in self.registry.models.values()]

    def sample_grid(self, key, seed, n, truncation=1.0, class_name=ALL_CLASSES, critic_keep=1.0) -> tuple[Image.Image, str]:
        """A grid from consecutive seeds; critic_keep < 1 draws n / critic_keep candidates and keeps the
        critic's favourites, class (or mode) by class, and the caption names the kept seeds."""
        m = self.model(key)
        seed = as_int(seed, "seed", 0, MAX_SEED - MAX_IMAGES)
        n = as_int(n, "number of images", 1, MAX_IMAGES)
        truncation = as_float(truncation, "truncation", 0.0, MAX_TRUNCATION)
        keep = as_float(critic_keep, "critic keep", MIN_CRITIC_KEEP, 1.0)
        seeds, labels, ncol = self.grid_tiles(m, seed, n, class_name)
        if keep < 1:
            return self.critic_kept_grid(m, seeds, labels, ncol, truncation, keep)
        if m.mode_names and labels is not None:  # the mode goes into the latent (SelfConditioned.in_mode)
            images = sample(m.generator, z=self.mode_latents(m, seeds, labels), truncation=truncation)
        else:
            images = sample(m.generator, seeds=seeds, labels=labels, truncation=truncation)
        grid = make_grid(images, nrow=ncol)
        everything = ALL_CLASSES if m.class_names else ALL_MODES
        if labels is not None and class_name == everything:  # grid_tiles checked the class
            rows = len(seeds) // ncol
            what = f"seeds {seed}-{seed + rows - 1} (one per row) × all {ncol} {'classes' if m.class_names else 'modes'}"
            which = f"row r uses seed {seed}+r"
            if n != len(seeds):  # whole rows only: say so, or 64 asked and 60 shown reads as a fault
                what = f"{len(seeds)} images ({rows} whole rows of {ncol}; {n} asked), " + what
        else:
            what = f"seeds {seed}-{seed + n - 1}" if n > 1 else f"seed {seed}"
            if labels and m.mode_names:
                what += f", {class_name} ({m.mode_shares[labels[0]]:.1%} of the training images)"
            elif labels:
                what += f", class {class_name!r}"
            which = f"image i uses seed {seed}+i"
        return for_display(grid), f"{m.key}: {what}, truncation {truncation:g} ({which})"

    def critic_kept_grid(self, m: LoadedModel, seeds, labels, ncol, truncation, keep) -> tuple[Image.Image, str]:
        if truncation != 1:
            raise InvalidInput("the critic chooses among untruncated samples: set truncation to 1")
        kept = kept_by_critic(m, seeds[0], len(seeds), labels, keep)
        images = generate(m.generator, kept.z, kept.labels)
        return for_display(make_grid(images, nrow=ncol)), (
            f"{m.key}: the critic kept {len(seeds)} of {kept.candidates} candidates (seeds {seeds[0]}-"
            f"{seeds[0] + kept.candidates - 1}, best {keep:.0%} of each {'class' if m.class_names else 'mode'}"
            f"{'' if labels is not None or m.mode_names else ' (one group)'}); kept seeds in grid order: "
            + ", ".join(map(str, kept.seeds)))

    def sort_by_critic(self, key, seed, n, truncation=1.0, class_name=ALL_CLASSES) -> tuple[Image.Image, str]:
        """The grid sample_grid makes from these inputs, the critic's favourite tile first."""
        m = self.model(key)
        truncation = as_float(truncation, "truncation", 0.0, MAX_TRUNCATION)
        seeds, labels, ncol = self.grid_tiles(m, seed, n, class_name)
        z = (self.mode_latents(m, seeds, labels) if m.mode_names and labels is not None
             else latent_for_seeds(seeds, m.generator.latent_dim)) * truncation
        order = order_by_critic(m, labels if m.class_names else None, z)
        ordered_labels = None if labels is None or not m.class_names else [labels[i] for i in order]
        images = generate(m.generator, z[order], ordered_labels)
        tiles = [f"{seeds[i]}" + (f"/{(m.class_names or m.mode_names)[labels[i]]}" if labels is not None else "")
                 for i in order]
        return for_display(make_grid(images, nrow=ncol)), (
            f"{m.key}: truncation {truncation:g}, sorted by the critic, most realistic first (row by row): "
            + ", ".join(tiles))

    def critic(self, key, source=SAMPLE, seed=0, class_name=None, latent="", test_image=0) -> tuple[Image.Image, str]:
        """The critic's verdict on one picture (percent of real test pictures and of the model's own
        samples it scores lower, real first) and its saliency map. source: a sample (seed, or a pasted
        latent) with its class, or a real test image by index."""
        m = self.model(key)
        source = as_choice(source, "source", list(CRITIC_SOURCES))
        if source == REAL:
            picture, label, what = real_picture(m, test_image)
            return judge(m, picture, label, what)
        label = self.class_index(m, class_name)
        z = self.seed_or_latent(m, seed, latent)
        cls = f", class {class_name!r}" if label is not None else ""
        return judge(m, sample_picture(m, z, label), label, f"{describe_source(seed, latent)}{cls}")

    def grid_tiles(self, m: LoadedModel, seed, n, class_name) -> tuple[list[int], list[int] | None, int]:
        """(seed, label) of each tile of a sample grid, and its columns. 'All classes' on a
        conditional model: one row per seed, one column per class."""
        seed = as_int(seed, "seed", 0, MAX_SEED - MAX_IMAGES)
        n = as_int(n, "number of images", 1, MAX_IMAGES)
        if m.mode_names:
            label = self.mode_index(m, class_name)
            every = label == -1
        else:
            label = self.class_index(m, class_name, allow_all=True)
            every = bool(m.class_names) and label is None
        if every:  # one row per seed, one column per class (or mode)
            k = len(m.class_names or m.mode_names)
            rows = max(1, n // k)
            return [s for s in range(seed, seed + rows) for _ in range(k)], list(range(k)) * rows, k
        return list(range(seed, seed + n)), None if label is None else [label] * n, math.ceil(math.sqrt(n))

    def slider_latent(self, m: LoadedModel, seed, basis, values, base_latent="") -> torch.Tensor:
        basis = as_choice(basis, "basis", list(BASES))
        if len(values) != NUM_DIRECTIONS:
            raise InvalidInput(f"expected {NUM_DIRECTIONS} slider values, got {len(values)}")
        offsets = torch.tensor([as_float(v, f"slider {i + 1}", -MAX_SLIDER, MAX_SLIDER) for i, v in enumerate(values)],
                               device="cpu")
        z = self.seed_or_latent(m, seed, base_latent).clone()
        if basis == "raw":
            z[:NUM_DIRECTIONS] += offsets[: m.generator.latent_dim]
        else:
            z += offsets @ m.directions()
        return z

    def slider_image(self, key, seed, class_name=None, basis="principal", base_latent="",
                     *values) -> tuple[Image.Image, str, str]:
        """`base_latent` (text, optional) replaces the seed's latent: a drawing found by /invert, say."""
        m = self.model(key)
        label = self.class_index(m, class_name)
        z = self.slider_latent(m, seed, basis, values, base_latent)
        image = upscale(generate(m.generator, z[None], label)[0], 10)
        moved = ", ".join(f"{i + 1}: {float(v):+g}" for i, v in enumerate(values) if float(v)) or "none"
        cls = f", class {class_name!r}" if label is not None else ""
        return image, f"{m.key}: {describe_source(seed, base_latent)}{cls}, {basis} sliders moved: {moved}", format_latent(z)

    def seed_or_latent(self, m: LoadedModel, seed, latent_text) -> torch.Tensor:
        if has_latent(latent_text):
            return torch.tensor(parse_latent(latent_text, m.generator.latent_dim), device="cpu")
        return latent_for_seeds([as_int(seed, "seed", 0, MAX_SEED)], m.generator.latent_dim)[0]

    def interpolation(self, m: LoadedModel, start_seed, end_seed, start_class, end_class, frames, mode,
                      start_latent, end_latent) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The latents of an interpolation's frames, and their class weights (a class morph) or None."""
        frames = as_int(frames, "frames", 2, MAX_FRAMES)
        mode = as_choice(mode, "mode", list(MODES))
        z0, z1 = self.seed_or_latent(m, start_seed, start_latent), self.seed_or_latent(m, end_seed, end_latent)
        path = interpolate(z0, z1, frames, mode)
        a, b = self.class_index(m, start_class), self.class_index(m, end_class)
        if a is None:
            return path, None
        onehot = torch.eye(len(m.class_names), device="cpu")  # morph classes through soft labels: one-hot(a) -> one-hot(b)
        return path, torch.lerp(onehot[a][None], onehot[b][None], torch.linspace(0, 1, frames, device="cpu")[:, None])

    def interpolate(self, key, start_seed, end_seed, start_class=None, end_class=None, frames=16, mode="slerp",
                    start_latent="", end_latent="") -> tuple[Image.Image, str, str]:
        m = self.model(key)
        path, labels = self.interpolation(m, start_seed, end_seed, start_class, end_class, frames, mode,
                                          start_latent, end_latent)
        images = generate(m.generator, path, labels)
        strip = for_display(make_grid(images, nrow=len(path)), most=STRIP_MOST)
        gif = self.outputs.write(gif_bytes([upscale(img, 8) for img in images]), "interpolation.gif")

        cls = f", class {start_class!r} → {end_class!r}" if labels is not None else ""
        return strip, gif, (f"{m.key}: {describe_source(start_seed, start_latent)} → {describe_source(end_seed, end_latent)}"
                            f"{cls}, {len(path)} frames, {mode}")

    def interpolation_frame(self, key, start_seed, end_seed, start_class=None, end_class=None, frames=16,
                            mode="slerp", start_latent="", end_latent="", frame=0) -> tuple[str, str | None]:
        """One frame of that interpolation as (its latent as text, its class): what the critic and the
        other tabs take. A frame between two classes goes with the class it is nearer to."""
        m = self.model(key)
        path, labels = self.interpolation(m, start_seed, end_seed, start_class, end_class, frames, mode,
                                          start_latent, end_latent)
        i = as_int(frame, "frame", 0, len(path) - 1)
        return format_latent(path[i]), None if labels is None else m.class_names[int(labels[i].argmax())]

    def strip_frame(self, key, frames, x, y) -> int:
        """The frame under display pixel (x, y) of the strip interpolate() drew with `frames` frames."""
        m = self.model(key)
        frames = as_int(frames, "frames", 2, MAX_FRAMES)
        return tile_at(x, y, frames, frames, image_shape(m.meta)[1:], most=STRIP_MOST)

    def picture_file(self, canvas, uploaded) -> str:
        """The picture to find, as a small PNG of the app's own: the uploaded one (checked, decoded
        and reduced to 512 pixels a side; the upload itself is then no longer needed), else the
        canvas drawing."""
        if uploaded:
            return self.outputs.png(read_picture(uploaded), "picture.png")
        return self.outputs.png(read_picture(canvas).convert("RGBA"), "drawing.png")

    def find_picture(self, key, image, steps=DEFAULT_STEPS) -> tuple[Image.Image, Image.Image, str, str, str]:
        """Your drawing -> (as the model sees it, the closest image it makes, latent text, class, info)."""
        m = self.model(key)
        return find_picture(m, image, steps, self.registry.evaluators(m.meta["dataset"]))

    def neighbours(self, key, seed, class_name=None, truncation=1.0, latent="") -> tuple[Image.Image, str]:
        """The 8 nearest training images (by evaluator features and by pixels) of one picture the
        model makes, and a sentence on how close it is compared with real unseen images.
        `latent` (text, optional) replaces the seed; truncation applies to seeds only."""
        m = self.model(key)
        label = self.class_index(m, class_name)
        truncation = as_float(truncation, "truncation", 0.0, MAX_TRUNCATION)
        index = self.indexes.get(m.meta["dataset"])
        z = self.seed_or_latent(m, seed, latent)
        pasted = has_latent(latent)
        image = generate(m.generator, z[None] * (1.0 if pasted else truncation), label)[0]
        found = index.lookup(image)
        cls = f", class {class_name!r}" if label is not None else ""
        trunc = "" if pasted else f", truncation {truncation:g}"
        return (for_display(neighbours_image(image, found, index.pixels), most=3),
                f"{m.key}: {describe_source(seed, latent)}{cls}{trunc}. {closeness_sentence(found)}")

    def tile_neighbours(self, key, seed, n, truncation, class_name, x, y, critic_keep=1.0) -> tuple[Image.Image, str]:
        """neighbours() of the tile at display pixel (x, y) of the grid sample_grid made with these inputs."""
        m = self.model(key)
        seeds, labels, ncol = self.grid_tiles(m, seed, n, class_name)
        i = tile_at(x, y, len(seeds), ncol, image_shape(m.meta)[1:])
        keep = as_float(critic_keep, "critic keep", MIN_CRITIC_KEEP, 1.0)
        if keep < 1:  # the tile the critic kept there
            kept = kept_by_critic(m, seeds[0], len(seeds), labels, keep)
            label = None if kept.labels is None else m.class_names[int(kept.labels[i])]
            return self.neighbours(key, kept.seeds[i], label, 1.0, format_latent(kept.z[i]) if m.mode_names else "")
        if m.mode_names and labels:  # the tile's latent, with its mode in it, as the grid drew it
            z = self.mode_latents(m, seeds[i:i + 1], labels[i:i + 1])[0]
            return self.neighbours(key, seeds[i], None, 1.0,
                                   format_latent(z * as_float(truncation, "truncation", 0.0, MAX_TRUNCATION)))
        return self.neighbours(key, seeds[i], m.class_names[labels[i]] if labels else None, truncation)

    def model_card(self, key) -> tuple[str, Image.Image]:
        m = self.model(key)
        meta = m.meta
        channels, height, width = image_shape(meta)
        rows = [("data set", dataset_title(meta["dataset"])),
                ("pictures", f"{width}×{height} {'colour' if channels == 3 else 'grey'}"),
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
        table = "| Property | Value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
        grid, _ = self.sample_grid(key, 0, 100 if m.class_names else 64, 1.0, ALL_CLASSES if m.class_names else None)
        return f"**{m.label}**\n\n{table}", grid

