"""Your drawing: bring a person's picture into a model's latent space.

The picture (a canvas drawing, an uploaded file, or a file sent to the API) is read defensively
(gan/data/pictures.py opens only the allow-listed formats, refuses bombs, damaged files and animations
from their header, and reduces it to 512 pixels a side right after decoding), made 28x28 the
way the model's data set was made, and inverted (gan/invert.py): the encoder saved beside the
checkpoint gives the start, a short optimisation the rest. The answer is the image the model can
make that is closest to the picture, its latent as text (what the sliders and interpolation take)
and, for conditional models, the class that fits best.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from gan.checkpoint import image_shape
from gan.data.pictures import MAX_PIXELS, BadPicture, NoInk, model_picture, open_picture, working_copy
from gan.inversion.search import MAX_STEPS, invert
from gan.sampling.images import upscale
from gan.sampling.latents import format_latent
from studio.cancellation import cancelled
from studio.registry import LoadedModel
from studio.validation import InvalidInput, as_int

EMPTY = "draw something first (or upload a picture)"
MAX_PICTURE_MB = 10  # an uploaded picture's file


def read_picture(picture) -> Image.Image:
    """A canvas value (Gradio's editor dict or a PIL image), a file path, or None -> a decoded picture."""
    if isinstance(picture, dict):  # gr.Sketchpad's value: {"background", "layers", "composite"}
        picture = picture.get("composite")
    if picture is None or picture == "":
        raise InvalidInput(EMPTY)
    if isinstance(picture, Image.Image):  # decoded by Gradio (under the limits restrict_pillow set)
        if picture.width * picture.height > MAX_PIXELS:
            raise InvalidInput(f"the picture is {picture.width}x{picture.height}; at most {MAX_PIXELS:,} pixels")
        try:
            return working_copy(picture)
        except BadPicture as e:
            raise InvalidInput(str(e)) from None
    if isinstance(picture, (str, Path)):
        try:
            if Path(picture).stat().st_size > MAX_PICTURE_MB * 2**20:
                raise InvalidInput(f"the picture file is over {MAX_PICTURE_MB} MB")
            return open_picture(picture)
        except BadPicture as e:
            raise InvalidInput(str(e)) from None
        except OSError:
            raise InvalidInput("the picture file could not be read; upload it again") from None
    raise InvalidInput(f"expected a picture (an image file), got {type(picture).__name__}")


def shown_path(path: Path) -> str:
    """Relative to the working folder when inside it, as a person would type it; else only its
    folder and name (a visitor is never told where the server keeps its files)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return f"…/{path.parent.name}/{path.name}"


def find_picture(m: LoadedModel, picture, steps, classifier) -> tuple[Image.Image, Image.Image, str, str, str]:
    """-> (the picture as the model sees it, the closest image the model makes, its latent as text,
    the best class ('' for unconditional models), a line saying what was found and how)."""
    steps = as_int(steps, "steps", 0, MAX_STEPS)
    try:
        target = model_picture(read_picture(picture), m.meta["dataset"], image_shape(m.meta))
    except NoInk:
        raise InvalidInput(f"the picture has no ink: {EMPTY}") from None
    found = invert(m.generator, target, steps, classifier, m.encoder(), should_stop=cancelled)
    class_name = m.class_names[found.label] if found.label is not None else ""
    ranking = ""
    if found.ranking:
        ranking = "; classes, best fit first (pixel distance): " + ", ".join(f"{m.class_names[c]} {d:.3f}" for c, d in found.ranking[:5])
    what = f"class {class_name!r}, " if class_name else ""
    info = (f"{m.key}: {what}distance {found.distance:.3f} (mean pixel difference, 0-1) from {found.start} + "
            f"{steps} steps{ranking}. Same result from the command line: python -m gan.invert "
            f"--checkpoint {shown_path(m.path)} --image your.png --steps {steps}")
    return upscale(target, 10), upscale(found.image, 10), format_latent(found.z), class_name, info

