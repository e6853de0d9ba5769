"""The in-browser explorer and the live drawing guess, in real headless Chromium, against the app
over the shipped checkpoints: a drag redraws with no call to the server, seed S draws what the
server draws for seed S, the drawing guess follows the strokes, and without WebAssembly the tab
says so while the server tabs keep working."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import start_app, stop_app
from gradio_client import Client
from PIL import Image
from test_browser import ARTIFACTS, CHROMIUM, FLAGS

from gan.sampling.latents import latent_for_seeds

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
MODEL = "mnist-dcgan-cond"
READY_S = 240  # the first start on a machine fetches and packs the runtime (~35 MB, ~30 s of brotli)


@pytest.fixture(scope="module")
def shipped_app(tmp_path_factory):
    proc, url = start_app(ROOT / "checkpoints", tmp_path_factory.mktemp("runs"), tmp_path_factory.mktemp("gradio"))
    yield url
    stop_app(proc, tmp_path_factory.mktemp("runs-unused"))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def open_tab(browser, url, tab: str, init_script: str | None = None):
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    if init_script:
        page.add_init_script(init_script)
    page.goto(url)
    page.wait_for_selector("#model", timeout=60_000)
    page.get_by_role("tab", name=tab).click()
    return page


def page_settled(page) -> None:
    """The page polls the server (every 3 s) only while the training-set index builds, as on a first
    start (CI): wait for that to end, so the calls counted are the explorer's own."""
    page.wait_for_function("!(document.querySelector('#index-status')?.textContent || 'building').includes('building')",
                           timeout=READY_S * 1000)
    page.wait_for_timeout(500)  # the answer that says "ready" also switched the poll off


def explorer_ready(page) -> None:
    page.wait_for_function("document.querySelector('#explorer .gan-explorer')?.dataset.state", timeout=READY_S * 1000)
    state = page.get_attribute("#explorer .gan-explorer", "data-state")
    assert state == "ready", page.inner_text("#explorer .ge-status")


def shown_pixels(page, selector: str) -> np.ndarray:
    return np.array(page.evaluate(f"""() => {{ const c = document.querySelector('{selector}');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }}""")).reshape(-1, 4)[:, 0]


def test_dragging_a_slider_redraws_in_the_browser_with_no_call_to_the_server(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)")
    explorer_ready(page)
    page.wait_for_function("window.ganExplorer.stats.paints > 0")
    page_settled(page)
    before = shown_pixels(page, "#explorer .ge-image")
    calls = []
    page.on("request", lambda r: calls.append(r.url) if "/gradio_api/" in r.url else None)
    paints = page.evaluate("window.ganExplorer.stats.paints")
    box = page.locator("#explorer .ge-sliders input").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(box["x"] + box["width"] / 2 + step * 5, y)
        page.wait_for_timeout(20)
    page.mouse.up()
    page.wait_for_timeout(300)
    after = shown_pixels(page, "#explorer .ge-image")
    assert page.evaluate("window.ganExplorer.stats.paints") > paints + 5  # redrawn along the drag
    assert np.abs(after.astype(int) - before).mean() > 2
    assert calls == []
    assert "principal sliders moved: 1: +" in page.inner_text("#explorer .ge-caption")
    page.screenshot(path=str(ARTIFACTS / "explore-tab.png"))
    page.close()


def test_seed_s_in_the_browser_is_seed_s_on_the_server(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)")
    explorer_ready(page)
    for dim in (16, 17, 64, 65, 100):  # 65: a self-conditioned latent, whose last block torch redraws
        got = np.array(page.evaluate(f"""async () => {{
            const m = await import(new URL('explorer/static/seeded_latents.js', document.baseURI).href);
            return [0, 7, 123456, 2147483647].map((s) => Array.from(m.latentForSeed(s, {dim})));
        }}"""))
        expected = latent_for_seeds([0, 7, 123456, 2147483647], dim).numpy()
        assert np.abs(got - expected).max() < 1e-5, dim

    client = Client(shipped_app, verbose=False)
    for seed, klass in ((3, "3"), (40, "7")):
        page.fill("#explorer .ge-seed", str(seed))
        page.select_option("#explorer .ge-class", label=klass)
        page.wait_for_function(f"document.querySelector('#explorer .ge-caption').textContent.includes('seed {seed}, class \\'{klass}\\'')")
        browser_pixels = np.array(page.evaluate("Array.from(window.ganExplorer.lastBytes)")).reshape(28, 28)
        path, _, _ = client.predict(MODEL, seed, klass, "principal", "", *[0.0] * 8, api_name="/slider_image")
        server_pixels = np.asarray(Image.open(path).convert("L"))[::10, ::10]
        assert np.abs(browser_pixels.astype(int) - server_pixels).max() <= 1  # <= 1/255 per pixel
    page.close()


