"""A colour model in real headless Chromium: Explore paints RGB in the browser (the seed's picture as
the server draws it), Sample, Interpolate, Your drawing (upload) and Is it copying? show colour, and a
64 px colour zip trains from the Train tab and joins the model picker."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import colour_shapes, colour_zip
from PIL import Image
from test_browser import ARTIFACTS, CHROMIUM, FLAGS, click_tile_until_neighbours

from gan.checkpoint import load_generator
from gan.sampling.latents import sample

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MODEL = "shapes-small"
READY_S = 240


@pytest.fixture(scope="module")
def page(colour_app):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(colour_app[1])
        page.wait_for_selector("#model", timeout=60_000)
        yield page
        browser.close()


def shown_rgb(page, selector: str) -> np.ndarray:
    img = page.locator(f"{selector} img").first
    img.wait_for(state="attached", timeout=60_000)
    img.scroll_into_view_if_needed()  # a lazy image below the fold is never loaded, so never visible
    img.wait_for(state="visible", timeout=60_000)
    page.wait_for_function(f"document.querySelector('{selector} img')?.complete", timeout=60_000)
    return np.asarray(Image.open(io.BytesIO(img.screenshot())).convert("RGB")).astype(int)


def assert_colour(pixels: np.ndarray) -> None:
    assert np.abs(pixels[..., 0] - pixels[..., 2]).max() > 40 and np.abs(pixels[..., 1] - pixels[..., 2]).max() > 20


def test_explore_paints_the_seeds_colour_picture_in_the_browser(page, colour_checkpoint_dir):
    page.get_by_role("tab", name="Explore (runs in your browser)").click()
    page.wait_for_function("document.querySelector('#explorer .gan-explorer')?.dataset.state", timeout=READY_S * 1000)
    assert page.get_attribute("#explorer .gan-explorer", "data-state") == "ready", page.inner_text("#explorer .ge-status")
    page.wait_for_function("window.ganExplorer.stats.paints > 0")
    page.fill("#explorer .ge-seed", "11")
    page.select_option("#explorer .ge-class", label="warm")
    page.wait_for_function("document.querySelector('#explorer .ge-caption').textContent.includes(\"seed 11, class 'warm'\")")
    page.wait_for_timeout(300)
    rgba = np.array(page.evaluate("""() => { const c = document.querySelector('#explorer .ge-image');
        return [c.width, c.height, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)]; }"""),
                    dtype=object)
    width, height, data = rgba
    painted = np.array(data, np.int16).reshape(height, width, 4)[..., :3]
    assert (width, height) == (64, 64)
    assert_colour(painted)
    generator, meta = load_generator(colour_checkpoint_dir / f"{MODEL}.safetensors")
    expected = sample(generator, seeds=[11], labels=[meta["class_names"].index("warm")])[0].astype(np.int16)
    assert np.abs(painted - expected).max() <= 2  # the browser's graph draws what the server draws
    page.screenshot(path=str(ARTIFACTS / "colour-explore.png"), full_page=True)


def test_sample_and_interpolate_show_colour(page):
    page.get_by_role("tab", name="Sample").click()
    assert_colour(shown_rgb(page, "#sample-image"))
    page.get_by_role("tab", name="Interpolate").click()
    page.locator("#interpolate-go").click()
    assert_colour(shown_rgb(page, "#strip-image"))
    assert_colour(shown_rgb(page, "#gif-image"))
    page.screenshot(path=str(ARTIFACTS / "colour-interpolate.png"), full_page=True)


def test_an_uploaded_colour_picture_is_found_without_a_sketchpad(page, tmp_path):
    page.get_by_role("tab", name="Your drawing").click()
    page.wait_for_timeout(500)
    assert not page.locator("#drawing-canvas canvas").first.is_visible()  # the pad is for grey 28 px models
    picture = tmp_path / "disc.png"
    colour_shapes(1, seed=7)[0].save(picture)
    page.locator("#drawing-upload input[type=file]").set_input_files(str(picture))
    page.wait_for_timeout(500)
    page.locator("#find-drawing").click()
    page.wait_for_function("document.querySelector('#found-latent textarea').value.length > 0", timeout=60_000)
    assert_colour(shown_rgb(page, "#seen-image"))
    assert_colour(shown_rgb(page, "#found-image"))
    assert "64×64, colour" in page.inner_text("#seen-image")
    page.screenshot(path=str(ARTIFACTS / "colour-drawing.png"), full_page=True)


def test_a_grid_tile_shows_its_nearest_training_pictures_in_colour(page):
    click_tile_until_neighbours(page, "real unseen|exactly")
    assert_colour(shown_rgb(page, "#neighbours-image"))


def test_a_64px_colour_zip_trains_from_the_train_tab_and_joins_the_picker(page, tmp_path):
    page.get_by_role("tab", name="Train").click()
    page.get_by_label("Your images (.zip)").check()
    page.locator("#train-zip input[type=file]").set_input_files(str(colour_zip(tmp_path / "mine.zip", 80)))
    page.get_by_label("64 px colour").check()
    steps = page.locator("#train-steps input[type=number]")
    steps.fill("50")
    steps.press("Enter")
    page.wait_for_timeout(500)
    page.locator("#train-start").click()  # 50 steps: "started" gives way to the run's status at once
    page.wait_for_function("document.querySelector('#train-message textarea').value.includes('model picker as')",
                           timeout=300_000)
    key = page.locator("#train-message textarea").input_value().split("model picker as '")[1].split("'")[0]
    assert_colour(shown_rgb(page, "#train-grid"))
    page.screenshot(path=str(ARTIFACTS / "colour-train.png"), full_page=True)
    page.locator("#model input").click()
    page.get_by_role("option", name=key).click()
    page.get_by_text("Model card").first.click()  # the accordion opens on the new model's card
    page.wait_for_function("document.querySelector('#model-card')?.textContent.includes('64×64 colour')",
                           timeout=60_000)
