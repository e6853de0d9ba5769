"""Sample: a grid from consecutive seeds, with truncation and a class (or all classes)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import gradio as gr

from ..actions import ALL_CLASSES, MIN_CRITIC_KEEP
from ..validation import MAX_IMAGES, MAX_SEED, MAX_TRUNCATION
from .serving import LenientNumber, LenientSlider


@dataclass
class SampleTab:
    seed: gr.Number
    new_seed: gr.Button
    n: gr.Slider
    truncation: gr.Slider
    klass: gr.Dropdown
    critic_keep: gr.Slider
    go: gr.Button
    sort: gr.Button
    grid: gr.Image
    info: gr.Textbox
    modes: gr.Gallery

    @property
    def inputs(self) -> list:
        return [self.seed, self.n, self.truncation, self.klass, self.critic_keep]


def build(first_choices: list[str]) -> SampleTab:
    with gr.Tab("Sample", id="sample"):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                seed = LenientNumber(0, precision=0, minimum=0, maximum=MAX_SEED - MAX_IMAGES, label="Seed",
                                     elem_id="sample-seed")
                new_seed = gr.Button("New random seed", elem_id="new-seed")
                n = LenientSlider(1, MAX_IMAGES, 64, step=1, label="Images")
                truncation = LenientSlider(0, MAX_TRUNCATION, 1.0, step=0.05, label="Truncation",
                                           info="< 1: cleaner and more typical, > 1: more varied")
                # The value is never empty: /sample's class then has a default that is a valid call.
                klass = gr.Dropdown(first_choices, value=first_choices[0] if first_choices else ALL_CLASSES,
                                    allow_custom_value=True, label="Class or mode", visible=bool(first_choices),
                                    info="'All ...': one row per seed, one column per class (or mode)")
                critic_keep = LenientSlider(MIN_CRITIC_KEEP, 1.0, 1.0, step=0.05, label="Keep by the critic",
                                            elem_id="critic-keep",
                                            info="< 1: draw more, keep the critic's favourites of each class. "
                                                 "Measured: it helps the weak models (keras MLP: FD 31 → 27) "
                                                 "and costs the good ones, whose critics favour odd samples "
                                                 "(docs/critic.md)")
                go = gr.Button("Generate", variant="primary", elem_id="generate")
                sort = gr.Button("Sort this grid by the critic", elem_id="sort-by-critic")
            with gr.Column(scale=3):
                grid = gr.Image(format="png", type="pil", label="Samples", buttons=["download", "fullscreen"],
                                elem_id="sample-image")
                info = gr.Textbox(label="Produced by", interactive=False, elem_id="sample-info")
        # The whole page's width, each column of samples shown whole (a gallery crops to squares by default)
        modes = gr.Gallery(label="Modes this model found in its data without labels (click one to sample it)",
                           columns=10, height="auto", allow_preview=False, visible=False, elem_id="mode-strip",
                           object_fit="contain")
    return SampleTab(seed, new_seed, n, truncation, klass, critic_keep, go, sort, grid, info, modes)


def wire(page, tab: SampleTab) -> None:
    sample = page.serve(page.studio.sample_grid)
    inputs = [page.model, *tab.inputs]
    tab.go.click(sample, inputs, [tab.grid, tab.info], api_name="sample")
    tab.sort.click(page.serve(page.studio.sort_by_critic), inputs[:-1], [tab.grid, tab.info], api_name="sort_by_critic")
    tab.new_seed.click(lambda: random.randint(0, 1_000_000), None, tab.seed, api_name=False) \
        .then(sample, inputs, [tab.grid, tab.info], api_name=False)
    page.on_model_then(sample, tab.inputs, [tab.grid, tab.info])
    page.on_load(sample, tab.inputs, [tab.grid, tab.info])

    def show_modes(key):
        strip = page.studio.mode_strip(key) if key in page.studio.registry.models else []
        return gr.Gallery(value=strip or None, visible=bool(strip))

    def pick_mode(key, evt: gr.SelectData):
        return page.studio.registry.models[key].mode_names[evt.index]

    modes = page.serve(show_modes)
    page.on_model_then(modes, [], tab.modes)
    page.on_load(modes, [], tab.modes)
    tab.modes.select(pick_mode, page.model, tab.klass, api_name=False) \
        .then(sample, inputs, [tab.grid, tab.info], api_name=False)
