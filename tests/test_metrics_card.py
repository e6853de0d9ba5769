"""The model card names each metric, says which way is better, and gives the real-data floor."""

import pytest

from gan.data.idx import DATASETS
from gan.evaluation.scores import evaluate_real
from studio.metrics import REAL_DATA, metric_rows


def test_metric_rows_name_direction_and_floor():
    rows = dict(metric_rows({"fd": 13.38, "coverage": 10, "recall": 0.808, "samples": 10000, "eval_seconds": 3.0},
                            "mnist"))
    assert rows["FD-classifier"] == "13.38 (lower is better; real images: 0.5)"
    assert rows["recall (real variety covered)"].startswith("0.808 (higher is better; real images: 0.87")
    assert rows["measured on"].startswith("10,000 samples") and "eval_seconds" not in str(rows)
    assert "real images" not in dict(metric_rows({"fd": 2.0}, "my-own-images"))["FD-classifier"]


@pytest.mark.slow
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_the_stored_floor_is_what_the_evaluation_measures(dataset, mnist_dir, fashion_dir):
    measured = evaluate_real(dataset)
    by_construction = {"memorised", "nn_ratio"}  # real test images against themselves: test_neighbours.py
    for key, stored in REAL_DATA[dataset].items():
        if key not in by_construction:
            assert measured[key] == pytest.approx(stored, abs=max(0.006, 0.01 * stored)), (dataset, key)
