"""The Train tab's recipes: the page's names for gan.train's flags, and how fast each trains here.

Measured in docs/training-live.md and docs/performance.md (bench/live_recipe.py).
"""

from __future__ import annotations

from gan.models import PRESETS

# The page's names -> gan.train recipes; measured in docs/training-live.md (bench/live_recipe.py).
RECIPES = {"fast (live default)": "fast", "dcgan (the shipped models' recipe)": "dcgan"}


# Training speed before any run on this machine has measured it (2-core AVX512-BF16 EPYC, page idle;
# without native bfloat16 "fast" runs in fp32, at about the dcgan rate).
IMAGES_PER_SECOND = {"fast": 1550, "dcgan": 1000}

# The unconditional fast recipe takes steps of 32 images: on two cores a step of 32 costs a little
# over half of one of 64, and within 3 minutes the extra updates matter more than their size
# (FD 12.0 -> 9.7 at 2.7 minutes; docs/performance.md, bench/live_recipe.py --candidates fast-b64 fast).
FAST_UNCONDITIONAL_BATCH = 32


def recipe_batch(recipe: str, conditional: bool) -> int:
    """Images per training step of a recipe."""
    if recipe == "fast" and not conditional:
        return FAST_UNCONDITIONAL_BATCH
    return PRESETS["dcgan"].batch_size


def recipe_flags(recipe: str, conditional: bool) -> list[str]:
    """gan.train flags. fast: bfloat16 where the CPU has it, and unconditional models self-condition
    on 40 label-free modes (gan/data/modes.py), which reach clean digits far sooner than plain
    unconditional training (docs/experiments.md), in smaller steps."""
    flags = ["--preset", "dcgan"]
    if recipe == "fast":
        from gan.training.device import cpu_has_native_bf16

        flags += ["--precision", "bf16" if cpu_has_native_bf16() else "fp32"]
        flags += [] if conditional else ["--modes", "40"]
    batch = recipe_batch(recipe, conditional)
    return flags + ([] if batch == PRESETS["dcgan"].batch_size else ["--batch-size", str(batch)])


def command_batch(command: list[str]) -> int:
    """Images per step of a gan.train command line the Train tab started."""
    return int(command[command.index("--batch-size") + 1]) if "--batch-size" in command else PRESETS["dcgan"].batch_size
