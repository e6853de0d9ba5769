"""The tug of war of a run going on: the discriminator's scores on real and generated pictures over
the steps (from the run's log, gan/training/loop.py tug_of_war), and the two warnings a visitor
should see: D wins outright for a stretch, or the generated scores collapse to one value."""

from __future__ import annotations

PERFECT = 0.99          # share of (real, generated) pairs D orders correctly
STRETCH = 5             # log rows in a row (50 steps at the Train tab's --log-every 10)
COLLAPSED_SPREAD = 1e-3  # 10-90 % spread of the generated scores, relative to the real ones'
SERIES = (("real_q", "real"), ("fake_q", "generated"))
QUANTILES = ("10%", "median", "90%")


def score_rows(rows: list[dict]) -> list[tuple[int, float, str]]:
    """(step, score, series) in long format, one series per side and quantile."""
    return [(row["step"], row[key][i], f"{name} {q}") for row in rows if "real_q" in row
            for key, name in SERIES for i, q in enumerate(QUANTILES)]


def warning(rows: list[dict]) -> str:
    """A sentence when the newest log rows show D winning outright or the generated scores collapsed; else ""."""
    recent = [row for row in rows if "separation" in row][-STRETCH:]
    if len(recent) < STRETCH:
        return ""
    if all(row["separation"] >= PERFECT for row in recent):
        return (f"The discriminator has told every real picture from every generated one for {STRETCH} log points "
                f"(steps {recent[0]['step']}-{recent[-1]['step']}): the generator learns little while D wins outright.")
    spread = [(row["fake_q"][2] - row["fake_q"][0]) / max(row["real_q"][2] - row["real_q"][0], 1e-6) for row in recent]
    if all(s < COLLAPSED_SPREAD for s in spread):
        return (f"The discriminator gives every generated picture the same score (steps {recent[0]['step']}-"
                f"{recent[-1]['step']}): the generator may be drawing one picture over and over (mode collapse).")
    return ""
