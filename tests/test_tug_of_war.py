"""The Train tab's tug of war: every log row carries D's score quantiles on real and generated
pictures, and the tab warns when D wins outright or the generated scores collapse."""

import json

import torch

from gan.training.loop import tug_of_war
from studio.tug_of_war import STRETCH, score_rows, warning


def row(step, real_q, fake_q, separation):
    return {"step": step, "real_q": real_q, "fake_q": fake_q, "separation": separation}


def test_the_batch_scores_become_quantiles_and_a_separation():
    real, fake = torch.arange(10.0), torch.arange(10.0) - 100
    out = tug_of_war(real, fake)
    assert out["separation"] == 1.0 and out["real_q"][1] == 4.5 and out["fake_q"][1] == -95.5
    assert tug_of_war(real, real.flip(0))["separation"] == 0.45  # ties count as not separated


def test_a_real_run_logs_the_tug_of_war(trained_checkpoint):
    rows = [json.loads(line) for line in (trained_checkpoint.parent / "log.jsonl").read_text().splitlines()]
    assert rows and all(len(r["real_q"]) == 3 and len(r["fake_q"]) == 3 and 0 <= r["separation"] <= 1 for r in rows)
    assert len(score_rows(rows)) == 6 * len(rows)


def test_warnings_for_an_outright_win_and_for_collapsed_scores_only_after_a_stretch():
    balanced = [row(10 * i, [-1, 0, 1], [-1.2, -0.1, 0.9], 0.55) for i in range(STRETCH)]
    assert warning(balanced) == ""
    won = balanced + [row(100 + 10 * i, [3, 4, 5], [-6, -5, -4], 1.0) for i in range(STRETCH)]
    assert "told every real picture from every generated one" in warning(won)
    assert warning(won[:-1]) == ""  # one row short of the stretch
    collapsed = balanced + [row(100 + 10 * i, [-1, 0, 1], [0.2, 0.2, 0.2], 0.6) for i in range(STRETCH)]
    assert "same score" in warning(collapsed)
    assert warning([{"step": 1, "loss_d": 1.0}] * 10) == ""  # logs from before the tug of war was logged
