"""Screenshots of each tab of the app with the shipped checkpoints, for the README (docs/*.png).

    python scripts/screenshots.py        # needs Debian's chromium and the playwright package
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def to_tabs(page) -> None:
    """Scroll so the tab bar is at the top: the tab's content fills the picture."""
    page.get_by_role("tablist").first.evaluate("e => e.scrollIntoView()")
    page.wait_for_timeout(500)


def draw_and_find(page) -> None:
    """A 2 drawn with the mouse in three strokes, found in the first model."""
    page.get_by_role("tab", name="Your drawing").click()
    canvas = page.locator("#drawing-canvas canvas").first
    canvas.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    box = canvas.bounding_box()
    strokes = [[(0.3, 0.3), (0.4, 0.18), (0.6, 0.18), (0.68, 0.32), (0.6, 0.5), (0.3, 0.78)],
               [(0.3, 0.78), (0.72, 0.78)]]
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for t in range(1, 9):
                page.mouse.move(box["x"] + (x0 + (x1 - x0) * t / 8) * box["width"],
                                box["y"] + (y0 + (y1 - y0) * t / 8) * box["height"])
        page.mouse.up()
    page.locator("#find-drawing").click()
    page.locator("#found-image img").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)


def train_for_a_while(page, path: Path) -> None:
    """The Train tab about a minute into a fast MNIST run (screenshot), then stopped."""
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-start").click()
    page.wait_for_timeout(75_000)
    to_tabs(page)
    page.screenshot(path=str(path))
    page.locator("#train-stop").click()
    page.wait_for_timeout(3_000)


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    runs = ROOT / "runs" / "screenshots"
    app = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--runs-dir", str(runs)], cwd=ROOT,
                           env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(url)
            page.locator("#sample-image img").wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ROOT / "docs" / "sample.png"))
            page.get_by_role("tab", name="Latent sliders").click()
            slider = page.locator("#direction-1 input[type=range]")
            slider.focus()
            for _ in range(20):
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(2000)
            page.screenshot(path=str(ROOT / "docs" / "sliders.png"))
            page.get_by_role("tab", name="Interpolate").click()
            page.locator("#interpolate-go").click()
            page.locator("#gif-image img").wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ROOT / "docs" / "interpolate.png"))
            draw_and_find(page)
            to_tabs(page)
            page.screenshot(path=str(ROOT / "docs" / "drawing.png"))
            train_for_a_while(page, ROOT / "docs" / "train.png")
            browser.close()
    finally:
        app.terminate()
        app.wait()


if __name__ == "__main__":
    main()
