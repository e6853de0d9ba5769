"""Training from the page (studio/training.py): a real run in its own process, watched, stopped,
evaluated and added to the models; every misuse gets a clear message."""

import os
import signal
import time

import pytest
from test_drawing import SHIPPED

from studio.access import training_allowed
from studio.actions import Studio
from studio.registry import ModelRegistry
from studio.training import RECIPES, LiveTraining, TrainingLimits
from studio.validation import InvalidInput

pytestmark = [pytest.mark.slow]

FAST = next(iter(RECIPES))


def wait_for(trainer, predicate, timeout=300):  # a busy 2-core machine trains at a fraction of its speed
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = trainer.status()
        if predicate(status):
            return status
        time.sleep(0.5)
    pytest.fail(f"timed out; last status: {trainer.status()}")


@pytest.fixture
def studio_and_trainer(tmp_path, mnist_dir):
    registry = ModelRegistry(SHIPPED)
    added = []

    def on_model(key, path):
        registry.add(key, path)
        added.append(key)

    trainer = LiveTraining(tmp_path / "runs", TrainingLimits(max_steps=5000), on_model=on_model)
    yield Studio(registry), trainer, added
    if trainer.status().state == "running":
        trainer.stop()


def test_a_tiny_run_is_watched_stopped_and_sampled(studio_and_trainer):
    studio, trainer, added = studio_and_trainer
    message = trainer.start("MNIST", FAST, False, 400, None, "tester", limit=512)
    assert message.startswith("started: mnist-")
    with pytest.raises(InvalidInput, match="already going: .*started by tester"):
        trainer.start("MNIST", FAST, False, 100, None, "someone else", limit=512)
    status = wait_for(trainer, lambda s: len(s.grids) >= 2 and len(s.log_rows) >= 2)
    assert status.state == "running" and 0 < status.step < 400 and status.img_per_s > 0
    assert "stopping" in trainer.stop()
    status = wait_for(trainer, lambda s: s.state in ("stopped", "finished", "crashed"))
    assert status.state == "stopped" and status.model_key == added[0], status.message
    assert "in the model picker" in status.message
    grid, info = studio.sample_grid(status.model_key, 0, 16)
    assert grid.width > 0 and info.startswith(status.model_key)
    assert "metrics" in studio.model(status.model_key).meta  # quick evaluation on 2,000 samples
    # The stopped run resumes from its checkpoint and finishes.
    assert trainer.resume("tester").startswith("resumed")
    status = wait_for(trainer, lambda s: s.state == "finished")
    assert status.step == 400 and trainer.summary()["model_key"] == status.model_key
    # A restarted app puts it back in the picker.
    fresh = ModelRegistry(SHIPPED)
    assert LiveTraining(trainer.folder.parent, on_model=fresh.add).restore_models() == 1
    assert status.model_key in fresh.models


def test_misuse_gets_clear_messages(studio_and_trainer, tmp_path):
    _, trainer, _ = studio_and_trainer
    with pytest.raises(InvalidInput, match="no run is going"):
        trainer.stop()
    with pytest.raises(InvalidInput, match="nothing to resume"):
        trainer.resume()
    with pytest.raises(InvalidInput, match="steps must lie in 1-5000"):
        trainer.start("MNIST", FAST, False, 0)
    with pytest.raises(InvalidInput, match="steps must lie in 1-5000"):
        trainer.start("MNIST", FAST, False, 10**9)
    with pytest.raises(InvalidInput, match="upload a .zip"):
        trainer.start("Your images (.zip)", FAST, False, 100, None)
    with pytest.raises(InvalidInput, match="recipe must be one of"):
        trainer.start("MNIST", "turbo", False, 100)
    (tmp_path / "evil.zip").write_bytes(b"PK not really")
    with pytest.raises(InvalidInput, match="not a readable .zip"):
        trainer.start("Your images (.zip)", FAST, False, 100, str(tmp_path / "evil.zip"))
    assert trainer.status().state == "idle"


def test_a_run_that_crashes_is_reported_and_the_next_one_starts(studio_and_trainer):
    _, trainer, _ = studio_and_trainer
    trainer.start("MNIST", FAST, False, 400, None, "tester", limit=512)
    pid = int(__import__("json").loads((trainer._current / "run.json").read_text())["pid"])
    os.kill(pid, signal.SIGKILL)  # out of memory, a segfault: no chance to save
    status = wait_for(trainer, lambda s: s.state != "running")
    assert status.state == "crashed" and "ended without a checkpoint" in status.message
    assert trainer.start("MNIST", FAST, False, 50, None, "tester", limit=512).startswith("started")


def test_a_restarted_app_reattaches_to_the_run_going_on(studio_and_trainer, tmp_path):
    _, trainer, _ = studio_and_trainer
    trainer.start("MNIST", FAST, False, 2000, None, "tester", limit=512)
    wait_for(trainer, lambda s: s.step > 0)
    again = LiveTraining(tmp_path / "runs")  # a new app process: it only has the files
    assert again.status().state == "running" and "started by tester" in again.status().message
    again.stop()
    wait_for(trainer, lambda s: s.state != "running")


def test_training_is_on_for_loopback_only_unless_allowed_with_a_login():
    assert training_allowed("127.0.0.1", False, None) == (True, "")
    allowed, why = training_allowed("0.0.0.0", False, None)
    assert not allowed and "--allow-training" in why and "GAN_AUTH" in why
    with pytest.raises(SystemExit, match="needs GAN_AUTH"):
        training_allowed("0.0.0.0", True, None)
    assert training_allowed("0.0.0.0", True, ("user", "secret"))[0]


def test_the_estimate_follows_recipe_and_steps(studio_and_trainer):
    _, trainer, _ = studio_and_trainer
    assert trainer.estimate_minutes(FAST, 2000) == pytest.approx(2 * trainer.estimate_minutes(FAST, 1000))
    # the unconditional fast recipe's steps are half the size of the conditional one's: half the time each
    assert trainer.estimate_minutes(FAST, 2000, conditional=True) == pytest.approx(
        2 * trainer.estimate_minutes(FAST, 2000, conditional=False))


def test_each_recipe_trains_with_its_own_batch_size():
    from gan.models import PRESETS
    from gan.train import build_parser
    from studio.recipes import command_batch, recipe_batch, recipe_flags

    for recipe in RECIPES.values():
        for conditional in (False, True):
            flags = recipe_flags(recipe, conditional)
            parsed = build_parser().parse_args(["--dataset", "mnist", *flags])
            used = parsed.batch_size or PRESETS[parsed.preset].batch_size
            assert used == recipe_batch(recipe, conditional) == command_batch(["-m", "gan.train", *flags])
    assert recipe_batch("fast", False) < recipe_batch("fast", True) == recipe_batch("dcgan", False)
