"""Train: a live run on MNIST, Fashion-MNIST or a visitor's .zip, watched as it goes
(studio/training.py runs it in its own process)."""

from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr

from .. import tug_of_war
from ..recipes import RECIPES
from ..training import DATA_CHOICES, DEFAULT_PICTURES, PICTURE_CHOICES, RunStatus
from ..uploads import MIN_IMAGES
from .serving import LenientNumber, LenientSlider, who_is


@dataclass
class TrainTab:
    data: gr.Radio
    zip: gr.File
    pictures: gr.Radio
    recipe: gr.Radio
    conditional: gr.Checkbox
    steps: gr.Slider
    estimate: gr.Markdown
    limit: gr.Number
    start: gr.Button
    stop: gr.Button
    resume: gr.Button
    message: gr.Textbox
    progress: gr.HTML
    grid: gr.Image
    losses: gr.LinePlot
    tug: gr.LinePlot
    film: gr.Slider


def build(trainer, training_off: str) -> TrainTab | None:
    with gr.Tab("Train", id="train"):
        if trainer is None:
            gr.Markdown(training_off, elem_id="train-off")
            return None
        upload_mb = trainer.limits.upload.zip_mb
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                data = gr.Radio(list(DATA_CHOICES), value=next(iter(DATA_CHOICES)), label="Data", elem_id="train-data")
                zip_file = gr.File(file_types=[".zip"], type="filepath", elem_id="train-zip",
                                   label=f"Your images: a .zip (up to {upload_mb} MB) of at least {MIN_IMAGES} "
                                         "PNG/JPEG/WebP pictures, sub-folders = classes")
                pictures = gr.Radio(list(PICTURE_CHOICES), value=DEFAULT_PICTURES, elem_id="train-pictures",
                                    label="Your images become (centre square, resized; transparency on white)")
                recipe = gr.Radio(list(RECIPES), value=next(iter(RECIPES)), label="Recipe", elem_id="train-recipe")
                conditional = gr.Checkbox(False, label="Conditional (one model, pick the class)")
                steps = LenientSlider(50, trainer.limits.max_steps, 2000, step=50, label="Steps", elem_id="train-steps")
                estimate = gr.Markdown(elem_id="train-estimate")
                limit = LenientNumber(0, precision=0, minimum=0, label=f"Use only the first N images (0: all; "
                                      f"at least {MIN_IMAGES})", elem_id="train-limit")
                with gr.Row():
                    start = gr.Button("Start", variant="primary", elem_id="train-start")
                    # live only when they can act: Stop while a run goes, Resume after one stopped or crashed
                    stop = gr.Button("Stop", variant="stop", elem_id="train-stop", interactive=False)
                    resume = gr.Button("Resume", elem_id="train-resume", interactive=False)
                message = gr.Textbox(label="Run", interactive=False, elem_id="train-message")
            with gr.Column(scale=2):
                progress = gr.HTML(elem_id="train-progress")
                with gr.Row():
                    grid = gr.Image(type="filepath", label="Fixed latents, as the run goes", elem_id="train-grid")
                    losses = gr.LinePlot(x="step", y="loss", color="series", label="Losses", elem_id="train-losses")
                tug = gr.LinePlot(x="step", y="score", color="series", elem_id="train-tug",
                                  label="The tug of war: D's scores on real and generated pictures (10%, median, 90%)")
                film = gr.Slider(0, 1, 0, step=1, label="Film strip: earlier grids", elem_id="train-film")
    return TrainTab(data, zip_file, pictures, recipe, conditional, steps, estimate, limit, start, stop, resume, message,
                    progress, grid, losses, tug, film)


