"""Input checks shared by every action: each bad value becomes an InvalidInput with a message
a person can act on. Caps bound the work any single request can ask for."""

from __future__ import annotations

import math
from numbers import Real

MAX_SEED = 2**31 - 1
MAX_IMAGES = 256
MAX_FRAMES = 64
MAX_SLIDER = 10.0
MAX_TRUNCATION = 2.0
MAX_LATENT = 10.0  # per coordinate, for latents pasted as text
LATENT_CHARS_PER_VALUE = 40  # a pasted latent longer than this per number is refused before it is split
SHOWN_CHARS = 60  # how much of a bad value an error message repeats


class InvalidInput(ValueError):
    """A request argument is out of range or of the wrong type."""


def shown(value) -> str:
    """A value as an error message repeats it: its repr, cut short (a 10 MB "model name" must not
    come back in the answer, nor fill the log)."""
    text = repr(value) if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 5] + "…" + text[-4:]


def as_number(value, name: str) -> float:
    if isinstance(value, bool) or value is None:
        raise InvalidInput(f"{name} must be a number, got {shown(value)}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidInput(f"{name} must be a number, got {shown(value)}") from None
    if not isinstance(value, Real):
        raise InvalidInput(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidInput(f"{name} must be finite, got {value}")
    return value


def as_int(value, name: str, lo: int, hi: int) -> int:
    number = as_number(value, name)
    if number != int(number):
        raise InvalidInput(f"{name} must be a whole number, got {number}")
    if not lo <= number <= hi:
        raise InvalidInput(f"{name} must lie in {lo}-{hi}, got {int(number)}")
    return int(number)


def as_float(value, name: str, lo: float, hi: float) -> float:
    number = as_number(value, name)
    if not lo <= number <= hi:
        raise InvalidInput(f"{name} must lie in [{lo}, {hi}], got {number}")
    return number


def as_choice(value, name: str, choices: list[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InvalidInput(f"{name} must be one of {choices}, got {shown(value)}")
    return value


def parse_latent(text, latent_dim: int) -> list[float]:
    """A latent pasted as comma- or space-separated numbers."""
    if not isinstance(text, str):
        raise InvalidInput(f"latent must be text of {latent_dim} numbers")
    if len(text) > LATENT_CHARS_PER_VALUE * latent_dim:
        raise InvalidInput(f"latent must be text of {latent_dim} numbers; got {len(text):,} characters")
    parts = text.replace(",", " ").split()
    if len(parts) != latent_dim:
        raise InvalidInput(f"latent must have {latent_dim} numbers, got {len(parts)}")
    return [as_float(p, "latent value", -MAX_LATENT, MAX_LATENT) for p in parts]
