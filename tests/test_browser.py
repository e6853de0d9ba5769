"""Click through the page in real headless Chromium (Debian's), as a person would.

Screenshots land in test-artifacts/ for a human to look at.
"""

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium not installed: apt-get install chromium (see .ci/run)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(app_url)
        yield page
        browser.close()


def element_pixels(page, selector: str) -> np.ndarray:
    """The rendered image inside a component, as grayscale pixels."""
    img = page.locator(f"{selector} img").first
    img.wait_for(state="visible", timeout=30_000)
    page.wait_for_function(f"document.querySelector('{selector} img').complete", timeout=30_000)
    return np.asarray(Image.open(io.BytesIO(img.screenshot())).convert("L")).astype(int)


def wait_for_change(page, selector: str, before: np.ndarray, timeout_s: float = 30) -> np.ndarray:
    import time

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        now = element_pixels(page, selector)
        if now.shape != before.shape or np.abs(now - before).mean() > 1:
            return now
        page.wait_for_timeout(250)
    pytest.fail(f"{selector} did not change within {timeout_s} s")


def test_sample_tab_generates_new_images(page):
    first = element_pixels(page, "#sample-image")
    assert first.std() > 10  # a real grid of digits, not a blank placeholder
    page.screenshot(path=str(ARTIFACTS / "sample-tab.png"), full_page=True)
    page.locator("#sample-seed input").fill("123")
    page.locator("#generate").click()
    # the page's first grid may still be arriving on a busy machine: wait for the caption of this one
    page.wait_for_function("document.querySelector('#sample-info textarea').value.includes('seeds 123-186')",
                           timeout=60_000)
    changed = wait_for_change(page, "#sample-image", first)
    assert np.abs(changed - first).mean() > 1


def test_slider_moves_the_image(page):
    page.get_by_role("tab", name="Latent sliders").click()
    before = element_pixels(page, "#slider-image")
    slider = page.locator("#direction-1 input[type=range]")
    slider.focus()
    for _ in range(25):  # keyboard drags fire the same input events as the mouse
        page.keyboard.press("ArrowRight")
    wait_for_change(page, "#slider-image", before)
    page.screenshot(path=str(ARTIFACTS / "sliders-tab.png"), full_page=True)
    assert "1: +" in page.get_by_label("Produced by").nth(1).input_value()


def test_interpolation_shows_strip_and_gif(page):
    page.get_by_role("tab", name="Interpolate").click()
    page.locator("#interpolate-go").click()
    strip = element_pixels(page, "#strip-image")
    gif = element_pixels(page, "#gif-image")
    assert strip.shape[1] > 5 * strip.shape[0] and strip.std() > 10 and gif.std() > 10
    page.screenshot(path=str(ARTIFACTS / "interpolate-tab.png"), full_page=True)


def test_a_drawing_is_found_and_sent_to_the_sliders(page):
    page.get_by_role("tab", name="Your drawing").click()
    canvas = page.locator("#drawing-canvas canvas").first
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for start, end in (((0.35, 0.2), (0.65, 0.2)), ((0.65, 0.2), (0.45, 0.8))):  # a 7, in two strokes
        page.mouse.move(x + start[0] * w, y + start[1] * h)
        page.mouse.down()
        for t in np.linspace(0, 1, 12):
            page.mouse.move(x + (start[0] + t * (end[0] - start[0])) * w, y + (start[1] + t * (end[1] - start[1])) * h)
        page.mouse.up()
    page.locator("#find-drawing").click()
    seen = element_pixels(page, "#seen-image")
    found = element_pixels(page, "#found-image")
    assert seen.std() > 10 and found.std() > 10  # the drawing arrived, and the model drew something
    latent = page.locator("#found-latent textarea")
    page.wait_for_function("document.querySelector('#found-latent textarea').value.length > 0", timeout=30_000)
    assert "distance" in page.locator("#found-info textarea").input_value()
    page.screenshot(path=str(ARTIFACTS / "drawing-tab.png"), full_page=True)
    page.locator("#to-sliders").click()
    page.wait_for_function("document.querySelector('#slider-base-latent textarea').value.length > 0", timeout=30_000)
    assert page.locator("#slider-base-latent textarea").input_value() == latent.input_value()
    page.wait_for_function("[...document.querySelectorAll('textarea')].some(t => t.value.includes('pasted latent'))",
                           timeout=30_000)


