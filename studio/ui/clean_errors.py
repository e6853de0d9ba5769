"""One sentence for every value Gradio itself cannot take, on every endpoint.

Before an action sees its arguments, Gradio checks and converts them in one method,
`Blocks.preprocess_data`: the number of values, files moved into its cache (a path nobody uploaded
is refused there), and each component's own preprocess (a choice that is not in the list, a
number that is text, FileData that is not FileData). Those raise ValueError, pydantic's
ValidationError, InvalidPathError, or gr.Error with the whole value in it. With show_error off, all
but gr.Error reached the visitor as `{"error": null}` with a traceback in the server log (64 of
546 hostile calls in the attack run), and gr.Error echoed a 1,000,000-character choice in full.
`clean_input_errors(demo)` wraps that one method of the one Blocks: each such failure becomes one
short sentence, and one log line of bounded length.

This relies on Gradio internals (the method's name, that it is a coroutine taking
(block_fn, inputs, state, explicit_call)); tests/test_gradio_internals.py fails loudly when an
upgrade changes them.
"""

from __future__ import annotations

import inspect
import logging
import re

import gradio as gr
from gradio.exceptions import InvalidPathError

from ..public_text import public
from ..validation import SHOWN_CHARS, shown

log = logging.getLogger("gan_studio")
MESSAGE_CHARS = 200  # of a component's own message that the visitor sees
UPLOAD_FIRST = ("expected a file uploaded to this page first (with gradio_client, pass handle_file(path)); "
                "got {}")
NOT_A_CHOICE = re.compile(r"^Value: (.*) \(type: [^)]*\) is not in the list of choices: (.*)$", re.S)


def input_sentence(error: Exception, name: str, expected: int, got: list) -> str:
    """What the visitor is told when Gradio could not take the values for endpoint `name`."""
    text = str(error)
    if isinstance(error, gr.Error):
        if choice := NOT_A_CHOICE.match(str(error.message)):  # Gradio repeats the whole value
            value = choice.group(1)
            value = value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS - 5] + "…" + value[-4:]
            return public(f"{value} is not one of the choices {choice.group(2)}")[:MESSAGE_CHARS * 2]
        message = public(str(error.message))
        return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS - 1] + "…"
    if "enough input values" in text or len(got) != expected:
        return f"{name} takes {expected} value(s), got {len(got)}"
    if isinstance(error, InvalidPathError):
        return UPLOAD_FIRST.format("a path this page never received")
    if "FileData" in text:
        value = next((v for v in got if not (isinstance(v, dict) and v.get("meta", {}) == {"_type": "gradio.FileData"})
                      and not isinstance(v, (int, float, str, bool, type(None)))), None)
        return UPLOAD_FIRST.format(shown(value) if value is not None else "another kind of value")
    return f"{name}: a value could not be read ({type(error).__name__})"


def with_trailing_defaults(block_fn, inputs):
    """A call that leaves out trailing parameters gets their defaults, so a parameter added to an
    endpoint later (/sample's critic_keep) does not break the plain-HTTP clients written before it.
    Only plain values are filled in; a left-out file or picture still gets the arity sentence."""
    components = list(getattr(block_fn, "inputs", []) or [])
    if not isinstance(inputs, list) or len(inputs) >= len(components):
        return inputs
    missing = [getattr(c, "value", None) for c in components[len(inputs):]]
    if all(isinstance(v, (int, float, str, bool)) for v in missing):
        return inputs + missing
    return inputs


def clean_input_errors(demo: gr.Blocks) -> None:
    original = demo.preprocess_data
    if not inspect.iscoroutinefunction(original) or \
            list(inspect.signature(original).parameters)[:3] != ["block_fn", "inputs", "state"]:
        raise RuntimeError("Gradio's Blocks.preprocess_data changed: revisit studio/ui/clean_errors.py")

    async def preprocess_data(block_fn, inputs, state, explicit_call=False):
        inputs = with_trailing_defaults(block_fn, inputs)
        try:
            return await original(block_fn, inputs, state, explicit_call)
        except Exception as e:
            name = getattr(block_fn, "api_name", None) or getattr(block_fn, "name", "this action")
            sentence = input_sentence(e, f"/{name}".replace("//", "/"), len(block_fn.inputs), list(inputs or []))
            log.info("refused the values sent to /%s: %s", shown(name), sentence[:MESSAGE_CHARS])
            raise gr.Error(sentence, print_exception=False) from None

    demo.preprocess_data = preprocess_data
