"""Your drawing: draw or upload a picture, find the closest image the model makes, and send its
latent to the sliders or to either end of an interpolation."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from gan.checkpoint import image_shape

from gan.inversion.search import DEFAULT_STEPS, MAX_STEPS

from ..drawing import MAX_PICTURE_MB
from ..registry import NUM_DIRECTIONS
from .handoff import send_to
from .in_browser import browser_panel
from .serving import BoundedSketchpad, LenientSlider

# The brush ready when the tab opens, so the first stroke draws.
SELECT_BRUSH = ("() => setTimeout(() => { const b = document.querySelector('#drawing-canvas button[aria-label=Brush]'); "
                "if (b && !b.classList.contains('highlight')) b.click(); }, 300)")
# Clearing the sketchpad also drops its tool (Gradio then asks for one): the brush comes back, and
# the live guess (studio/ui/static/drawing_guess.js) forgets the drawing.
AFTER_CLEAR = "() => { window.ganDrawingGuess?.clear(); (" + SELECT_BRUSH + ")(); }"
NO_RESULTS = (None, None, "", "", "")  # seen, found, latent, class, info


@dataclass
class DrawingTab:
    tab: gr.Tab
    canvas: gr.Sketchpad
    uploaded: gr.File
    picture: gr.File
    steps: gr.Slider
    find: gr.Button
    seen: gr.Image
    found: gr.Image
    info: gr.Textbox
    klass: gr.Textbox
    latent: gr.Textbox
    to_sliders: gr.Button
    to_start: gr.Button
    to_end: gr.Button
    neighbours: gr.Button
    to_critic: gr.Button


def build(first_model: str | None) -> DrawingTab:
    with gr.Tab("Your drawing", id="drawing") as tab:
        with gr.Row():
            with gr.Column(scale=0, min_width=420):
                canvas = BoundedSketchpad(type="pil", image_mode="RGBA", canvas_size=(280, 280), fixed_canvas=True,
                                          brush=gr.Brush(default_size=12, colors=["#000000"], color_mode="fixed"),
                                          layers=False, transforms=(), label="Draw a digit (or a piece of clothing)",
                                          elem_id="drawing-canvas")
                uploaded = gr.File(file_types=["image"], type="filepath", elem_id="drawing-upload",
                                   label=f"…or upload a picture (PNG, JPEG, WebP, BMP or GIF; up to {MAX_PICTURE_MB} MB "
                                         "and 4096×4096, any colours)")
                # What is found: the upload or the drawing, as a small PNG of the app's own (the /invert input)
                picture = gr.File(type="filepath", visible=False, label="Picture (PNG, JPEG, WebP, BMP or GIF)")
                steps = LenientSlider(0, MAX_STEPS, DEFAULT_STEPS, step=10, label="Optimisation steps",
                                      info="0: the encoder's first guess (instant); more: closer, slower")
                find = gr.Button("Find in model", variant="primary", elem_id="find-drawing")
            # The encoder's guess and the critic's verdict, redrawn in the browser after every change
            # (studio/ui/static/drawing_guess.js), beside the sketchpad they follow
            with gr.Column(scale=0, min_width=220):
                browser_panel("drawing_guess.js", first_model, "drawing-guess")
            with gr.Column(scale=2):
                with gr.Row():
                    seen = gr.Image(format="png", type="pil", label="Your picture as the model sees it (28×28)",
                                    buttons=[], elem_id="seen-image")
                    found = gr.Image(format="png", type="pil", label="Closest image the model makes",
                                     buttons=["download"], elem_id="found-image")
                info = gr.Textbox(label="Found", interactive=False, elem_id="found-info")
                klass = gr.Textbox(label="Best class", interactive=False, elem_id="found-class")
                latent = gr.Textbox(label="Latent vector", lines=3, interactive=False, elem_id="found-latent")
                with gr.Row():
                    to_sliders = gr.Button("Edit in Latent sliders", elem_id="to-sliders")
                    to_start = gr.Button("Use as interpolation start", elem_id="to-start")
                    to_end = gr.Button("Use as interpolation end", elem_id="to-end")
                    neighbours = gr.Button("Nearest training images", elem_id="found-neighbours")
                    to_critic = gr.Button("Ask the critic", elem_id="found-to-critic")
    return DrawingTab(tab, canvas, uploaded, picture, steps, find, seen, found, info, klass, latent, to_sliders,
                      to_start, to_end, neighbours, to_critic)


def wire(page, tab: DrawingTab) -> None:
    studio = page.studio
    # The most recent of drawing and upload is the one found. Either becomes a small PNG first (the
    # visitor's upload is deleted then), so the page and the /invert endpoint share one path: a file,
    # checked before decoding. Canvas payloads are decoded by Gradio: one at a time.
    tab.canvas.input(None, None, tab.uploaded, api_name=False, js="() => null")  # in the browser: no call per stroke
    # an upload empties the sketchpad (set from here, so it sends no composite): the guess forgets it too
    tab.uploaded.upload(lambda: None, None, tab.canvas, api_name=False, js="() => { window.ganDrawingGuess?.clear(); }")
    tab.tab.select(None, None, None, api_name=False, js=SELECT_BRUSH)
    results = [tab.seen, tab.found, tab.latent, tab.klass, tab.info]
    tab.canvas.clear(lambda: NO_RESULTS, None, results, api_name=False, js=AFTER_CLEAR)

    # Three steps, so that a refusal ("draw something first") is said once, as a message, and never
    # lands as an error badge on the upload box: the picture (a hidden file) is made first, the
    # upload's place then shows its small copy, and only then is it found.
    tab.find.click(page.serve(studio.picture_file, uploaded_args=(1,)), [tab.canvas, tab.uploaded],
                   [tab.picture], api_name=False, concurrency_limit=1) \
        .success(lambda path, uploaded: path if uploaded else None, [tab.picture, tab.uploaded], [tab.uploaded],
                 api_name=False) \
        .success(page.serve(studio.find_picture, uploaded_args=(1,)), [page.model, tab.picture, tab.steps],
                 results, api_name="invert")
    def pad_for(key):
        """The sketchpad is for grey 28 px models (digits, clothes); a colour or 32/64 px model is
        given a picture to upload."""
        m = studio.registry.models.get(key)
        channels, height, width = image_shape(m.meta) if m else (1, 28, 28)
        colour = ", colour" if channels == 3 else ""
        return (gr.update(visible=(channels, height, width) == (1, 28, 28)),
                gr.update(label=f"Your picture as the model sees it ({width}×{height}{colour})"))

    page.on_model_then(pad_for, [], [tab.canvas, tab.seen])
    page.on_load(pad_for, [], [tab.canvas, tab.seen])
    sliders, interpolate = page.sliders, page.interpolate
    tab.to_sliders.click(send_to("sliders", NUM_DIRECTIONS), [tab.latent, tab.klass],
                         [sliders.base_latent, sliders.klass, page.tabs, *sliders.sliders], api_name=False) \
        .success(page.serve(studio.slider_image), [page.model, *sliders.inputs], sliders.outputs, api_name=False)
    tab.to_start.click(send_to("interpolate"), [tab.latent, tab.klass],
                       [interpolate.start_latent, interpolate.start_class, page.tabs], api_name=False)
    tab.to_end.click(send_to("interpolate"), [tab.latent, tab.klass],
                     [interpolate.end_latent, interpolate.end_class, page.tabs], api_name=False)