def test_the_drawing_guess_follows_the_strokes(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Your drawing")
    page.wait_for_function("document.querySelector('#drawing-guess [data-mounted]')?.dataset.state === 'ready'",
                           timeout=READY_S * 1000)
    page_settled(page)
    calls = []
    page.on("request", lambda r: calls.append(r.url) if "/gradio_api/queue" in r.url else None)
    canvas = page.locator("#drawing-canvas canvas").first
    canvas.wait_for(state="visible")
    box = page.evaluate("""() => { const cs = [...document.querySelectorAll('#drawing-canvas canvas')];
        const c = cs.sort((a, b) => b.clientWidth * b.clientHeight - a.clientWidth * a.clientHeight)[0];
        const r = c.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; }""")
    x0, w = box["x"] + box["w"] * 0.5, box["w"]
    page.mouse.move(x0, box["y"] + box["h"] * 0.2)  # a "1": one vertical stroke
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x0, box["y"] + box["h"] * (0.2 + 0.05 * i))
    page.mouse.up()
    page.wait_for_function("(window.ganDrawingGuess.guesses || 0) >= 1", timeout=20_000)
    first = page.inner_text("#drawing-guess .dg-status")
    assert "class '" in first and "in your browser" in first
    guess = shown_pixels(page, "#drawing-guess .dg-image")
    assert guess.max() > 100  # something was drawn
    page.mouse.move(x0 - 0.15 * w, box["y"] + box["h"] * 0.3)  # a second stroke: a new guess
    page.mouse.down()
    page.mouse.move(x0, box["y"] + box["h"] * 0.2)
    page.mouse.up()
    page.wait_for_function("window.ganDrawingGuess.guesses >= 2", timeout=20_000)
    assert calls == []  # the guess is the browser's; only "Find in model" asks the server
    page.screenshot(path=str(ARTIFACTS / "drawing-guess.png"))
    page.close()


def test_without_webassembly_the_tab_says_so_and_the_server_tabs_still_work(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)", init_script="delete window.WebAssembly;")
    page.wait_for_function("document.querySelector('#explorer .gan-explorer')?.dataset.state === 'unavailable'",
                           timeout=60_000)
    message = page.inner_text("#explorer .ge-status")
    assert "no WebAssembly" in message and "Every other tab works" in message
    assert message.count(".") == 2  # one sentence: "... here: ... WebAssembly. Every other tab works as before."
    # Nothing of the dead panel under the sentence: no sliders, black image or empty pickers (#44.6)
    for part in (".ge-body", ".ge-interp", ".ge-image", ".ge-slider"):
        assert not page.locator(f"#explorer {part}").first.is_visible(), part
    page.screenshot(path=str(ARTIFACTS / "explorer-no-webassembly.png"))
    page.get_by_role("tab", name="Latent sliders").click()
    page.locator("#reset-sliders").click()
    page.locator("#slider-image img").wait_for(state="visible", timeout=60_000)
    page.close()


def test_the_explorer_files_are_served_compressed_with_the_licence(shipped_app):
    from studio.browser_runtime import VERSION

    wasm = f"{shipped_app}explorer/runtime/{VERSION}/ort-wasm-simd-threaded.wasm"
    request = urllib.request.Request(wasm, headers={"Accept-Encoding": "br, gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Encoding"] == "br"
        assert response.headers["Content-Type"] == "application/wasm"
        assert "immutable" in response.headers["Cache-Control"]
        assert len(response.read()) < 3_000_000  # of 14.8 MB uncompressed
    with urllib.request.urlopen(f"{shipped_app}explorer/runtime/{VERSION}/LICENSE.txt", timeout=30) as response:
        assert "MIT License" in response.read().decode()
    for bad in ("explorer/runtime/0.0.1/ort.wasm.min.mjs", "explorer/runtime/%s/..%%2Fapp.py" % VERSION,
                "explorer/static/..%2F..%2Fapp.py", "explorer/graphs/x.json", "explorer/models/nope.json"):
        try:
            urllib.request.urlopen(shipped_app + bad, timeout=10)
            raise AssertionError(f"{bad} was served")
        except urllib.error.HTTPError as e:
            assert e.code == 404, bad


def test_a_browser_latent_is_what_torch_draws():
    """The seed port's contract, without a browser: torch's latent for a seed is stable here."""
    z = latent_for_seeds([5], 64)
    assert torch.equal(z, torch.randn(64, generator=torch.Generator().manual_seed(5))[None])


def test_the_interpolation_plays_and_the_latent_goes_to_the_server_tabs(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)")
    explorer_ready(page)
    page.fill("#explorer .ge-from", "3")
    page.fill("#explorer .ge-to", "11")
    page.locator("#explorer .ge-speed").fill("1")
    page.click("#explorer .ge-play")
    page.wait_for_timeout(300)
    first = shown_pixels(page, "#explorer .ge-anim")
    page.wait_for_timeout(450)
    assert np.abs(shown_pixels(page, "#explorer .ge-anim").astype(int) - first).mean() > 1  # it moves
    assert page.inner_text("#explorer .ge-anim-caption").startswith("t = ")
    page.click("#explorer .ge-play")  # pause

    page.fill("#explorer .ge-seed", "5")
    page.wait_for_function("document.querySelector('#explorer .ge-caption').textContent.includes('seed 5,')")
    latent = page.input_value("#explorer .ge-latent")
    page.click("#explore-to-sliders")
    page.wait_for_function("document.querySelector('#slider-base-latent textarea')?.value.length > 100", timeout=30_000)
    assert page.input_value("#slider-base-latent textarea") == latent
    page.close()


def test_a_self_conditioned_model_offers_its_modes(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)")
    explorer_ready(page)
    models = json.load(urllib.request.urlopen(shipped_app + "explorer/models.json"))
    label = next(m["label"] for m in models if m["name"] == "mnist-dcgan-modes")
    page.locator("#model input").click()  # the page's own model picker tells the explorer
    page.get_by_role("option", name=label).click()
    page.wait_for_function("window.ganExplorer.meta?.name === 'mnist-dcgan-modes'", timeout=60_000)
    options = page.locator("#explorer .ge-class option").all_inner_texts()
    assert options[0].startswith("Any mode") and options[3].startswith("mode 3 ·")
    page.select_option("#explorer .ge-class", index=3)
    page.wait_for_function("document.querySelector('#explorer .ge-caption').textContent.includes(', mode 3,')")
    page.close()
