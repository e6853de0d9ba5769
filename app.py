"""GAN Studio: a Gradio page over the generator checkpoints in `checkpoints/`.

    python app.py                               # http://127.0.0.1:7860
    python app.py --checkpoints runs/ --port 8000

Tabs: Sample (grids from seeds), Latent sliders (principal directions or raw dims),
Interpolate (strip + GIF, class morphs for conditional models), Your drawing (find a picture in
the model, then edit or morph it). Every action is also a named API endpoint: /models,
/model_card, /sample, /slider_image, /interpolate, /invert.

Configuration (flags win over environment variables):
  GAN_CHECKPOINTS      checkpoint folder (default: checkpoints/ beside this file)
  GRADIO_SERVER_NAME   bind address (default 127.0.0.1; the container sets 0.0.0.0)
  GRADIO_SERVER_PORT   port (default 7860)
  GAN_CONCURRENCY      requests computed at once (default 2, one per CPU core here)
  GAN_QUEUE_SIZE       requests allowed to wait before new ones are refused (default 64)
  GAN_AUTH             "user:password" turns on basic auth
  GAN_ALLOW_TRAINING   1: the Train tab also on a non-loopback address (needs GAN_AUTH)
  GAN_RUNS_DIR         where runs started from the page are written (default: runs/ beside this file)
  GAN_MAX_STEPS, GAN_RUNS_MB, GAN_UPLOAD_MB, GAN_MAX_IMAGES   Train tab caps (see README)
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr

from gan.invert import DEFAULT_STEPS, MAX_STEPS
from studio.actions import ALL_CLASSES, BASES, MODES, Studio
from studio.outputs import OutputFiles
from studio.registry import NUM_DIRECTIONS, ModelRegistry
from studio.training import DATASETS, RECIPES, LiveTraining, TrainingLimits, loss_rows, progress_html, training_allowed
from studio.uploads import UploadLimits
from studio.validation import MAX_FRAMES, MAX_IMAGES, MAX_SEED, MAX_SLIDER, MAX_TRUNCATION, InvalidInput

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("gan_studio")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {value!r}") from None


def auth_from_env() -> tuple[str, str] | None:
    """GAN_AUTH as (user, password). A value that is set but malformed stops the app: starting
    it without the login the deployer asked for would expose the page."""
    value = os.environ.get("GAN_AUTH", "")
    if not value:
        return None
    user, _, password = value.partition(":")
    if not user or not password:
        raise SystemExit("GAN_AUTH must be user:password (both non-empty); refusing to start without the login")
    return user, password


def served(fn, inference: ThreadPoolExecutor, outputs: OutputFiles):
    """Run an action on the inference threads; hand its images to Gradio as write-once files
    (studio/outputs.py: identical requests at once must not rewrite each other's files);
    show validation failures as a clean gr.Error."""
    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return outputs.as_files(inference.submit(fn, *args).result())
        except InvalidInput as e:
            raise gr.Error(str(e), print_exception=False) from None
    return wrapper


def class_dropdown_update(studio: Studio, key, allow_all: bool):
    m = studio.registry.models.get(key)
    names = m.class_names if m else []
    choices = ([ALL_CLASSES] if allow_all else []) + names
    return gr.update(choices=choices, value=choices[0] if choices else None, visible=bool(names))


def who_is(request: gr.Request | None) -> str:
    if request is None:
        return "someone"
    return request.username or (request.client.host if request.client else "someone")


def build_app(studio: Studio, workers: int = 2, trainer: LiveTraining | None = None,
              training_off: str = "Training from the page is off.") -> gr.Blocks:
    registry = studio.registry
    # Inference runs on `workers` long-lived threads. Gradio hands requests to a pool of up to 40
    # worker threads that come and go, and every thread that runs torch grows the process by its
    # own allocator arena and thread-local caches (bench/inference_threads.py: ~1.3 GB and creeping
    # with 40 threads, a flat ~0.5 GB with 2). Gradio's threads only wait on these.
    inference = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inference")

    def user_errors(fn):
        return served(fn, inference, studio.outputs)

    choices = registry.choices()
    first = choices[0][1] if choices else None
    first_classes = registry.models[first].class_names if first else []

    with gr.Blocks(title="GAN Studio", delete_cache=(1800, 3600)) as demo:
        gr.Markdown("# GAN Studio\nGenerative adversarial networks trained on MNIST digits and Fashion-MNIST "
                    "clothing. Pick a model, then sample, steer and interpolate. Same inputs, same pixels.")
        if registry.skipped:
            gr.Markdown("**Skipped checkpoints:**\n" + "\n".join(f"- `{f}`: {why}" for f, why in registry.skipped),
                        elem_id="skipped-notice")
        if not choices:
            gr.Markdown(f"**No generator checkpoints found in `{registry.folder}`.** Train one with "
                        "`python -m gan.train` and copy its `generator.safetensors` + `.json` there.")
        model = gr.Dropdown(choices, value=first, label="Model", elem_id="model", allow_custom_value=True)
        with gr.Accordion("Model card", open=False):
            with gr.Row():
                card_text = gr.Markdown()
                card_image = gr.Image(format="png", type="pil", label="Seeds 0-63", buttons=["download"],
                                      elem_id="card-image")

        with gr.Tabs() as tabs:
            with gr.Tab("Sample", id="sample"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=260):
                        seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED - MAX_IMAGES, label="Seed",
                                         elem_id="sample-seed")
                        new_seed = gr.Button("New random seed", elem_id="new-seed")
                        n = gr.Slider(1, MAX_IMAGES, 64, step=1, label="Images")
                        truncation = gr.Slider(0, MAX_TRUNCATION, 1.0, step=0.05, label="Truncation",
                                               info="< 1: cleaner and more typical, > 1: more varied")
                        sample_class = gr.Dropdown([ALL_CLASSES] + first_classes, value=ALL_CLASSES, allow_custom_value=True, label="Class",
                                                   visible=bool(first_classes),
                                                   info="'All classes': one row per seed, one column per class")
                        go = gr.Button("Generate", variant="primary", elem_id="generate")
                    with gr.Column(scale=3):
                        grid = gr.Image(format="png", type="pil", label="Samples", buttons=["download", "fullscreen"],
                                        elem_id="sample-image")
                        grid_info = gr.Textbox(label="Produced by", interactive=False, elem_id="sample-info")

            with gr.Tab("Latent sliders", id="sliders"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=260):
                        slider_seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Base seed")
                        slider_class = gr.Dropdown(first_classes, value=first_classes[0] if first_classes else None,
                                                   allow_custom_value=True, label="Class", visible=bool(first_classes))
                        base_latent = gr.Textbox("", label="Start from a latent (optional, overrides the base seed)",
                                                 lines=2, elem_id="slider-base-latent",
                                                 info="'Edit in Latent sliders' on Your drawing puts its latent here")
                        basis = gr.Radio(list(BASES), value="principal", label="Slider directions",
                                         info="principal: strongest visual changes (PCA); raw: first latent dims")
                        sliders = [gr.Slider(-MAX_SLIDER / 2, MAX_SLIDER / 2, 0.0, step=0.1, label=f"Direction {i + 1}",
                                             elem_id=f"direction-{i + 1}") for i in range(NUM_DIRECTIONS)]
                        with gr.Row():
                            randomize = gr.Button("Random seed")
                            reset = gr.Button("Reset sliders", elem_id="reset-sliders")
                    with gr.Column(scale=2):
                        slider_out = gr.Image(format="png", type="pil", label="Image", buttons=["download"],
                                              elem_id="slider-image")
                        slider_info = gr.Textbox(label="Produced by", interactive=False)
                        latent_text = gr.Textbox(label="Latent vector (copy it, or use it as an interpolation start)",
                                                 lines=3, interactive=False, elem_id="latent-vector")
                        slider_neighbours = gr.Button("Nearest training images", elem_id="slider-neighbours")

            with gr.Tab("Interpolate", id="interpolate"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=260):
                        with gr.Row():
                            start_seed = gr.Number(1, precision=0, minimum=0, maximum=MAX_SEED, label="Start seed")
                            end_seed = gr.Number(2, precision=0, minimum=0, maximum=MAX_SEED, label="End seed")
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
                        frames = gr.Slider(2, MAX_FRAMES, 16, step=1, label="Frames")
                        mode = gr.Radio(list(MODES), value="slerp", label="Path",
                                        info="slerp keeps latents at a typical length: crisper middle frames")
                        interp_go = gr.Button("Interpolate", variant="primary", elem_id="interpolate-go")
                    with gr.Column(scale=2):
                        strip = gr.Image(format="png", type="pil", label="Strip", buttons=["download"],
                                         elem_id="strip-image")
                        gif = gr.Image(type="filepath", label="Animation (GIF)", buttons=["download"],
                                       elem_id="gif-image")
                        interp_info = gr.Textbox(label="Produced by", interactive=False)

            with gr.Tab("Your drawing", id="drawing") as drawing_tab:
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        canvas = gr.Sketchpad(type="pil", image_mode="RGBA", canvas_size=(280, 280), fixed_canvas=True,
                                              brush=gr.Brush(default_size=12, colors=["#000000"], color_mode="fixed"),
                                              layers=False, transforms=(), label="Draw a digit (or a piece of clothing)",
                                              elem_id="drawing-canvas")
                        uploaded = gr.File(file_types=["image"], type="filepath", elem_id="drawing-upload",
                                           label="…or upload a picture (PNG, JPEG, WebP; any size, colour or grey)")
                        # What is found: the upload, or the drawing saved as PNG (the /invert endpoint's input)
                        picture = gr.File(type="filepath", visible=False, label="Picture (PNG, JPEG or WebP)")
                        steps = gr.Slider(0, MAX_STEPS, DEFAULT_STEPS, step=10, label="Optimisation steps",
                                          info="0: the encoder's first guess (instant); more: closer, slower")
                        find = gr.Button("Find in model", variant="primary", elem_id="find-drawing")
                    with gr.Column(scale=2):
                        with gr.Row():
                            seen = gr.Image(format="png", type="pil", label="Your picture as the model sees it (28×28)",
                                            buttons=[], elem_id="seen-image")
                            found = gr.Image(format="png", type="pil", label="Closest image the model makes",
                                             buttons=["download"], elem_id="found-image")
                        found_info = gr.Textbox(label="Found", interactive=False, elem_id="found-info")
                        found_class = gr.Textbox(label="Best class", interactive=False, elem_id="found-class")
                        found_latent = gr.Textbox(label="Latent vector", lines=3, interactive=False,
                                                  elem_id="found-latent")
                        with gr.Row():
                            to_sliders = gr.Button("Edit in Latent sliders", elem_id="to-sliders")
                            to_start = gr.Button("Use as interpolation start", elem_id="to-start")
                            to_end = gr.Button("Use as interpolation end", elem_id="to-end")
                            found_neighbours = gr.Button("Nearest training images", elem_id="found-neighbours")

            with gr.Tab("Train", id="train"):
                if trainer is None:
                    gr.Markdown(training_off, elem_id="train-off")
                else:
                    with gr.Row():
                        with gr.Column(scale=1, min_width=300):
                            train_data = gr.Radio(list(DATASETS), value="MNIST", label="Data", elem_id="train-data")
                            train_zip = gr.File(file_types=[".zip"], type="filepath", elem_id="train-zip",
                                                label="Your images: a .zip of PNG/JPEG files, sub-folders = classes")
                            recipe = gr.Radio(list(RECIPES), value=next(iter(RECIPES)), label="Recipe",
                                              elem_id="train-recipe")
                            train_conditional = gr.Checkbox(False, label="Conditional (one model, pick the class)")
                            train_steps = gr.Slider(50, trainer.limits.max_steps, 2000, step=50, label="Steps",
                                                    elem_id="train-steps")
                            estimate = gr.Markdown(elem_id="train-estimate")
                            train_limit = gr.Number(0, precision=0, minimum=0, label="Use only the first N images "
                                                    "(0: all)", elem_id="train-limit")
                            with gr.Row():
                                start = gr.Button("Start", variant="primary", elem_id="train-start")
                                stop = gr.Button("Stop", variant="stop", elem_id="train-stop")
                                resume = gr.Button("Resume", elem_id="train-resume")
                            train_message = gr.Textbox(label="Run", interactive=False, elem_id="train-message")
                        with gr.Column(scale=2):
                            progress = gr.HTML(elem_id="train-progress")
                            with gr.Row():
                                train_grid = gr.Image(type="filepath", label="Fixed latents, as the run goes",
                                                      elem_id="train-grid")
                                losses = gr.LinePlot(x="step", y="loss", color="series", label="Losses",
                                                     elem_id="train-losses")
                            film = gr.Slider(0, 1, 0, step=1, label="Film strip: earlier grids", elem_id="train-film")

        with gr.Accordion("Is it copying? Nearest training images", open=True, elem_id="neighbours-panel"):
            gr.Markdown("Click any tile of a sample grid, or *Nearest training images* under the slider image "
                        "or a drawing's reconstruction: its 8 nearest training images, by what they look like "
                        "(the evaluator's features) and by their raw pixels.")
            index_status = gr.Markdown(studio.indexes.status(), elem_id="index-status")
            neighbours_out = gr.Image(format="png", type="pil", label="Nearest training images", buttons=["download"],
                                      elem_id="neighbours-image")
            neighbours_info = gr.Textbox(label="How close", interactive=False, elem_id="neighbours-info")
            no_truncation = gr.Number(1.0, visible=False, label="Truncation")  # /neighbours takes one

        # --- events ------------------------------------------------------------------
        slider_inputs = [model, slider_seed, slider_class, basis, base_latent, *sliders]
        slider_outputs = [slider_out, slider_info, latent_text]
        sample_inputs = [model, seed, n, truncation, sample_class]

        def on_model(key):  # latents belong to one model: the pasted and found ones are cleared
            return (class_dropdown_update(studio, key, True), class_dropdown_update(studio, key, False),
                    class_dropdown_update(studio, key, False), class_dropdown_update(studio, key, False),
                    "", "", "", "", "")

        card = user_errors(studio.model_card)
        model.change(on_model, model, [sample_class, slider_class, start_class, end_class, base_latent, start_latent,
                                       end_latent, found_latent, found_class], api_name=False) \
            .then(card, model, [card_text, card_image], api_name="model_card") \
            .then(user_errors(studio.sample_grid), sample_inputs, [grid, grid_info], api_name=False) \
            .then(user_errors(studio.slider_image), slider_inputs, slider_outputs, api_name=False)
        if first:
            demo.load(card, model, [card_text, card_image], api_name=False)

        sample_fn = user_errors(studio.sample_grid)
        go.click(sample_fn, sample_inputs, [grid, grid_info], api_name="sample")
        new_seed.click(lambda: random.randint(0, 1_000_000), None, seed, api_name=False) \
            .then(sample_fn, sample_inputs, [grid, grid_info], api_name=False)

        slider_fn = user_errors(studio.slider_image)
        for s in sliders:  # live while dragging; always_last drops stale intermediate positions
            s.input(slider_fn, slider_inputs, slider_outputs, api_name=False, trigger_mode="always_last",
                    show_progress="hidden")
        sliders[0].release(slider_fn, slider_inputs, slider_outputs, api_name="slider_image", show_progress="hidden")
        for control in (slider_seed, slider_class, basis):
            control.change(slider_fn, slider_inputs, slider_outputs, api_name=False, show_progress="hidden")
        base_latent.blur(slider_fn, slider_inputs, slider_outputs, api_name=False, show_progress="hidden")
        randomize.click(lambda: random.randint(0, 1_000_000), None, slider_seed, api_name=False)
        reset.click(lambda: [0.0] * NUM_DIRECTIONS, None, sliders, api_name=False) \
            .then(slider_fn, slider_inputs, slider_outputs, api_name=False)
        use_slider.click(lambda text: text, latent_text, start_latent, api_name=False)
        interp_go.click(user_errors(studio.interpolate),
                        [model, start_seed, end_seed, start_class, end_class, frames, mode, start_latent, end_latent],
                        [strip, gif, interp_info], api_name="interpolate")

        # Your drawing: the most recent of drawing and upload is the one found; the canvas is saved as a
        # file first, so the UI and the /invert endpoint share one path (a file, checked before decoding).
        canvas.input(lambda: None, None, uploaded, api_name=False)
        uploaded.upload(lambda: None, None, canvas, api_name=False)
        drawing_tab.select(None, None, None, api_name=False,  # the brush ready, so the first stroke draws
                           js="() => setTimeout(() => { const b = document.querySelector("
                              "'#drawing-canvas button[aria-label=Brush]'); if (b && !b.classList.contains('selected')) "
                              "b.click(); }, 300)")
        find.click(user_errors(studio.picture_file), [canvas, uploaded], picture, api_name=False) \
            .success(user_errors(studio.find_picture), [model, picture, steps],
                     [seen, found, found_latent, found_class, found_info], api_name="invert")

        def send_to(tab: str, n_resets: int = 0):
            def handoff(latent, class_name):
                if not latent:
                    raise gr.Error("find a picture in the model first", print_exception=False)
                return (latent, class_name or gr.update(), gr.Tabs(selected=tab)) + (0.0,) * n_resets
            return handoff

        to_sliders.click(send_to("sliders", NUM_DIRECTIONS), [found_latent, found_class],
                         [base_latent, slider_class, tabs, *sliders], api_name=False) \
            .success(slider_fn, slider_inputs, slider_outputs, api_name=False)
        to_start.click(send_to("interpolate"), [found_latent, found_class], [start_latent, start_class, tabs],
                       api_name=False)
        to_end.click(send_to("interpolate"), [found_latent, found_class], [end_latent, end_class, tabs],
                     api_name=False)

        # Is it copying?
        neighbours_outputs = [neighbours_out, neighbours_info]
        neighbours_fn = user_errors(studio.neighbours)
        tile_fn = user_errors(studio.tile_neighbours)

        def on_tile(key, seed_value, n_value, truncation_value, class_name, evt: gr.SelectData):
            return tile_fn(key, seed_value, n_value, truncation_value, class_name, *evt.index)

        grid.select(on_tile, sample_inputs, neighbours_outputs, api_name=False)
        slider_neighbours.click(neighbours_fn, [model, slider_seed, slider_class, no_truncation, latent_text],
                                neighbours_outputs, api_name="neighbours")
        found_neighbours.click(neighbours_fn, [model, slider_seed, found_class, no_truncation, found_latent],
                               neighbours_outputs, api_name=False)
        index_timer = gr.Timer(3)  # shows "index building" until every data set's index is settled
        index_timer.tick(lambda: (studio.indexes.status(), gr.Timer(active=not studio.indexes.all_settled())),
                         None, [index_status, index_timer], api_name=False, show_progress="hidden")
        if trainer is not None:
            train_timer = gr.Timer(2, active=False)

            following = gr.State(True)  # per visitor: show the newest grid, until the film strip is moved back

            def show(film_value=0, follow=True):
                """Everything the tab shows, from the run's files."""
                status = trainer.status()
                last = max(0, len(status.grids) - 1)
                at = last if follow else min(int(film_value or 0), last)
                grid_path = str(status.grids[at]) if status.grids else None
                running = status.state in ("running", "evaluating")
                picker = gr.Dropdown(choices=registry.choices()) if status.model_key else gr.update()
                return (status.message, progress_html(status), grid_path, loss_rows(status),
                        gr.Slider(maximum=max(last, 1), value=at), gr.Timer(active=running), picker)

            def on_film(film_value):  # moved to the end: follow the run again
                return (*show(film_value, False), film_value >= len(trainer.status().grids) - 1)

            shown = [train_message, progress, train_grid, losses, film, train_timer, model]

            def on_start(data, recipe, conditional, steps, images_zip, limit, request: gr.Request):  # API names
                return trainer.start(data, recipe, conditional, steps, images_zip, who_is(request), limit)

            def on_resume(request: gr.Request):
                return trainer.resume(who_is(request))

            start.click(user_errors(on_start), [train_data, recipe, train_conditional, train_steps, train_zip,
                                                train_limit], train_message, api_name="train_start") \
                .success(show, None, shown, api_name=False)
            stop.click(user_errors(trainer.stop), None, train_message, api_name="train_stop")
            resume.click(user_errors(on_resume), None, train_message, api_name="train_resume") \
                .success(show, None, shown, api_name=False)
            train_timer.tick(show, [film, following], shown, api_name=False, show_progress="hidden")
            film.release(on_film, film, shown + [following], api_name=False, show_progress="hidden")
            gr.api(trainer.summary, api_name="train_status")

            def on_estimate(recipe_name, steps_value):
                return f"≈ {trainer.estimate_minutes(recipe_name, steps_value):.1f} min of training on this machine"
            for control in (recipe, train_steps):
                control.change(user_errors(on_estimate), [recipe, train_steps], estimate, api_name=False)
            demo.load(user_errors(on_estimate), [recipe, train_steps], estimate, api_name=False)
            demo.load(show, None, shown, api_name=False)  # re-attach: a reopened page shows the run going on
            # models trained from the page since the app started: the page's own list is from start-up
            demo.load(lambda: gr.Dropdown(choices=registry.choices()), None, model, api_name=False)
        gr.api(studio.list_models, api_name="models")
        if first:
            demo.load(sample_fn, sample_inputs, [grid, grid_info], api_name=False)
            demo.load(slider_fn, slider_inputs, slider_outputs, api_name=False)
    return demo


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", default=os.environ.get("GAN_CHECKPOINTS", str(ROOT / "checkpoints")),
                    help="folder searched (recursively) for *.safetensors + *.json generators")
    ap.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                    help="bind address; 0.0.0.0 exposes the page to the network (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=env_int("GRADIO_SERVER_PORT", 7860), help="port (default 7860)")
    ap.add_argument("--concurrency", type=int, default=env_int("GAN_CONCURRENCY", 2),
                    help="requests computed at once (default 2)")
    ap.add_argument("--queue-size", type=int, default=env_int("GAN_QUEUE_SIZE", 64),
                    help="requests allowed to wait (default 64)")
    ap.add_argument("--allow-training", action="store_true", default=os.environ.get("GAN_ALLOW_TRAINING") == "1",
                    help="the Train tab on a non-loopback address too (needs GAN_AUTH)")
    ap.add_argument("--runs-dir", default=os.environ.get("GAN_RUNS_DIR", str(ROOT / "runs")),
                    help="where runs started from the page go (default runs/)")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = parse_args(argv)
    auth = auth_from_env()  # before the slow part, so a bad value fails at once
    registry = ModelRegistry(args.checkpoints)
    log.info("loaded %d model(s) from %s; skipped %d", len(registry.models), args.checkpoints, len(registry.skipped))
    studio = Studio(registry, OutputFiles.in_gradio_cache())
    studio.warm_up()  # the page serves at once; neighbours say "building" meanwhile
    allowed, training_off = training_allowed(args.host, args.allow_training, auth)
    limits = TrainingLimits(max_steps=env_int("GAN_MAX_STEPS", 20_000), runs_mb=env_int("GAN_RUNS_MB", 2_000),
                            max_images=env_int("GAN_MAX_IMAGES", 20_000),
                            upload=UploadLimits(zip_mb=env_int("GAN_UPLOAD_MB", 50)))
    trainer = LiveTraining(args.runs_dir, limits, on_model=registry.add) if allowed else None
    if trainer is not None:
        log.info("restored %d model(s) trained from the page earlier", trainer.restore_models())
    demo = build_app(studio, workers=args.concurrency, trainer=trainer, training_off=training_off)
    demo.queue(default_concurrency_limit=args.concurrency, max_size=args.queue_size)
    demo.launch(server_name=args.host, server_port=args.port, show_error=True, auth=auth,
                footer_links=["api", "gradio"])


if __name__ == "__main__":
    main()
