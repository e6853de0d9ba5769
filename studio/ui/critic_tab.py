"""The critic's view: the discriminator's verdict on one picture, and where it looks.

Any picture the page makes can come here: a sample by seed, a latent from the sliders, a drawing
found in the model or an interpolation frame ('Ask the critic' on those tabs), or a real test image
for contrast.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..critic_view import REAL, SAMPLE, SOURCES
from ..validation import MAX_SEED
from .handoff import send_to
from .serving import LenientNumber

EXPLAINED = ("The **critic** is a discriminator fitted to this generator after training: it learned to tell "
             "real pictures from the model's own. Its verdict is a percentile: how many real test pictures, and "
             "how many of the model's samples, it scores lower. Around 50% among real ones: it cannot tell this "
             "picture from real. The map shows where its score is most sensitive to the pixels.")


@dataclass
class CriticTab:
    source: gr.Radio
    seed: gr.Number
    klass: gr.Dropdown
    latent: gr.Textbox
    test_image: gr.Number
    go: gr.Button
    image: gr.Image
    verdict: gr.Textbox

    @property
    def inputs(self) -> list:
        return [self.source, self.seed, self.klass, self.latent, self.test_image]


def build(first_classes: list[str]) -> CriticTab:
    with gr.Tab("The critic", id="critic"):
        gr.Markdown(EXPLAINED)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                source = gr.Radio(list(SOURCES), value=SAMPLE, label="Judge", elem_id="critic-source")
                seed = LenientNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed", elem_id="critic-seed")
                klass = gr.Dropdown(first_classes, value=first_classes[0] if first_classes else None,
                                    allow_custom_value=True, label="Class", visible=bool(first_classes),
                                    elem_id="critic-class")
                latent = gr.Textbox("", label="Latent (optional, replaces the seed)", lines=2, elem_id="critic-latent",
                                    info="'Ask the critic' on Latent sliders, Interpolate or Your drawing puts one here")
                test_image = LenientNumber(0, precision=0, minimum=0, maximum=9999, label="Real test image (0-9999)",
                                           elem_id="critic-test-image")
                go = gr.Button("Ask the critic", variant="primary", elem_id="critic-go")
            with gr.Column(scale=2):
                image = gr.Image(format="png", type="pil", label="The picture, and where the critic looks",
                                 buttons=["download"], elem_id="critic-image")
                verdict = gr.Textbox(label="Verdict", interactive=False, elem_id="critic-verdict")
    return CriticTab(source, seed, klass, latent, test_image, go, image, verdict)


# The other tabs' latent (and class) to the critic, judged there as a sample
ASK_THE_CRITIC = send_to("critic", nothing_yet="make a picture first: its latent is what the critic judges",
                         first=(SAMPLE,))


def wire(page, tab: CriticTab) -> None:
    judge = page.serve(page.studio.critic)
    tab.go.click(judge, [page.model, *tab.inputs], [tab.image, tab.verdict], api_name="critic")
    tab.test_image.submit(lambda: REAL, None, tab.source, api_name=False) \
        .then(judge, [page.model, *tab.inputs], [tab.image, tab.verdict], api_name=False)
    for origin in (page.sliders, page.drawing):
        origin.to_critic.click(ASK_THE_CRITIC, [origin.latent, origin.klass],
                               [tab.source, tab.latent, tab.klass, page.tabs], api_name=False) \
            .success(judge, [page.model, *tab.inputs], [tab.image, tab.verdict], api_name=False)
    interpolate = page.interpolate
    interpolate.to_critic.click(page.serve(page.studio.interpolation_frame),
                                [page.model, *interpolate.inputs, interpolate.frame], [tab.latent, tab.klass],
                                api_name="interpolation_frame") \
        .success(ASK_THE_CRITIC, [tab.latent, tab.klass], [tab.source, tab.latent, tab.klass, page.tabs], api_name=False) \
        .success(judge, [page.model, *tab.inputs], [tab.image, tab.verdict], api_name=False)
