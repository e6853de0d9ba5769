"""Latent sliders: a seed's (or a pasted latent's) image moved along principal or raw directions."""

from __future__ import annotations

import random
from dataclasses import dataclass

import gradio as gr

from ..actions import BASES
from ..registry import NUM_DIRECTIONS
from ..validation import MAX_SEED, MAX_SLIDER
from .serving import LenientNumber, LenientSlider


@dataclass
class SlidersTab:
    seed: gr.Number
    klass: gr.Dropdown
    base_latent: gr.Textbox
    basis: gr.Radio
    sliders: list[gr.Slider]
    randomize: gr.Button
    reset: gr.Button
    image: gr.Image
    info: gr.Textbox
    latent: gr.Textbox
    neighbours: gr.Button
    to_critic: gr.Button

    @property
    def inputs(self) -> list:
        return [self.seed, self.klass, self.basis, self.base_latent, *self.sliders]

    @property
    def outputs(self) -> list:
        return [self.image, self.info, self.latent]


def build(first_classes: list[str]) -> SlidersTab:
    with gr.Tab("Latent sliders", id="sliders"):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                seed = LenientNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="Base seed")
                klass = gr.Dropdown(first_classes, value=first_classes[0] if first_classes else None,
                                    allow_custom_value=True, label="Class", visible=bool(first_classes))
                base_latent = gr.Textbox("", label="Start from a latent (optional, overrides the base seed)",
                                         lines=2, elem_id="slider-base-latent",
                                         info="'Edit on the server' on Explore and 'Edit in Latent sliders' on Your drawing put their latent here")
                basis = gr.Radio(list(BASES), value="principal", label="Slider directions",
                                 info="principal: strongest visual changes (PCA); raw: first latent dims")
                sliders = [LenientSlider(-MAX_SLIDER / 2, MAX_SLIDER / 2, 0.0, step=0.1, label=f"Direction {i + 1}",
                                         elem_id=f"direction-{i + 1}") for i in range(NUM_DIRECTIONS)]
                with gr.Row():
                    randomize = gr.Button("Random seed")
                    reset = gr.Button("Reset sliders", elem_id="reset-sliders")
            with gr.Column(scale=2):
                image = gr.Image(format="png", type="pil", label="Image", buttons=["download"], elem_id="slider-image")
                info = gr.Textbox(label="Produced by", interactive=False)
                latent = gr.Textbox("", label="Latent vector (copy it, or use it as an interpolation start)", lines=3,
                                    interactive=False, elem_id="latent-vector")
                with gr.Row():
                    neighbours = gr.Button("Nearest training images", elem_id="slider-neighbours")
                    to_critic = gr.Button("Ask the critic", elem_id="slider-to-critic")
    return SlidersTab(seed, klass, base_latent, basis, sliders, randomize, reset, image, info, latent, neighbours,
                      to_critic)


def wire(page, tab: SlidersTab) -> None:
    show = page.serve(page.studio.slider_image)
    inputs, outputs = [page.model, *tab.inputs], tab.outputs
    for s in tab.sliders:  # live while dragging; always_last drops stale intermediate positions
        s.input(show, inputs, outputs, api_name=False, trigger_mode="always_last", show_progress="hidden")
    tab.sliders[0].release(show, inputs, outputs, api_name="slider_image", show_progress="hidden")
    for control in (tab.seed, tab.klass, tab.basis):
        control.change(show, inputs, outputs, api_name=False, show_progress="hidden")
    tab.base_latent.blur(show, inputs, outputs, api_name=False, show_progress="hidden")
    tab.randomize.click(lambda: random.randint(0, 1_000_000), None, tab.seed, api_name=False)
    tab.reset.click(lambda: [0.0] * NUM_DIRECTIONS, None, tab.sliders, api_name=False) \
        .then(show, inputs, outputs, api_name=False)
    page.on_model_then(show, tab.inputs, outputs)
    page.on_load(show, tab.inputs, outputs)