def wire(page, tab: TrainTab, trainer) -> None:
    registry = page.studio.registry
    timer = gr.Timer(2, active=False)
    following = gr.State(True)  # per visitor: show the newest grid, until the film strip is moved back

    def show(film_value=0, follow=True):
        """Everything the tab shows, from the run's files."""
        status = trainer.status()
        last = max(0, len(status.grids) - 1)
        at = last if follow else min(int(film_value or 0), last)
        grid_path = str(status.grids[at]) if status.grids else None
        running = status.state in ("running", "evaluating", "preparing")
        picker = gr.Dropdown(choices=registry.choices()) if status.model_key else gr.update()
        return (status.message, progress_html(status), grid_path, loss_rows(status), score_rows(status),
                gr.Slider(maximum=max(last, 1), value=at), gr.Timer(active=running), picker,
                gr.Button(interactive=status.state == "running"),
                gr.Button(interactive=status.state in ("stopped", "crashed")))

    def on_film(film_value):  # moved to the end: follow the run again
        return (*show(film_value, False), film_value >= len(trainer.status().grids) - 1)

    shown = [tab.message, tab.progress, tab.grid, tab.losses, tab.tug, tab.film, timer, page.model, tab.stop, tab.resume]

    def on_start(data, recipe, conditional, steps, images_zip, limit, pictures, request: gr.Request):  # API names
        return trainer.start(data, recipe, conditional, steps, images_zip, who_is(request), limit, pictures)

    def on_resume(request: gr.Request):
        return trainer.resume(who_is(request))

    # The zip is deleted once Start has used it (unpacked, or refused), so the file box is emptied too.
    start = tab.start.click(page.serve(on_start, uploaded_args=(4,)),
                            [tab.data, tab.recipe, tab.conditional, tab.steps, tab.zip, tab.limit, tab.pictures],
                            tab.message,
                            api_name="train_start")
    start.then(lambda: None, None, tab.zip, api_name=False)
    start.success(show, None, shown, api_name=False)
    tab.stop.click(page.serve(trainer.stop), None, tab.message, api_name="train_stop") \
        .success(show, None, shown, api_name=False)
    tab.resume.click(page.serve(on_resume), None, tab.message, api_name="train_resume") \
        .success(show, None, shown, api_name=False)
    timer.tick(show, [tab.film, following], shown, api_name=False, show_progress="hidden")
    tab.film.release(on_film, tab.film, shown + [following], api_name=False, show_progress="hidden")
    gr.api(trainer.summary, api_name="train_status")

    def on_estimate(recipe_name, steps_value, conditional):
        minutes = trainer.estimate_minutes(recipe_name, steps_value, conditional)
        return f"≈ {minutes:.1f} min of training on this machine"

    estimate = page.serve(on_estimate)
    for control in (tab.recipe, tab.steps, tab.conditional):
        control.change(estimate, [tab.recipe, tab.steps, tab.conditional], tab.estimate, api_name=False)
    page.demo.load(estimate, [tab.recipe, tab.steps, tab.conditional], tab.estimate, api_name=False)
    page.demo.load(show, None, shown, api_name=False)  # re-attach: a reopened page shows the run going on
    # models trained from the page since the app started: the page's own list is from start-up
    page.demo.load(lambda: gr.Dropdown(choices=registry.choices()), None, page.model, api_name=False)


def progress_html(status: RunStatus) -> str:
    if not status.steps:
        return ""
    left = f", about {status.seconds_left / 60:.1f} min left" if status.seconds_left and status.state == "running" else ""
    alarm = tug_of_war.warning(status.log_rows)
    return (f"<progress value='{status.step}' max='{status.steps}' style='width:100%'></progress>"
            f"<div>step {status.step:,} / {status.steps:,} · {status.img_per_s:,.0f} img/s{left}</div>"
            + (f"<div id='train-warning'><b>⚠ {html.escape(alarm)}</b></div>" if alarm else ""))


def loss_rows(status: RunStatus):
    """The losses in long format (step, loss, series) as the DataFrame gr.LinePlot takes."""
    import pandas as pd  # Gradio's own dependency

    rows = [(row["step"], row[key], name) for row in status.log_rows
            for key, name in (("loss_d", "D loss"), ("loss_g", "G loss"))]
    return pd.DataFrame(rows, columns=["step", "loss", "series"])


def score_rows(status: RunStatus):
    import pandas as pd

    return pd.DataFrame(tug_of_war.score_rows(status.log_rows), columns=["step", "score", "series"])
