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


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT,
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
            browser.close()
    finally:
        app.terminate()
        app.wait()


if __name__ == "__main__":
    main()
