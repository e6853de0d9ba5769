"""Line charts as PNG with Pillow alone (loss curves, metric vs time): no plotting library needed.

    line_chart({"D loss": (steps, d), "G loss": (steps, g)}, title="losses", x_label="step").save("losses.png")
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def log_ticks(lo: float, hi: float) -> list[float]:
    """log10 positions of 1, 2, 5 x 10^k inside [lo, hi] (thinned to decades when the range is wide)."""
    mults = (1, 2, 5) if hi - lo < 3 else (1,)
    ticks = [math.log10(m) + k for k in range(math.floor(lo), math.ceil(hi) + 1) for m in mults]
    return [t for t in ticks if lo <= t <= hi] or [lo, hi]


def tick_label(v: float, log: bool) -> str:
    v = 10**v if log else v
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean, so noisy per-step losses read as trends."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def line_chart(series: dict[str, tuple[Sequence[float], Sequence[float]]], title: str = "", x_label: str = "",
               y_label: str = "", log_y: bool = False, size: tuple[int, int] = (860, 420)) -> Image.Image:
    """One chart, one line per named (xs, ys) series."""
    font = ImageFont.load_default(size=13)
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    legend_width = max((draw.textlength(name, font=font) for name in series), default=0) + 44
    left, right, top, bottom = 70, size[0] - 20 - int(legend_width), 34, size[1] - 50
    ty = (lambda v: math.log10(max(v, 1e-12))) if log_y else float
    points = {name: [(float(x), ty(y)) for x, y in zip(xs, ys) if math.isfinite(y)] for name, (xs, ys) in series.items()}
    xs = [p[0] for pts in points.values() for p in pts] or [0.0, 1.0]
    ys = [p[1] for pts in points.values() for p in pts] or [0.0, 1.0]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    pad = (y1 - y0) * 0.05 or 0.5
    y0, y1 = y0 - pad, y1 + pad

    def px(x: float, y: float) -> tuple[float, float]:
        return left + (x - x0) / (x1 - x0) * (right - left), bottom - (y - y0) / (y1 - y0) * (bottom - top)

    for v in log_ticks(y0, y1) if log_y else nice_ticks(y0, y1):
        _, y = px(x0, v)
        draw.line([(left, y), (right, y)], fill="#e6e6e6")
        draw.text((left - 6, y), tick_label(v, log_y), fill="black", font=font, anchor="rm")
    for v in nice_ticks(x0, x1, 6):
        x, _ = px(v, y0)
        draw.line([(x, top), (x, bottom)], fill="#f0f0f0")
        draw.text((x, bottom + 6), tick_label(v, False), fill="black", font=font, anchor="mt")
    draw.rectangle([left, top, right, bottom], outline="black")
    for i, (name, pts) in enumerate(points.items()):
        color = COLORS[i % len(COLORS)]
        if len(pts) > 1:
            draw.line([px(*p) for p in pts], fill=color, width=2)
        for p in pts if len(pts) <= 40 else []:  # markers only where points are few enough to read
            x, y = px(*p)
            draw.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=color)
        y = top + 8 + 18 * i  # legend to the right of the plot, where it hides no line
        draw.line([(right + 12, y), (right + 30, y)], fill=color, width=3)
        draw.text((right + 36, y), name, fill=color, font=font, anchor="lm")
    draw.text((size[0] / 2, 8), title, fill="black", font=font, anchor="mt")
    draw.text(((left + right) / 2, size[1] - 18), x_label, fill="black", font=font, anchor="mt")
    draw.text((8, 8), y_label + (" (log scale)" if log_y else ""), fill="black", font=font)
    return img
