"""GAN Studio: a Gradio page over the generator checkpoints in `checkpoints/`.

    python app.py                               # http://127.0.0.1:7860
    python app.py --checkpoints runs/ --port 8000

This file holds the settings, the login and the launch; the page is built in studio/ui/ (one
module per tab) over the actions in studio/. Every action is also a named API endpoint.

Configuration (flags win over environment variables):
  GAN_CHECKPOINTS      checkpoint folder, evaluators/ inside (default: the shipped models)
  GRADIO_SERVER_NAME   bind address (default 127.0.0.1; the container sets 0.0.0.0)
  GRADIO_SERVER_PORT   port (default 7860)
  GRADIO_SHARE         1: a Gradio share link (the page is then public)
  GAN_CONCURRENCY      requests computed at once (default 2, one per CPU core here)
  GAN_QUEUE_SIZE       requests allowed to wait before new ones are refused (default 64)
  GAN_AUTH             "user:password" turns on basic auth (failed logins are slowed down per client)
  GAN_ALLOW_TRAINING   1: the Train tab also on a public page (needs GAN_AUTH)
  GAN_RUNS_DIR         where runs started from the page are written (default: the checkout's runs/, else ./runs)
  GAN_CACHE_DIR        where the browser runtime and exported graphs are kept (default ~/.cache/gan-studio)
  GAN_UPLOAD_GRACE_S   seconds an upload is kept after the last action that used it (default 30)
  GAN_UPLOAD_UNUSED_S  seconds an upload that no action used is kept (default 300)
  GAN_TRUSTED_PROXIES  comma-separated addresses of proxies whose X-Forwarded-For is believed (default none)
  GAN_MAX_STEPS, GAN_RUNS_MB, GAN_UPLOAD_MB, GAN_MAX_IMAGES   Train tab caps (see README)
"""

from __future__ import annotations

import argparse
import logging
import os

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


MAX_LOG_CHARS = 2_000  # of one record's message; a traceback keeps its last MAX_LOG_CHARS * 4


def bounded_log_record(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    if len(message) > MAX_LOG_CHARS:
        record.msg, record.args = message[:MAX_LOG_CHARS] + f"… ({len(message):,} characters)", None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)[-MAX_LOG_CHARS * 4:]
    return True


