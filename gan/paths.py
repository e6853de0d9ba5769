"""Where the project's folders are, from a source checkout or from an installed wheel alike.

- **Checkpoints**: `GAN_CHECKPOINTS` (the app's `--checkpoints` sets it too), else the checkout's
  `checkpoints/`, else the copy a wheel installs (the `gan_studio_checkpoints` package data).
- **Evaluators**: `evaluators/` inside that checkpoint folder, so one setting points the app and
  every command (evaluate, neighbours, classifier, the Train tab's quick evaluation) at both; a
  folder without one (your own runs/) uses the shipped evaluators.
- **Runs from the page**: the checkout's `runs/`, else `./runs`.
- **Downloaded data sets**: the checkout's `data/`, else the user's cache folder (never the
  install's site-packages).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGED_CHECKPOINTS = "gan_studio_checkpoints"


def source_root() -> Path | None:
    """The checkout this code runs from, or None for an installed wheel."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "gan").is_dir() else None


def checkpoints_dir() -> Path:
    if os.environ.get("GAN_CHECKPOINTS"):
        return Path(os.environ["GAN_CHECKPOINTS"])
    return shipped_checkpoints_dir()


def shipped_checkpoints_dir() -> Path:
    """The models that come with the project: the checkout's, or the wheel's copy."""
    root = source_root()
    if root is not None:
        return root / "checkpoints"
    from importlib.util import find_spec

    spec = find_spec(PACKAGED_CHECKPOINTS)  # a folder of data, no code: a namespace package
    if spec is None or not spec.submodule_search_locations:  # a wheel built without its models
        return Path("checkpoints")
    return Path(list(spec.submodule_search_locations)[0])


def evaluators_dir() -> Path:
    """evaluators/ in the checkpoint folder; a folder of one's own models without evaluators of its
    own (e.g. runs/) uses the shipped ones."""
    chosen = checkpoints_dir() / "evaluators"
    return chosen if chosen.is_dir() else shipped_checkpoints_dir() / "evaluators"


def runs_dir() -> Path:
    """Where runs started from the page go by default: the checkout's runs/, else ./runs."""
    root = source_root()
    return root / "runs" if root is not None else Path("runs").resolve()


def downloads_dir() -> Path:
    from gan.fileio import cache_dir

    root = source_root()
    return root / "data" if root is not None else cache_dir() / "data"
