"""The whole page: header, model picker and card, the tabs, the neighbours panel.

Each tab module builds its components and wires its own events; this module holds what they
share (the model picker, the tabs, the Server that runs actions) and the events that span tabs:
a model change clears the latents (they belong to one model) and refreshes every class list.
"""

from __future__ import annotations

import gradio as gr

from ..actions import ALL_CLASSES, Studio
from . import critic_tab, drawing_tab, explore_tab, interpolate_tab, neighbours_panel, sample_tab, sliders_tab, train_tab
from .clean_errors import clean_input_errors
from .serving import Server, class_dropdown_update

INTRO = ("# GAN Studio\nGenerative adversarial networks trained on MNIST digits and Fashion-MNIST clothing. "
         "Pick a model, then sample, steer and interpolate. Same inputs, same pixels.")


class Page:
    """What the tab modules share while the page is built."""

    def __init__(self, studio: Studio, server: Server, demo: gr.Blocks):
        self.studio, self.server, self.demo = studio, server, demo
        server.blocks = demo
        self._after_model: list[tuple] = []  # (fn, inputs, outputs) run after a model change
        self._on_load: list[tuple] = []

    def serve(self, fn, uploaded_args: tuple[int, ...] = ()):
        return self.server.serve(fn, uploaded_args)

    def on_model_then(self, fn, inputs, outputs) -> None:
        self._after_model.append((fn, inputs, outputs))

    def on_load(self, fn, inputs, outputs) -> None:
        self._on_load.append((fn, inputs, outputs))


def build_header(page: Page, registry) -> str | None:
    choices = registry.choices()
    gr.Markdown(INTRO)
    if registry.skipped:
        gr.Markdown("**Skipped checkpoints:**\n" + "\n".join(f"- `{f}`: {why}" for f, why in registry.skipped),
                    elem_id="skipped-notice")
    if not choices:
        gr.Markdown(f"**No generator checkpoints found in `{registry.folder.name}/`.** Train one with "
                    "`python -m gan.train` and copy its `generator.safetensors` + `.json` there.")
    first = choices[0][1] if choices else None
    page.model = gr.Dropdown(choices, value=first, label="Model", elem_id="model", allow_custom_value=True)
    with gr.Accordion("Model card", open=False):
        with gr.Row():
            page.card_text = gr.Markdown(elem_id="model-card")
            page.card_image = gr.Image(format="png", type="pil", label="Seeds 0-63", buttons=["download"],
                                       elem_id="card-image")
    return first


def wire_model_change(page: Page) -> None:
    studio = page.studio

    def on_model(key):  # latents belong to one model: the pasted and found ones are cleared
        choices = studio.sample_choices(studio.registry.models[key]) if key in studio.registry.models else []
        return (gr.update(choices=choices, value=choices[0] if choices else ALL_CLASSES, visible=bool(choices)),
                *(class_dropdown_update(studio, key, False, ALL_CLASSES) for _ in range(4)), "", "", "", "", "", "")

    card = page.serve(studio.model_card)
    event = page.model.change(on_model, page.model,
                              [page.sample.klass, page.sliders.klass, page.interpolate.start_class,
                               page.interpolate.end_class, page.critic.klass, page.sliders.base_latent, page.interpolate.start_latent,
                               page.interpolate.end_latent, page.drawing.latent, page.drawing.klass, page.critic.latent],
                              api_name=False) \
        .then(card, page.model, [page.card_text, page.card_image], api_name="model_card")
    for fn, inputs, outputs in page._after_model:
        event = event.then(fn, [page.model, *inputs], outputs, api_name=False)
    return card


def build_app(studio: Studio, server: Server, trainer=None, training_off: str = "Training from the page is off.") \
        -> gr.Blocks:
    registry = studio.registry
    with gr.Blocks(title="GAN Studio", delete_cache=(900, 1800)) as demo:
        page = Page(studio, server, demo)
        first = build_header(page, registry)
        first_classes = registry.models[first].class_names if first else []
        with gr.Tabs() as page.tabs:
            page.sample = sample_tab.build(studio.sample_choices(registry.models[first]) if first else [])
            page.explore = explore_tab.build(first)
            page.sliders = sliders_tab.build(first_classes)
            page.interpolate = interpolate_tab.build(first_classes)
            page.drawing = drawing_tab.build(first)
            page.critic = critic_tab.build(first_classes)
            page.train = train_tab.build(trainer, training_off)
        page.neighbours = neighbours_panel.build(studio)

        sample_tab.wire(page, page.sample)
        sliders_tab.wire(page, page.sliders)
        interpolate_tab.wire(page, page.interpolate)
        drawing_tab.wire(page, page.drawing)
        critic_tab.wire(page, page.critic)
        explore_tab.wire(page, page.explore)
        if page.train is not None:
            train_tab.wire(page, page.train, trainer)
        neighbours_panel.wire(page, page.neighbours)
        card = wire_model_change(page)
        gr.api(studio.list_models, api_name="models")
        if first:
            demo.load(card, page.model, [page.card_text, page.card_image], api_name=False)
            for fn, inputs, outputs in page._on_load:
                demo.load(fn, [page.model, *inputs], outputs, api_name=False)
    clean_input_errors(demo)  # one sentence for any value Gradio itself cannot take
    return demo