def test_the_critic_judges_the_found_drawing_and_a_real_image_and_shows_where_it_looks(page):
    """Runs after the drawing test: its found latent goes to the critic with one click."""
    page.get_by_role("tab", name="Your drawing").click()
    page.locator("#found-to-critic").click()
    page.wait_for_function("document.querySelector('#critic-verdict textarea')?.value.includes('pasted latent')",
                           timeout=60_000)
    verdict = page.locator("#critic-verdict textarea").input_value()
    assert verdict.count("%") == 2 and verdict.index("real test pictures") < verdict.index("own samples")
    shown = np.asarray(Image.open(io.BytesIO(page.locator("#critic-image img").first.screenshot())).convert("RGB"))
    right = shown[:, shown.shape[1] // 2:].astype(int)
    assert (right[..., 0] - right[..., 2]).max() > 80  # the map is laid over the picture in red-yellow
    page.screenshot(path=str(ARTIFACTS / "critic-tab.png"), full_page=True)
    page.locator("#critic-test-image input").fill("5")
    page.locator("#critic-test-image input").press("Enter")
    page.wait_for_function("document.querySelector('#critic-verdict textarea')?.value.includes('real test image 5')",
                           timeout=60_000)


def test_an_interpolation_frame_clicked_in_the_strip_goes_to_the_critic(page):
    """Runs after the interpolation test (its strip, 16 frames, is on the page)."""
    page.get_by_role("tab", name="Interpolate").click()
    strip = page.locator("#strip-image img").first
    box = strip.bounding_box()
    strip.click(position={"x": box["width"] * 10.5 / 16, "y": box["height"] / 2})  # frame 10
    page.wait_for_function("document.querySelector('#interp-frame input')?.value === '10'", timeout=20_000)
    page.locator("#critic-verdict textarea").evaluate("(t) => { t.value = ''; }")
    page.locator("#interp-to-critic").click()
    page.wait_for_function("document.querySelector('#critic-verdict textarea')?.value.includes('pasted latent')",
                           timeout=60_000)
    assert page.locator("#critic-verdict textarea").input_value().count("%") == 2
    assert page.locator("#critic-latent textarea").input_value().count(",") >= 15


def click_tile_until_neighbours(page, shown_when: str, seconds: float = 240) -> None:
    """Click the Sample grid's top-left tile until the neighbours panel's text matches the JS regex
    `shown_when`: on a first start the app is still building the data set's index, and says so."""
    import time

    page.get_by_role("tab", name="Sample").click()
    tile = page.locator("#sample-image img").first
    tile.wait_for(state="visible", timeout=30_000)
    deadline = time.time() + seconds
    while True:
        tile.click(position={"x": 20, "y": 20})
        try:
            page.wait_for_function(f"document.querySelector('#neighbours-info textarea').value.match(/{shown_when}/)",
                                   timeout=5_000)
            return
        except Exception:
            if time.time() > deadline:
                raise
            assert "still being built" in page.content() or "index building" in page.content()


def test_clicking_a_grid_tile_shows_its_nearest_training_images(page):
    click_tile_until_neighbours(page, "real unseen")
    first_seed = page.locator("#sample-seed input").input_value()  # the top-left tile is the grid's first seed
    assert f"seed {first_seed}," in page.locator("#neighbours-info textarea").input_value()
    assert element_pixels(page, "#neighbours-image").std() > 10
    # the status line, refreshed every 3 s while an index builds, catches up
    page.wait_for_function("document.querySelector('#index-status').innerText.includes('mnist: ready')",
                           timeout=10_000)


def test_training_from_the_page_shows_grids_then_the_new_model(page):
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-limit input").fill("512")
    steps = page.locator("#train-steps input[type=number]")
    steps.fill("2000")
    steps.press("Enter")
    page.locator("#train-start").click()
    page.wait_for_function("document.querySelector('#train-message textarea').value.includes('started')",
                           timeout=30_000)
    # The grid is replaced every 2 s while the run goes: watch its source, not its pixels.
    grid = page.locator("#train-grid img").first
    grid.wait_for(timeout=120_000)
    page.wait_for_function("(first) => { const img = document.querySelector('#train-grid img');"
                           " return img && img.src !== first && img.complete && img.naturalWidth > 0; }",
                           arg=grid.get_attribute("src"), timeout=120_000)
    assert "step" in page.locator("#train-progress").inner_text()
    page.screenshot(path=str(ARTIFACTS / "train-tab.png"), full_page=True)
    page.locator("#train-stop").click()
    page.wait_for_function("document.querySelector('#train-message textarea').value.includes('model picker as')",
                           timeout=180_000)
    key = page.locator("#train-message textarea").input_value().split("model picker as '")[1].split("'")[0]
    page.locator("#model input").click()
    page.get_by_role("option", name=key).wait_for(timeout=10_000)
    page.keyboard.press("Escape")
