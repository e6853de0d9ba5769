"""What the critic says of a picture on the page: its verdict, where it looks, and a grid in its order.

Any picture the page shows can be judged: a sample by seed (or by a latent pasted from the sliders,
a drawing found by inversion, or an interpolation frame), and, for contrast, a real test image.
The picture and its label go to the model's critic (gan/judging/), whose verdict reads as two
percentiles and whose SmoothGrad map is laid over the picture.
"""

from __future__ import annotations

import functools

import torch
from PIL import Image

from gan.data import training_sets
from gan.data.idx import DataError, to_model_range
from gan.judging.fit import generated
from gan.judging.selection import RULES, keep_by_critic
from gan.judging.verdict import Critic, saliency_picture
from gan.sampling.latents import to_uint8
from studio.registry import LoadedModel
from studio.validation import InvalidInput, as_choice, as_int

SAMPLE, REAL = "a sample (seed or latent)", "a real test image"
SOURCES = (SAMPLE, REAL)


def critic_of(m: LoadedModel) -> Critic:
    critic = m.critic()
    if critic is None:
        raise InvalidInput(f"{m.key} has no critic yet; fit one with: python -m gan.critic fit --checkpoint {m.path.name}")
    return critic


@functools.lru_cache(maxsize=2)
def test_split(dataset: str) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        test = training_sets.load(dataset, "test", allow_download=False)
        return test.images, test.labels
    except DataError:
        raise InvalidInput(f"the real test images of {training_sets.short_name(dataset)!r} are not on this server") from None


def real_picture(m: LoadedModel, index) -> tuple[torch.Tensor, int, str]:
    """(picture in [-1, 1], its label, what it is) of test image `index`."""
    images, labels = test_split(m.meta["dataset"])
    i = as_int(index, "test image", 0, len(images) - 1)
    label = int(labels[i])
    name = m.meta["class_names"][label] if label < len(m.meta.get("class_names", [])) else str(label)
    return to_model_range(images[i:i + 1], (-1.0, 1.0)), label, f"real test image {i} (a {name!r})"


def judge(m: LoadedModel, picture: torch.Tensor, label: int | None, what: str) -> tuple[Image.Image, str]:
    """The picture and its saliency map side by side, and the verdict as a sentence."""
    critic = critic_of(m)
    label = label if critic.num_classes else None
    verdict = critic.verdicts(picture, None if label is None else [label])[0]
    heat = critic.saliency(picture, label)
    shown = saliency_picture(to_uint8(picture)[0], heat)
    return shown, f"{m.key}: {what}. {verdict.sentence()} Right: where it looks (SmoothGrad of its score)."


def sample_picture(m: LoadedModel, z: torch.Tensor, label: int | None) -> torch.Tensor:
    return generated(m.generator, z[None], None if label is None else torch.tensor([label], device="cpu"))


def order_by_critic(m: LoadedModel, labels: list[int] | None, z: torch.Tensor) -> list[int]:
    """Tile indices, the critic's favourite first."""
    critic = critic_of(m)
    y = None if labels is None or not critic.num_classes else torch.tensor(labels, device="cpu")
    pictures = generated(m.generator, z, torch.tensor(labels, device="cpu") if labels is not None and m.class_names else None)
    return torch.argsort(critic.scores(pictures, y), descending=True, stable=True).tolist()


def kept_by_critic(m: LoadedModel, seed: int, n: int, labels: list[int] | None, keep: float, rule: str = "top"):
    """keep_by_critic for a Sample grid: labels are classes (conditional) or modes (self-conditioned)."""
    critic = critic_of(m)
    as_choice(rule, "critic rule", list(RULES))
    y = None if labels is None else torch.tensor(labels, device="cpu")
    return keep_by_critic(m.generator, critic.net, critic.tables, seed, n, keep, rule,
                          labels=y if m.class_names else None, modes=y if m.mode_names else None)
