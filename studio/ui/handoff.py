"""Buttons that hand a latent (and its class) from one tab to another, and switch to it.

Your drawing, Explore, Latent sliders and Interpolate all send what they show elsewhere: to the
sliders (which are reset to 0), to either end of an interpolation, or to the critic (which is told
to judge a sample). One function makes each such hand-off."""

from __future__ import annotations

import gradio as gr

FIND_FIRST = "find a picture in the model first"


def send_to(tab: str, n_resets: int = 0, nothing_yet: str = FIND_FIRST, first: tuple = ()):
    """(latent, class) -> (*first, latent, class, the tab selected, 0.0 for each of n_resets sliders);
    `nothing_yet`: what to say when there is no latent to send."""
    def handoff(latent, class_name):
        if not latent:
            raise gr.Error(nothing_yet, print_exception=False)
        return (*first, latent, class_name or gr.update(), gr.Tabs(selected=tab)) + (0.0,) * n_resets
    return handoff
