"""The Pillow line charts behind losses.png and the docs/ figures."""

import math

import numpy as np
import pytest

from gan.sampling.plots import COLORS, line_chart, log_ticks, moving_average, nice_ticks


def test_nice_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0, 10) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0.013, 0.049) == pytest.approx([0.02, 0.03, 0.04])
    assert [round(10**t, 6) for t in log_ticks(math.log10(0.3), math.log10(30))] == [0.5, 1, 2, 5, 10, 20]


def test_moving_average_is_a_trailing_mean():
    assert moving_average([1, 2, 3, 4, 5], 2) == [1, 1.5, 2.5, 3.5, 4.5]
    assert moving_average([4.0], 10) == [4.0]


def hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def test_line_chart_draws_each_series_in_its_colour_where_its_values_are():
    rising = (list(range(10)), [float(i) for i in range(10)])
    flat_high = ([0, 9], [9.0, 9.0])
    pixels = np.asarray(line_chart({"rising": rising, "flat": flat_high}, log_y=False))
    for color in COLORS[:2]:
        assert (pixels == hex_rgb(color)).all(axis=2).sum() > 100
    ys, _ = np.nonzero((pixels == hex_rgb(COLORS[1])).all(axis=2))
    rising_ys, _ = np.nonzero((pixels == hex_rgb(COLORS[0])).all(axis=2))
    assert np.median(ys) < np.median(rising_ys)  # the higher series is drawn higher up (smaller y)
    assert np.asarray(line_chart({"x": ([1, 2], [float("nan"), 1.0])}, log_y=True)).shape == (420, 860, 3)
