"""Who can reach the page, and so what it may offer: the access policy, checked before anything loads.

A page is *public* when anyone but this machine's user can open it: it listens on a non-loopback
address, or Gradio's share link makes it reachable through a tunnel while it listens on loopback,
or it runs as a Hugging Face Space or in a hosted notebook (Colab, Kaggle), which are always shared.
Training from the page spends the machine, so on a public page it takes --allow-training and a
login (GAN_AUTH).
"""

from __future__ import annotations

import os

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def hosted_notebook() -> bool:
    """Colab and Kaggle kernels, where Gradio shares every page by default."""
    return bool(os.environ.get("COLAB_RELEASE_TAG") or os.environ.get("KAGGLE_KERNEL_RUN_TYPE"))


def why_public(host: str, share: bool) -> str | None:
    """Why others can reach this page (a phrase), or None when only this machine can."""
    if host not in LOOPBACK:
        return f"this app listens on {host}, not only on this machine"
    if share:
        return "a share link makes this page public"
    if os.environ.get("SPACE_ID"):
        return "this page is a Hugging Face Space"
    if hosted_notebook():
        return "this page runs in a hosted notebook, which shares it"
    return None


def training_allowed(host: str, allow: bool, auth, share: bool = False) -> tuple[bool, str]:
    """(on, why not). On by default for a page only this machine reaches. A public page takes
    --allow-training (GAN_ALLOW_TRAINING=1) and then also a login (GAN_AUTH): a public page must not
    let anyone spend the machine. Allowing it without a login stops the app (SystemExit, exit 1)."""
    reason = why_public(host, share)
    if reason is None:
        return True, ""
    if not allow:
        return False, (f"Training from the page is off: {reason}. Start it with --allow-training "
                       "(or GAN_ALLOW_TRAINING=1) and a login (GAN_AUTH) to turn it on.")
    if not auth:
        raise SystemExit(f"--allow-training on a public page ({reason}) needs GAN_AUTH=user:password; "
                         "refusing to start")
    return True, ""