def parse_args(argv=None) -> argparse.Namespace:
    from gan.paths import checkpoints_dir, runs_dir
    from studio.access import env_flag

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", default=str(checkpoints_dir()),
                    help="folder searched (recursively) for *.safetensors + *.json generators, with evaluators/ "
                         "inside (default: GAN_CHECKPOINTS, else the shipped models)")
    ap.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                    help="bind address; 0.0.0.0 exposes the page to the network (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=env_int("GRADIO_SERVER_PORT", 7860), help="port (default 7860)")
    ap.add_argument("--share", action="store_true", default=env_flag("GRADIO_SHARE"),
                    help="a public Gradio share link (the page then counts as public)")
    ap.add_argument("--concurrency", type=int, default=env_int("GAN_CONCURRENCY", 2),
                    help="requests computed at once (default 2)")
    ap.add_argument("--queue-size", type=int, default=env_int("GAN_QUEUE_SIZE", 64),
                    help="requests allowed to wait (default 64)")
    ap.add_argument("--allow-training", action="store_true", default=os.environ.get("GAN_ALLOW_TRAINING") == "1",
                    help="the Train tab on a public page too (needs GAN_AUTH)")
    ap.add_argument("--runs-dir", default=os.environ.get("GAN_RUNS_DIR", str(runs_dir())),
                    help="where runs started from the page go (default runs/)")
    ap.add_argument("--print-routes", action="store_true",
                    help="print every route the app would serve, with its request-body cap, and exit")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(bounded_log_record)  # a visitor's value can never fill the log
    args = parse_args(argv)
    os.environ["GAN_CHECKPOINTS"] = args.checkpoints  # the commands the page runs use the same folder
    # Settings first: a refusal must come before anything loads (and before torch starts threads).
    from studio.access import training_allowed

    auth = auth_from_env()
    allowed, training_off = training_allowed(args.host, args.allow_training, auth, args.share)
    limits_env = dict(max_steps=env_int("GAN_MAX_STEPS", 20_000), runs_mb=env_int("GAN_RUNS_MB", 2_000),
                      max_images=env_int("GAN_MAX_IMAGES", 20_000), zip_mb=env_int("GAN_UPLOAD_MB", 50))

    import gradio as gr
    from starlette.middleware import Middleware

    from gan.data.pictures import restrict_pillow
    from gan.fileio import cache_dir
    from studio.actions import Studio
    from studio.browser_runtime import BrowserRuntime
    from studio.drawing import MAX_PICTURE_MB
    from studio.explorer_files import ModelGraphs, routes
    from studio.guard import BodyCaps, RequestGuard
    from studio.outputs import OutputFiles
    from studio.registry import ModelRegistry
    from studio.training import LiveTraining, TrainingLimits
    from studio.ui.page import build_app
    from studio.ui.quiet_queue import quieten
    from studio.ui.serving import Server
    from studio.upload_files import UploadFiles, UploadQuota
    from studio.uploads import UploadLimits

    restrict_pillow()  # every picture this process opens, Gradio's included: the allow-listed formats only
    registry = ModelRegistry(args.checkpoints)
    log.info("loaded %d model(s) from %s; skipped %d", len(registry.models), args.checkpoints, len(registry.skipped))
    outputs = OutputFiles.in_gradio_cache()
    studio = Studio(registry, outputs)
    limits = TrainingLimits(max_steps=limits_env["max_steps"], runs_mb=limits_env["runs_mb"],
                            max_images=limits_env["max_images"], upload=UploadLimits(zip_mb=limits_env["zip_mb"]))
    trainer = LiveTraining(args.runs_dir, limits, on_model=registry.add, on_remove=registry.remove) if allowed else None
    if trainer is not None:
        log.info("restored %d model(s) trained from the page earlier", trainer.restore_models())
    # The largest file the page accepts: a picture, or a training zip where the Train tab is on.
    max_upload_mb = max(MAX_PICTURE_MB, limits.upload.zip_mb if trainer is not None else 0)
    uploads = UploadFiles(gr.utils.get_upload_folder(), outputs.folder, grace_s=env_int("GAN_UPLOAD_GRACE_S", 30),
                          unused_s=env_int("GAN_UPLOAD_UNUSED_S", 300), quota=UploadQuota.for_largest(max_upload_mb))
    server = Server(outputs, args.concurrency, uploads)
    # Graphs are exported on the inference threads, like any other work on the models.
    graphs = ModelGraphs(registry, cache_dir() / "graphs", run=lambda fn: server.inference.submit(fn).result())
    runtime = BrowserRuntime()
    if not args.print_routes:
        studio.warm_up(then=graphs.export_all)  # the page serves at once; neighbours say "building" meanwhile
        runtime.start()  # the first start fetches onnxruntime-web in the background
    demo = build_app(studio, server, trainer=trainer, training_off=training_off)
    demo.queue(default_concurrency_limit=args.concurrency, max_size=args.queue_size)
    quieten(demo)  # no polling while idle: an app with no visitor sleeps
    guard = Middleware(RequestGuard, caps=BodyCaps(upload=max_upload_mb * 2**20 + 2**16), uploads=uploads)
    # uvicorn believes X-Forwarded-For from any loopback peer unless told otherwise: each guess would
    # then count as a new client. Only the proxies the deployer names are believed.
    os.environ["FORWARDED_ALLOW_IPS"] = os.environ.get("GAN_TRUSTED_PROXIES", "")
    app_kwargs = {"middleware": [guard], "routes": routes(runtime, graphs)}
    if args.print_routes:
        print_routes(gr.routes.App.create_app(demo, app_kwargs=app_kwargs), guard.kwargs["caps"])
        return
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, auth=auth, show_error=False,
                max_file_size=f"{max_upload_mb}mb", app_kwargs=app_kwargs, footer_links=["api", "gradio"])


def print_routes(app, caps) -> None:
    """One line per route: methods, path, body cap in bytes (what the request guard enforces)."""
    from studio.guard import route_kind

    def walk(routes, prefix=""):
        for route in routes:
            path = prefix + getattr(route, "path", "")
            if getattr(route, "original_router", None) is not None:  # FastAPI's included router
                yield from walk(route.original_router.routes, path + route.include_context.prefix)
            elif getattr(route, "routes", None):  # a mounted app
                yield from walk(route.routes, path)
            else:
                yield ",".join(sorted(getattr(route, "methods", None) or ["*"])), path

    for methods, path in walk(app.routes):
        print(f"{methods}\t{path}\t{getattr(caps, route_kind(path))}")


if __name__ == "__main__":
    main()
