"""The Train tab's recipes: the page's names for gan.train's flags, and how fast each trains here.

Measured in docs/training-live.md (bench/live_recipe.py).
"""

from __future__ import annotations

# The page's names -> gan.train recipes; measured in docs/training-live.md (bench/live_recipe.py).
RECIPES = {"fast (live default)": "fast", "dcgan (the shipped models' recipe)": "dcgan"}


# Training speed before any run on this machine has measured it (2-core AVX512-BF16 EPYC, page idle;
# without native bfloat16 "fast" runs in fp32, at about the dcgan rate).
IMAGES_PER_SECOND = {"fast": 1550, "dcgan": 1000}


def recipe_flags(recipe: str, conditional: bool) -> list[str]:
    """gan.train flags. fast: bfloat16 where the CPU has it, and unconditional models self-condition
    on 40 label-free modes (gan/data/modes.py), which reach clean digits far sooner than plain
    unconditional training (docs/experiments.md)."""
    flags = ["--preset", "dcgan"]
    if recipe == "fast":
        from gan.training.device import cpu_has_native_bf16

        flags += ["--precision", "bf16" if cpu_has_native_bf16() else "fp32"]
        flags += [] if conditional else ["--modes", "40"]
    return flags


BATCH = 64  # the dcgan preset's
