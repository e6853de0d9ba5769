"""Is it copying? The nearest training images of a grid tile, the slider image or a drawing's
reconstruction, below every tab."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .serving import LenientNumber


@dataclass
class NeighboursPanel:
    status: gr.Markdown
    image: gr.Image
    info: gr.Textbox
    no_truncation: gr.Number


def build(studio) -> NeighboursPanel:
    with gr.Accordion("Is it copying? Nearest training images", open=True, elem_id="neighbours-panel"):
        gr.Markdown("Click any tile of a sample grid, or *Nearest training images* under the slider image "
                    "or a drawing's reconstruction: its 8 nearest training images, by what they look like "
                    "(the evaluator's features) and by their raw pixels.")
        status = gr.Markdown(studio.indexes.status(), elem_id="index-status")
        image = gr.Image(format="png", type="pil", label="Nearest training images", buttons=["download"],
                         elem_id="neighbours-image")
        info = gr.Textbox(label="How close", interactive=False, elem_id="neighbours-info")
        no_truncation = LenientNumber(1.0, visible=False, label="Truncation")  # /neighbours takes one
    return NeighboursPanel(status, image, info, no_truncation)


def wire(page, panel: NeighboursPanel) -> None:
    studio, outputs = page.studio, [panel.image, panel.info]
    neighbours = page.serve(studio.neighbours)
    tile = page.serve(studio.tile_neighbours)

    async def on_tile(key, seed, n, truncation, class_name, critic_keep, evt: gr.SelectData):  # served: a coroutine
        return await tile(key, seed, n, truncation, class_name, *evt.index, critic_keep)

    page.sample.grid.select(on_tile, [page.model, *page.sample.inputs], outputs, api_name=False)
    page.sliders.neighbours.click(neighbours, [page.model, page.sliders.seed, page.sliders.klass, panel.no_truncation,
                                               page.sliders.latent], outputs, api_name="neighbours")
    page.drawing.neighbours.click(neighbours, [page.model, page.sliders.seed, page.drawing.klass,
                                               panel.no_truncation, page.drawing.latent], outputs, api_name=False)
    # "index building" until every data set's index is settled: polled only while one is building, and
    # switched on by the page load, so a page opened later polls nothing (an idle page sends no calls)
    timer = gr.Timer(3, active=False)

    def index_status():
        return studio.indexes.status(), gr.Timer(active=not studio.indexes.all_settled())

    timer.tick(index_status, None, [panel.status, timer], api_name=False, show_progress="hidden")
    page.demo.load(index_status, None, [panel.status, timer], api_name=False, show_progress="hidden")
