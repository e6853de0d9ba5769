"""Page parts that run in the visitor's browser (studio/ui/static/*.js, served by studio/explorer_files.py).

`browser_panel` places one: a gr.HTML whose script module is imported when the element mounts, with
the first model's key in the markup; later model changes reach every panel as a `gan-model` event
(ANNOUNCE_MODEL, wired once by the Explore tab).
"""

from __future__ import annotations

import gradio as gr

from ..browser_runtime import VERSION

ANNOUNCE_MODEL = ("(key) => { window.ganModel = key; "
                  "window.dispatchEvent(new CustomEvent('gan-model', {detail: key})); return []; }")


def browser_panel(script: str, first_model: str | None, elem_id: str) -> gr.HTML:
    # Gradio runs js_on_load with `element` bound to the panel's root; the module URL is relative to
    # the page, so the app also works under a path prefix.
    mount = (f"import(new URL('explorer/static/{script}', document.baseURI).href)"
             f".then((m) => m.mount(element, '{VERSION}'))")
    return gr.HTML(first_model or "", html_template='<div data-model="${value}"></div>', js_on_load=mount,
                   elem_id=elem_id, apply_default_css=False)
