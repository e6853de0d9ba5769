"""Training from the page: one run at a time, each in its own `python -m gan.train` process.

A crash, a NaN or running out of memory ends that process, never the page: the app only starts
it, reads what it writes (log.jsonl, samples/step_*.png, generator.json) and signals it (SIGTERM:
the run saves a checkpoint and exits, as on the command line). A run folder's run.json says who
started it, when, with which command and process id, so a reopened page, or a restarted app,
re-attaches to a run that is still going, and a stopped one can be resumed (--resume).

A finished or stopped run is evaluated quickly (FD-classifier on 2,000 samples, where an evaluator
exists for its data) and handed to `on_model` so it joins the model picker at once.

What the page says about a run that has ended comes from its files, never from what the log
last showed: the step of the generator on disk (the model in the picker) and the step of the
resumable state, which differ when a run was killed between writing the two. A visitor's upload is
prepared (unpacked, checked, counted) outside the lock, so status requests never wait on it.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from gan.data.idx import DATASETS
from gan.training.run_log import read_log
from studio.recipes import IMAGES_PER_SECOND, RECIPES, command_batch, recipe_batch, recipe_flags
from studio.run_files import failure_reason, process_alive, resume_note, resume_step, saved_step
from studio.run_folders import RUN_RESERVE_MB, RunsFolderFull, RunsQuota, folder_mb, new_run_folder
from studio.uploads import MIN_IMAGES, UploadLimits, unpack_images
from studio.validation import InvalidInput, as_choice, as_int

log = logging.getLogger("gan_studio")
ROOT = Path(__file__).resolve().parent.parent

DATA_CHOICES = {info.label: name for name, info in DATASETS.items()} | {"Your images (.zip)": "upload"}
# How a zip's pictures are prepared: (size, channels). The MNIST-shaped choice keeps the sketchpad.
PICTURE_CHOICES = {"28 px grey (like MNIST)": (28, 1), "32 px colour": (32, 3), "32 px grey": (32, 1),
                   "64 px colour": (64, 3), "64 px grey": (64, 1)}
DEFAULT_PICTURES = "28 px grey (like MNIST)"


QUICK_EVAL_SAMPLES = 2000
EVALUATION_EXIT_WAIT_S = 60
_evaluations: set[threading.Thread] = set()  # quick evaluations under way, in any LiveTraining


@atexit.register
def _finish_evaluations() -> None:
    """A daemon thread still inside torch when the interpreter exits aborts it ("terminate called
    without an active exception", exit 134): let the evaluations under way finish first."""
    deadline = time.monotonic() + EVALUATION_EXIT_WAIT_S
    for thread in list(_evaluations):
        thread.join(max(0.0, deadline - time.monotonic()))
NICENESS = 5  # CFS weight ~1:3 against the page; 10 (~1:10) starved runs under load


@dataclass(frozen=True)
class TrainingLimits:
    max_steps: int = 20_000
    runs_mb: int = 2_000  # the live runs folder; the oldest finished runs are removed first
    max_images: int = 20_000  # per uploaded data set
    upload: UploadLimits = field(default_factory=UploadLimits)


@dataclass
class RunStatus:
    name: str | None = None
    state: str = "idle"  # idle, running, evaluating, finished, stopped, crashed
    step: int = 0
    steps: int = 0
    img_per_s: float = 0.0
    seconds_left: float | None = None
    message: str = "No run yet: pick the data and a recipe, then Start."
    log_rows: list[dict] = field(default_factory=list)
    grids: list[Path] = field(default_factory=list)
    model_key: str | None = None


class LiveTraining:
    def __init__(self, runs_dir: str | Path, limits: TrainingLimits = TrainingLimits(), on_model=None,
                 on_remove=None):
        self.folder = Path(runs_dir) / "live"
        self.limits = limits
        self.on_model = on_model or (lambda key, path: None)
        self.on_remove = on_remove or (lambda key: None)  # a removed run's model leaves the picker
        self.quota = RunsQuota(limits.runs_mb)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._current: Path | None = self._reattach()
        self._evaluating = False
        self._preparing: str | None = None  # who is starting a run (unpacking their zip) right now

    def restore_models(self) -> int:
        """Put the runs trained from the page before this app started back into the picker."""
        restored = 0
        for marker in sorted(self.folder.glob("*/registered")) if self.folder.exists() else []:
            key = marker.read_text().strip()
            if key:
                try:
                    self.on_model(key, marker.parent / "generator.safetensors")
                    restored += 1
                except Exception as e:  # a damaged old run stays out; the others come back
                    log.warning("could not restore %s: %s", marker.parent, e)
        return restored

    # --- starting -----------------------------------------------------------------------

    def estimate_minutes(self, recipe, steps, conditional=False) -> float:
        """Training minutes for `steps`, at the speed the newest run of this recipe measured here
        (else the table above)."""
        recipe = RECIPES[as_choice(recipe, "recipe", list(RECIPES))]
        steps = as_int(steps, "steps", 1, self.limits.max_steps)
        return steps * recipe_batch(recipe, bool(conditional)) / self.images_per_second(recipe) / 60

    def images_per_second(self, recipe: str) -> float:
        from gan.training.device import cpu_has_native_bf16

        for out in reversed(self._runs()):
            rows = read_log(out / "log.jsonl")[-50:]
            if json.loads((out / "run.json").read_text()).get("recipe") == recipe and rows:
                return float(sorted(r["img_per_s"] for r in rows)[int(0.9 * (len(rows) - 1))])  # unhurried speed
        return IMAGES_PER_SECOND["dcgan" if recipe == "fast" and not cpu_has_native_bf16() else recipe]

    def start(self, data, recipe, conditional, steps, upload=None, who="someone", limit=0,
              pictures=DEFAULT_PICTURES) -> str:
        data = DATA_CHOICES[as_choice(data, "data", list(DATA_CHOICES))]
        size, channels = PICTURE_CHOICES[as_choice(pictures or DEFAULT_PICTURES, "pictures", list(PICTURE_CHOICES))]
        recipe = RECIPES[as_choice(recipe, "recipe", list(RECIPES))]
        flags = recipe_flags(recipe, bool(conditional))
        steps = as_int(steps, "steps", 1, self.limits.max_steps)
        limit = as_int(limit or 0, "image limit", 0, 1_000_000)
        if 0 < limit < MIN_IMAGES:
            raise InvalidInput(f"use at least {MIN_IMAGES} images (one training batch), or 0 for all")
        if data == "upload" and not upload:
            raise InvalidInput("upload a .zip of images first (sub-folders = classes)")
        with self._lock:  # reserve: one run is prepared or running at a time
            self._refuse_if_busy()
            self._preparing = who
        out = None
        try:
            out = new_run_folder(self.folder, "images" if data == "upload" else data)
            if data == "upload":
                unpacked = unpack_images(upload, out / "images", self.limits.upload, size=size, channels=channels,
                                         max_images=self.limits.max_images)
                if conditional and len(unpacked.classes) < 2:
                    raise InvalidInput(f"a conditional model needs at least 2 class sub-folders in the zip, "
                                       f"found {len(unpacked.classes)}")
                dataset = f"prepared:{unpacked.folder}"
                limit = min(limit or self.limits.max_images, self.limits.max_images)
            else:
                dataset = data
            self._make_room(out, folder_mb(out) + RUN_RESERVE_MB)
            command = [sys.executable, "-m", "gan.train", "--dataset", dataset, *flags, "--steps", str(steps),
                       "--out-dir", str(out), "--sample-every", str(max(10, steps // 40)),
                       "--checkpoint-every", str(max(50, steps // 10)), "--log-every", "10", "--no-progress"]
            command += ["--conditional"] if conditional else []
            command += ["--limit", str(limit)] if limit else []
            with self._lock:
                return self._launch(out, command, who, f"started: {out.name}, {steps} steps", recipe)
        except BaseException:
            if out is not None and self._current != out:  # a refused start leaves no folder behind
                shutil.rmtree(out, ignore_errors=True)
            raise
        finally:
            self._preparing = None

    def _refuse_if_busy(self) -> RunStatus:
        """The current status, when a new run may start now; else InvalidInput saying why not."""
        if self._preparing is not None:
            raise InvalidInput(f"{self._preparing} is starting a run right now; wait a moment")
        status = self._status_locked()
        if status.state == "running":
            raise InvalidInput(f"a run is already going: {status.message} Stop it first, or wait.")
        if status.state == "evaluating":
            raise InvalidInput("the last run is being evaluated before it joins the model picker; "
                               "try again in a few seconds")
        return status

    def resume(self, who="someone") -> str:
        with self._lock:
            status = self._refuse_if_busy()
            if self._current is None or status.state not in ("stopped", "crashed"):
                raise InvalidInput("nothing to resume: the last run finished, or there is none")
            info = json.loads((self._current / "run.json").read_text())
            if resume_step(self._current) is None:
                raise InvalidInput("this run ended before its first resumable checkpoint (state.pt) was saved: "
                                   "start a new one")
            command = info["command"] + (["--resume"] if "--resume" not in info["command"] else [])
            return self._launch(self._current, command, who, f"resumed: {self._current.name}", info.get("recipe"))

    def _launch(self, out: Path, command: list[str], who: str, message: str, recipe: str | None) -> str:
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "train.log", "ab") as output:  # stderr of the run: its errors, for the status
            # Its own session: closing the page or a Ctrl-C here spares it.
            self._proc = spawn_niced(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        (out / "run.json").write_text(json.dumps({"pid": self._proc.pid, "who": who, "started": time.time(),
                                                  "recipe": recipe, "command": command}))
        for marker in ("registered", "stop-requested"):
            (out / marker).unlink(missing_ok=True)
        self._current = out
        log.info("training %s (pid %d) for %s", out.name, self._proc.pid, who)
        return message

    def _make_room(self, new_run: Path, needed_mb: float) -> None:
        """Keep the live runs folder under its cap (studio/run_folders.py): the oldest settled runs go
        first, each taken out of the picker before its folder is removed; the current run never."""
        runs = [r for r in self._runs() if r != new_run]
        active = {new_run} | ({self._current} if self._current is not None else set())

        def evict(run: Path) -> None:
            marker = run / "registered"
            key = marker.read_text().strip() if marker.exists() else ""
            if key:
                self.on_remove(key)

        try:
            self.quota.make_room(runs, active, needed_mb, evict)
        except RunsFolderFull as e:
            raise InvalidInput(str(e)) from None

    # --- stopping -------------------------------------------------------------------------

    def stop(self) -> str:
        with self._lock:
            status = self._status_locked()
            if status.state != "running":
                raise InvalidInput("no run is going")
            pid = json.loads((self._current / "run.json").read_text())["pid"]
            (self._current / "stop-requested").touch()  # so its end reads as stopped, not crashed
            os.kill(pid, signal.SIGTERM)  # gan.train saves a checkpoint and exits
            if not status.step:  # still starting: loading data, or Python itself
                return (f"stopping {status.name} before its first training step: nothing has been trained, "
                        "so no model is saved")
            return (f"stopping {status.name} at step {status.step}: it saves what it has trained, "
                    "then joins the model picker")

    # --- watching ---------------------------------------------------------------------------

    def _runs(self) -> list[Path]:
        """Run folders started from the page, oldest first (by their run.json)."""
        infos = sorted(self.folder.glob("*/run.json"), key=lambda p: p.stat().st_mtime) if self.folder.exists() else []
        return [info.parent for info in infos]

    def _reattach(self) -> Path | None:
        """The newest run folder (running or not), so a restarted app shows where things stand."""
        runs = self._runs()
        return runs[-1] if runs else None

    def _running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        info = json.loads((self._current / "run.json").read_text())
        return process_alive(info["pid"])

    def status(self) -> RunStatus:
        with self._lock:
            return self._status_locked()

    def summary(self) -> dict:
        """The run's state for API clients: name, state, step, steps, img/s, seconds left, message,
        model key once it is in the picker, and how many log points and grids exist."""
        status = self.status()
        return {"name": status.name, "state": status.state, "step": status.step, "steps": status.steps,
                "img_per_s": status.img_per_s, "seconds_left": status.seconds_left, "message": status.message,
                "model_key": status.model_key, "log_points": len(status.log_rows), "grids": len(status.grids)}

    def _status_locked(self) -> RunStatus:
        if self._preparing is not None:
            return RunStatus(state="preparing", message=f"{self._preparing} is starting a run: checking the data…")
        out = self._current
        if out is None or not (out / "run.json").exists():
            return RunStatus()
        info = json.loads((out / "run.json").read_text())
        command = info["command"]
        steps = int(command[command.index("--steps") + 1])
        rows = read_log(out / "log.jsonl")
        step = rows[-1]["step"] if rows else 0
        rate = rows[-1].get("img_per_s", 0) if rows else 0
        left = (steps - step) * command_batch(command) / rate if rate else None
        started = time.strftime("%H:%M", time.localtime(info["started"]))
        status = RunStatus(out.name, "running", step, steps, rate, left, "", rows,
                           sorted((out / "samples").glob("step_*.png")))
        if self._running():
            status.message = f"{out.name}, started by {info['who']} at {started}: step {step:,} of {steps:,}."
            return status
        saved, resumable = saved_step(out), resume_step(out)
        status.step = saved or 0  # what is on disk, not what the log last showed
        registered = out / "registered"
        finished = saved is not None and saved >= steps
        if registered.exists() and not registered.read_text().strip():
            status.state = "crashed"
            status.message = f"{out.name} ended at step {status.step:,} but could not join the model picker."
        elif registered.exists() and not finished and not (out / "stop-requested").exists():
            # Ended before its last step, and nobody pressed Stop: killed, out of memory, or an error.
            status.state = "crashed"
            status.model_key = registered.read_text().strip()
            status.message = (f"{out.name} crashed after step {saved:,} ({failure_reason(out)}). Its checkpoint from "
                              f"step {saved:,} is in the model picker as {status.model_key!r}.") + \
                (f" Resume continues from step {resumable:,}." if resumable is not None else
                 resume_note(saved, resumable, finished))
        elif registered.exists():
            status.state = "finished" if finished else "stopped"
            status.model_key = registered.read_text().strip()
            status.message = (f"{out.name} {'finished' if finished else 'stopped'} at step {saved:,}: it is in the "
                              f"model picker as {status.model_key!r}.") + resume_note(saved, resumable, finished)
        elif saved is not None:
            status.state = "evaluating"
            status.message = f"{out.name} ended at step {saved:,}; evaluating it before it joins the model picker…"
            self._register_in_background(out)
        elif (out / "stop-requested").exists():
            status.state = "stopped"
            status.message = f"{out.name} was stopped before its first checkpoint: nothing was saved. Start a new run."
        else:
            status.state = "crashed"
            status.message = f"{out.name} ended without a checkpoint: {failure_reason(out)}"
        return status

    def _register_in_background(self, out: Path) -> None:
        if self._evaluating:
            return
        self._evaluating = True

        def work():
            try:
                key = f"live/{out.name}"
                path = out / "generator.safetensors"
                quick_evaluation(path)
                self.on_model(key, path)
                (out / "registered").write_text(key)
            except Exception as e:  # a broken checkpoint stays out of the picker; the page says it could not
                log.warning("could not add %s: %s", out, e)
                with open(out / "train.log", "a") as output:
                    output.write(f"\nnot added to the model picker: {e}\n")
                (out / "registered").write_text("")
            finally:
                self._evaluating = False
                _evaluations.discard(threading.current_thread())

        thread = threading.Thread(target=work, name="live-evaluation", daemon=True)
        _evaluations.add(thread)
        thread.start()


def spawn_niced(command: list[str], **popen_args) -> subprocess.Popen:
    """A child process of the project's, niced after the spawn (a preexec_fn can deadlock a threaded
    server): it may use every core, the page's requests come first."""
    proc = subprocess.Popen(command, cwd=ROOT, **popen_args)
    try:
        os.setpriority(os.PRIO_PROCESS, proc.pid, NICENESS)
    except OSError:  # it already ended: its own status says why
        pass
    return proc


def quick_evaluation(path: Path) -> dict:
    """FD-classifier and friends on QUICK_EVAL_SAMPLES samples, stored in the sidecar where an
    evaluator exists for the data (own images have none: {}). It runs as its own niced process
    (`python -m gan.evaluate --write`): the test split's features it embeds, and the memory for
    them, leave with it instead of staying in the web process for good."""
    command = [sys.executable, "-m", "gan.evaluate", "--checkpoint", str(path), "--n", str(QUICK_EVAL_SAMPLES),
               "--write"]
    proc = spawn_niced(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    out, err = proc.communicate(timeout=1800)
    if proc.returncode != 0:  # e.g. no evaluator for a visitor's own images
        log.info("no quick evaluation for %s: %s", path, err.strip()[-300:])
        return {}
    return json.loads(out.strip().splitlines()[0])


# --- what the Train tab shows ------------------------------------------------------------


