"""Interpolate: a strip and a looping GIF between two seeds or pasted latents (and two classes)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..actions import MODES
from ..validation import MAX_FRAMES, MAX_SEED
from .serving import LenientNumber, LenientSlider


@dataclass
class InterpolateTab:
    start_seed: gr.Number
    end_seed: gr.Number
    start_class: gr.Dropdown
    end_class: gr.Dropdown
    start_latent: gr.Textbox
    end_latent: gr.Textbox
    use_slider: gr.Button
    frames: gr.Slider
    mode: gr.Radio
    go: gr.Button
    strip: gr.Image
    gif: gr.Image
    info: gr.Textbox
    frame: gr.Number
    to_critic: gr.Button

    @property
    def inputs(self) -> list:
        return [self.start_seed, self.end_seed, self.start_class, self.end_class, self.frames, self.mode,
                self.start_latent, self.end_latent]


def build(first_classes: list[str]) -> InterpolateTab:
    with gr.Tab("Interpolate", id="interpolate"):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                with gr.Row():
                    start_seed = LenientNumber(1, precision=0, minimum=0, maximum=MAX_SEED, label="Start seed")
                    end_seed = LenientNumber(2, precision=0, minimum=0, maximum=MAX_SEED, label="End seed")
                with gr.Row():
                    start_class = gr.Dropdown(first_classes, value=first_classes[0] if first_classes else None,
                                              allow_custom_value=True, label="Start class", visible=bool(first_classes))
                    end_class = gr.Dropdown(first_classes, value=first_classes[-1] if first_classes else None,
                                            allow_custom_value=True, label="End class", visible=bool(first_classes))
                start_latent = gr.Textbox("", label="Start latent (optional, overrides start seed)", lines=2,
                                          elem_id="start-latent")
                end_latent = gr.Textbox("", label="End latent (optional, overrides end seed)", lines=2,
                                        elem_id="end-latent")
                use_slider = gr.Button("Use current slider vector as start")
                frames = LenientSlider(2, MAX_FRAMES, 16, step=1, label="Frames")
                mode = gr.Radio(list(MODES), value="slerp", label="Path",
                                info="slerp keeps latents at a typical length: crisper middle frames")
                go = gr.Button("Interpolate", variant="primary", elem_id="interpolate-go")
            with gr.Column(scale=2):
                strip = gr.Image(format="png", type="pil", label="Strip", buttons=["download"], elem_id="strip-image")
                gif = gr.Image(type="filepath", label="Animation (GIF)", buttons=["download"], elem_id="gif-image")
                info = gr.Textbox(label="Produced by", interactive=False)
                with gr.Row(equal_height=True):
                    frame = LenientNumber(0, precision=0, minimum=0, maximum=MAX_FRAMES - 1, elem_id="interp-frame",
                                          label="Frame (0 = start; click one in the strip)")
                    to_critic = gr.Button("Ask the critic about this frame", elem_id="interp-to-critic")
    return InterpolateTab(start_seed, end_seed, start_class, end_class, start_latent, end_latent, use_slider, frames,
                          mode, go, strip, gif, info, frame, to_critic)



def wire(page, tab: InterpolateTab) -> None:
    tab.use_slider.click(lambda text: text, page.sliders.latent, tab.start_latent, api_name=False)
    tab.go.click(page.serve(page.studio.interpolate), [page.model, *tab.inputs], [tab.strip, tab.gif, tab.info],
                 api_name="interpolate")
    strip_frame = page.serve(page.studio.strip_frame)

    async def on_strip(key, frames, evt: gr.SelectData):  # served: a coroutine
        return await strip_frame(key, frames, *evt.index)

    tab.strip.select(on_strip, [page.model, tab.frames], tab.frame, api_name=False)
