"""Explore (runs in your browser): the generator runs in the visitor's browser (onnxruntime-web,
studio/ui/static/explorer.js), so dragging a slider or the 2-D pad redraws at display rate and sends
nothing to the server. This module places the explorer on the page and wires the buttons that hand
its latent to the server tabs (where PNG and GIF downloads are)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..registry import NUM_DIRECTIONS
from .handoff import send_to
from .in_browser import ANNOUNCE_MODEL, browser_panel

# With the explorer not running (no WebAssembly, or still loading) there is no latent to hand over.
NO_EXPLORER = ("the in-browser explorer is not running, so it has no latent to send: "
               "use the Latent sliders and Interpolate tabs directly")
EXPLORER_STATE = "() => { const e = window.ganExplorer; return e && e.meta ? [e.$('.ge-latent').value, e.className()] : ['', '']; }"


@dataclass
class ExploreTab:
    panel: gr.HTML
    latent: gr.Textbox
    klass: gr.Textbox
    to_sliders: gr.Button
    to_start: gr.Button
    to_end: gr.Button


def build(first_model: str | None) -> ExploreTab:
    with gr.Tab("Explore (runs in your browser)", id="explore"):
        panel = browser_panel("explorer.js", first_model, "explorer")
        latent = gr.Textbox(visible=False)
        klass = gr.Textbox(visible=False)
        with gr.Row():
            to_sliders = gr.Button("Edit on the server (Latent sliders)", elem_id="explore-to-sliders")
            to_start = gr.Button("Use as interpolation start", elem_id="explore-to-start")
            to_end = gr.Button("Use as interpolation end", elem_id="explore-to-end")
    return ExploreTab(panel, latent, klass, to_sliders, to_start, to_end)


def wire(page, tab: ExploreTab) -> None:
    # every model change tells the in-browser parts (explorer, drawing guess) which model to load
    page.model.change(None, page.model, None, js=ANNOUNCE_MODEL, api_name=False)
    sliders, interpolate = page.sliders, page.interpolate
    serve_sliders = page.serve(page.studio.slider_image)
    tab.to_sliders.click(send_to("sliders", NUM_DIRECTIONS, NO_EXPLORER), [tab.latent, tab.klass],
                         [sliders.base_latent, sliders.klass, page.tabs, *sliders.sliders], api_name=False,
                         js=EXPLORER_STATE) \
        .success(serve_sliders, [page.model, *sliders.inputs], sliders.outputs, api_name=False)
    tab.to_start.click(send_to("interpolate", 0, NO_EXPLORER), [tab.latent, tab.klass],
                       [interpolate.start_latent, interpolate.start_class, page.tabs], api_name=False, js=EXPLORER_STATE)
    tab.to_end.click(send_to("interpolate", 0, NO_EXPLORER), [tab.latent, tab.klass],
                     [interpolate.end_latent, interpolate.end_class, page.tabs], api_name=False, js=EXPLORER_STATE)
