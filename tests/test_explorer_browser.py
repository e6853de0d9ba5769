"""The in-browser explorer and the live drawing guess, in real headless Chromium, against the app
over the shipped checkpoints: a drag redraws with no call to the server, seed S draws what the
server draws for seed S, the drawing guess follows the strokes, and without WebAssembly the tab
says so while the server tabs keep working."""

from __future__ import annotations

import base64
import io
import json
import urllib.request
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import start_app, stop_app
from gradio_client import Client
from PIL import Image, ImageDraw
from test_browser import ARTIFACTS, CHROMIUM, FLAGS

from gan.data.pictures import NoInk, mnist_style, picture_rule
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


# What the sketchpad sent the server, as the test sees it: every composite PNG the editor uploads.
KEEP_COMPOSITES = """window.testComposites = []; const send = window.fetch;
window.fetch = function (url, init) { const b = init && init.body;
  if (b instanceof FormData && b.get('type') === 'composite')
    window.testComposites.push(b.get('file').arrayBuffer().then((a) => Array.from(new Uint8Array(a))));
  return send.apply(this, arguments); };"""


def sketchpad_box(page) -> dict:
    return page.evaluate("""() => { const cs = [...document.querySelectorAll('#drawing-canvas canvas')];
        const c = cs.sort((a, b) => b.clientWidth * b.clientHeight - a.clientWidth * a.clientHeight)[0];
        const r = c.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; }""")


def stroke(page, points) -> None:
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()


def guess_input(page, guesses_before: int) -> np.ndarray:
    """The 28x28 picture the live guess fed its encoder, once it has guessed again."""
    page.wait_for_function(f"window.ganDrawingGuess.guesses > {guesses_before}", timeout=20_000)
    return np.array(page.evaluate("Array.from(window.ganDrawingGuess.input)")).reshape(28, 28)


def prepared_on_the_server(page) -> np.ndarray:
    """What gan/data/pictures.py (Find in model's rule) makes of the sketchpad's latest composite."""
    png = bytes(page.evaluate("Promise.all(window.testComposites).then((c) => c[c.length - 1])"))
    return mnist_style(Image.open(io.BytesIO(png)), "mnist").astype(int)


def test_the_drawing_guess_reads_what_the_sketchpad_holds_through_undo_erase_and_clear(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Your drawing", init_script=KEEP_COMPOSITES)
    page.wait_for_function("document.querySelector('#drawing-guess [data-mounted]')?.dataset.state === 'ready'",
                           timeout=READY_S * 1000)
    page_settled(page)
    calls = []
    page.on("request", lambda r: calls.append(r.url) if "/gradio_api/queue" in r.url else None)
    c = sketchpad_box(page)
    guesses = lambda: page.evaluate("window.ganDrawingGuess.guesses")  # noqa: E731
    status = lambda: page.inner_text("#drawing-guess .dg-status")  # noqa: E731

    n = guesses()
    stroke(page, [(c["x"] - 40, c["y"] - 60), (c["x"] + 30, c["y"] - 60), (c["x"] - 10, c["y"] + 70)])  # a 7
    seven = guess_input(page, n)
    assert np.abs(seven - prepared_on_the_server(page)).max() <= 1 and seven.max() > 200
    seven_says = status().split(";")[0]
    assert "class '" in seven_says and "above" in page.inner_text("#drawing-guess .dg-critic")

    n = guesses()
    stroke(page, [(c["x"] - 30, c["y"]), (c["x"] + 30, c["y"])])  # a bar across it
    crossed = guess_input(page, n)
    assert np.abs(crossed - prepared_on_the_server(page)).max() <= 1 and np.abs(crossed - seven).max() > 100

    n = guesses()
    page.locator("#drawing-canvas button[aria-label=Undo]").click()  # the bar goes; so must the guess's
    undone = guess_input(page, n)
    assert np.abs(undone - seven).max() <= 1 and status().split(";")[0] == seven_says

    n = guesses()
    page.locator("#drawing-canvas button[aria-label=Redo]").click()  # and back again
    assert np.abs(guess_input(page, n) - crossed).max() <= 1
    n = guesses()
    page.locator("#drawing-canvas button[aria-label=Undo]").click()
    assert np.abs(guess_input(page, n) - seven).max() <= 1

    page.locator("#drawing-canvas button[aria-label=Erase]").click()
    n = guesses()
    stroke(page, [(c["x"] - 70, c["y"] - 60), (c["x"] + 70, c["y"] - 60)])  # erase the 7's top bar
    erased = guess_input(page, n)
    assert np.abs(erased - prepared_on_the_server(page)).max() <= 1
    assert np.abs(erased - seven).max() > 100  # the guess lost the bar with the sketchpad (it once gained ink)
    assert calls == []  # the guess is the browser's: drawing, undoing and erasing ask the server nothing

    page.locator("#find-drawing").click()  # Find in model prepares the same 28x28 picture
    page.wait_for_function("document.querySelector('#found-info textarea, #found-info input')?.value.length > 0",
                           timeout=60_000)
    seen_url = page.evaluate("document.querySelector('#seen-image img').src")
    seen = np.asarray(Image.open(io.BytesIO(urllib.request.urlopen(seen_url).read())).convert("L"))[::10, ::10]
    assert np.abs(seen.astype(int) - erased).max() <= 1

    page.locator("#drawing-canvas button[aria-label='Clear canvas']").click()
    page.wait_for_function("window.ganDrawingGuess.input === null")
    page.wait_for_function("document.querySelector('#found-info textarea, #found-info input')?.value === ''")
    assert status() == "Draw on the canvas."
    page.locator("#find-drawing").click()  # nothing to find: one message, no error badge on the upload box
    page.wait_for_selector("text=draw something first", timeout=20_000)
    assert "Error" not in page.inner_text("#drawing-upload")

    n = guesses()  # the brush is back after the clear: a new stroke draws, and is guessed
    stroke(page, [(c["x"], c["y"] - 70), (c["x"], c["y"] + 70)])
    one = guess_input(page, n)
    assert np.abs(one - prepared_on_the_server(page)).max() <= 1 and one.max() > 200

    picture = io.BytesIO()  # an upload empties the sketchpad: the guess forgets the drawing too
    Image.new("L", (60, 60), 255).save(picture, "PNG")
    page.locator("#drawing-upload input[type=file]").set_input_files(
        {"name": "digit.png", "mimeType": "image/png", "buffer": picture.getvalue()})
    page.wait_for_function("window.ganDrawingGuess.input === null", timeout=20_000)
    assert status() == "Draw on the canvas."
    page.screenshot(path=str(ARTIFACTS / "drawing-guess.png"))
    page.close()


def test_the_page_prepares_any_picture_as_python_does(shipped_app, browser):
    """picture_rule.js against gan/data/pictures.py on pictures of every kind: sizes, transparency, colours."""
    rng = np.random.default_rng(0)
    pictures = []
    for i in range(60):
        w, h = int(rng.integers(8, 160)), int(rng.integers(8, 160))
        background = [(255, 255, 255, 255), (0, 0, 0, 0), (0, 0, 0, 255), tuple(int(v) for v in rng.integers(0, 256, 4))][i % 4]
        ink = (0, 0, 0, 255) if i % 4 < 2 else tuple(int(v) for v in rng.integers(0, 256, 4))
        big = Image.new("RGBA", (w * 4, h * 4), background)
        draw = ImageDraw.Draw(big)
        for _ in range(int(rng.integers(0, 5))):
            draw.line([(float(rng.uniform(0, w * 4)), float(rng.uniform(0, h * 4))) for _ in range(3)], fill=ink,
                      width=int(rng.integers(4, 60)))
        pictures.append(big.resize((w, h), Image.LANCZOS))  # soft edges: every grey level
    page = open_tab(browser, shipped_app, "Your drawing")
    for dataset in ("mnist", "fashion"):
        cases = [{"w": p.width, "h": p.height, "rgba": base64.b64encode(p.tobytes()).decode()} for p in pictures]
        got = page.evaluate("""async ([cases, rule]) => {
            const m = await import(new URL('explorer/static/picture_rule.js', document.baseURI).href);
            return cases.map((c) => {
                const out = m.prepare(Uint8Array.from(atob(c.rgba), (ch) => ch.charCodeAt(0)), c.w, c.h, rule);
                return out && Array.from(out); });
        }""", [cases, asdict(picture_rule(dataset))])
        for picture, answer in zip(pictures, got):
            try:
                expected = mnist_style(picture, dataset)
            except NoInk:
                assert answer is None
                continue
            assert answer is not None and np.abs(np.array(answer).reshape(28, 28) - expected).max() <= 1
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


# --- the page's rough edges (#44): each test failed on the page before its fix -----------------------

def pick_model(page, key: str) -> None:
    models = json.load(urllib.request.urlopen(page.url + "explorer/models.json"))
    page.locator("#model input").click()
    page.get_by_role("option", name=next(m["label"] for m in models if m["name"] == key), exact=True).click()


def test_without_webassembly_each_part_names_itself_and_says_what_still_works(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)", init_script="delete window.WebAssembly;")
    page.wait_for_function("document.querySelector('#explorer .gan-explorer')?.dataset.state === 'unavailable'",
                           timeout=60_000)
    page.click("#explore-to-sliders")  # nothing to send: the explorer's own words, not Your drawing's
    page.wait_for_selector("text=the in-browser explorer is not running", timeout=20_000)
    assert page.locator("text=find a picture in the model first").count() == 0
    page.get_by_role("tab", name="Your drawing").click()
    page.wait_for_function("document.querySelector('#drawing-guess [data-mounted]')?.dataset.state === 'unavailable'",
                           timeout=60_000)
    said = page.inner_text("#drawing-guess .dg-status")
    assert said.startswith("The live guess cannot run here: this browser has no WebAssembly.") and "explorer" not in said
    assert "Find in model" in said
    page.close()


def test_the_words_match_what_the_page_does(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)")
    explorer_ready(page)
    assert page.get_attribute("#explorer .ge-sliders input", "step") == "0.1"  # as the server's sliders
    page.get_by_role("tab", name="Latent sliders").click()
    assert "Explore" in page.inner_text("#slider-base-latent")  # it hands latents here too
    page.get_by_role("tab", name="Sample").click()
    page.locator("#generate").click()  # 64 images, All classes: 6 whole rows of 10, and it says so
    page.wait_for_function("document.querySelector('#sample-info textarea')?.value.includes('whole rows')", timeout=60_000)
    assert "60 images (6 whole rows of 10; 64 asked)" in page.input_value("#sample-info textarea")
    page.close()


def test_play_and_the_train_buttons_show_what_they_can_do(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)")
    explorer_ready(page)
    page.click("#explorer .ge-play")
    assert page.inner_text("#explorer .ge-play") == "Pause"
    pick_model(page, "mnist-dcgan")  # a new model: nothing plays, so the button offers Play
    page.wait_for_function("window.ganExplorer.meta?.name === 'mnist-dcgan'", timeout=60_000)
    assert page.inner_text("#explorer .ge-play") == "Play" and not page.evaluate("window.ganExplorer.playing")
    page.get_by_role("tab", name="Train").click()  # no run yet: Stop and Resume cannot act, and look it
    page.wait_for_selector("#train-stop", timeout=20_000)
    assert page.locator("#train-stop").is_disabled() and page.locator("#train-resume").is_disabled()
    assert page.locator("#train-start").is_enabled()
    page.close()


def test_the_layout_shows_whole_pictures_and_the_guess_beside_the_sketchpad(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Sample")
    pick_model(page, "fashion-dcgan-modes")
    page.wait_for_selector("#mode-strip img", timeout=60_000)
    page.wait_for_function("[...document.querySelectorAll('#mode-strip img')].every((i) => i.complete && i.naturalWidth)")
    shown = page.evaluate("""() => { const strip = document.querySelector('#mode-strip').getBoundingClientRect();
        return [...document.querySelectorAll('#mode-strip img')].map((i) => { const r = i.getBoundingClientRect();
          const scale = Math.min(r.width / i.naturalWidth, r.height / i.naturalHeight);
          return { inside: r.left >= strip.left - 1 && r.right <= strip.right + 1, fit: getComputedStyle(i).objectFit,
                   drawnW: i.naturalWidth * scale, boxW: r.width }; }); }""")
    assert len(shown) >= 10 and all(s["inside"] for s in shown)  # every column on the page, the 10th too
    assert all(s["fit"] == "contain" for s in shown)  # each column of samples whole, not cropped to a square
    captions = page.evaluate("[...document.querySelectorAll('#mode-strip .caption-label, #mode-strip figcaption')]"
                             ".map((c) => c.scrollWidth <= c.clientWidth + 1)")
    assert captions and all(captions)  # "#10 · 5.0%" is not cut
    page.screenshot(path=str(ARTIFACTS / "mode-strip.png"), full_page=True)

    page.get_by_text("Model card", exact=True).click()
    page.wait_for_selector("table th", timeout=60_000)
    headers = page.evaluate("[...document.querySelectorAll('table th')].map((th) => th.innerText.trim())")
    assert headers and all(headers)  # no empty header row above the card

    page.get_by_role("tab", name="Your drawing").click()
    page.wait_for_selector("#drawing-guess .dg-image", timeout=60_000)
    pad = page.locator("#drawing-canvas").bounding_box()
    guess = page.locator("#drawing-guess .dg-image").bounding_box()
    assert guess["x"] >= pad["x"] + pad["width"] - 5 and guess["y"] < pad["y"] + pad["height"]  # beside it
    assert guess["y"] - pad["y"] < 150  # level with the sketchpad's top: in view whenever the sketchpad is
    page.close()


def test_the_grid_is_drawn_a_row_at_a_time_and_a_move_is_painted_before_it_finishes(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)")
    explorer_ready(page)
    page.check("#explorer .ge-grid-toggle")
    page.wait_for_function("window.ganExplorer.stats.grid.length >= 1", timeout=30_000)
    order = page.evaluate("""async () => {
        const e = window.ganExplorer, s = e.sliders[0], seen = [];
        e.root.addEventListener('gan-painted', () => seen.push(['image', e.stats.gridRows.length]));
        e.root.addEventListener('gan-grid-painted', () => seen.push(['grid', e.stats.gridRows.length]));
        const rows0 = e.stats.gridRows.length;
        s.value = '2'; s.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((ok) => setTimeout(ok, 0));
        s.value = '3'; s.dispatchEvent(new Event('input', { bubbles: true }));  // a move while the grid draws
        await new Promise((ok) => e.root.addEventListener('gan-grid-painted', ok, { once: true }));
        return { seen, rows0 }; }""")
    seen, rows0 = order["seen"], order["rows0"]
    images = [rows for what, rows in seen if what == "image"]
    assert len(images) == 2 and images[1] - rows0 < 8  # the second move was painted before the grid was done
    assert seen[-1][0] == "grid" and seen[-1][1] - rows0 >= 8  # the grid, in rows of 8 seeds
    grid = shown_pixels(page, "#explorer .ge-grid").reshape(224, 224)
    assert all(grid[r * 28:(r + 1) * 28].std() > 10 for r in range(8))  # every row drawn
    page.close()


def test_model_switches_keep_the_browser_bounded_and_errors_read_as_one_sentence(shipped_app, browser):
    counting = """window.ganModelListeners = 0; const add = window.addEventListener, remove = window.removeEventListener;
    window.addEventListener = function (type, ...rest) { if (type === 'gan-model') window.ganModelListeners++; return add.call(this, type, ...rest); };
    window.removeEventListener = function (type, ...rest) { if (type === 'gan-model') window.ganModelListeners--; return remove.call(this, type, ...rest); };"""
    page = open_tab(browser, shipped_app, "Explore (runs in your browser)", init_script=counting)
    explorer_ready(page)
    page.get_by_role("tab", name="Your drawing").click()
    page.wait_for_function("document.querySelector('#drawing-guess [data-mounted]')?.dataset.state === 'ready'",
                           timeout=READY_S * 1000)
    listeners = page.evaluate("window.ganModelListeners")
    assert listeners == 2  # the explorer's and the guess's
    for again in ("explorer.js", "drawing_guess.js"):  # a panel mounted again replaces its old self
        page.evaluate(f"""async () => {{ const m = await import(new URL('explorer/static/{again}', document.baseURI).href);
            const el = document.createElement('div'); el.innerHTML = '<div data-model="mnist-dcgan"></div>';
            document.body.append(el); m.mount(el, 'x'); }}""")
    assert page.evaluate("window.ganModelListeners") == listeners
    page.get_by_role("tab", name="Explore (runs in your browser)").click()
    nodes = []
    for i, key in enumerate(["mnist-dcgan", "fashion-dcgan", "mnist-dcgan-cond", "fashion-dcgan-cond"] * 4):
        pick_model(page, key)
        page.wait_for_function(f"window.ganExplorer.meta?.name === '{key}'", timeout=60_000)
        nodes.append(page.evaluate("document.getElementsByTagName('*').length"))
    sessions = page.evaluate("""async () => (await import(new URL('explorer/static/gan_runtime.js', document.baseURI).href)).sessionCount()""")
    assert sessions <= 6  # graphs of models left behind are released
    assert nodes[-1] - nodes[3] < 100, nodes  # no growth with every switch

    page.evaluate("""() => { const e = window.ganExplorer; e.ort = { Tensor: e.ort.Tensor, InferenceSession: null };
        e.meta = { ...e.meta, generator_url: 'explorer/graphs/missing.onnx' }; e.request(); }""")
    page.wait_for_function("window.ganExplorer.root.dataset.state === 'unavailable'")  # the panel mounted last
    said = page.evaluate("window.ganExplorer.$('.ge-status').textContent")
    assert said.startswith("The in-browser explorer cannot run here: ") and said.count(". ") == 1, said
    page.close()


def test_an_older_guess_never_overwrites_a_newer_one(shipped_app, browser):
    page = open_tab(browser, shipped_app, "Your drawing")
    page.wait_for_function("document.querySelector('#drawing-guess [data-mounted]')?.dataset.state === 'ready'",
                           timeout=READY_S * 1000)
    got = page.evaluate("""async () => {
        const g = window.ganDrawingGuess;
        const drawn = (lines) => { const c = document.createElement('canvas'); c.width = c.height = 280;
          const x = c.getContext('2d'); x.fillStyle = '#fff'; x.fillRect(0, 0, 280, 280); x.lineWidth = 12; x.lineCap = 'round';
          for (const [a, b, cc, d] of lines) { x.beginPath(); x.moveTo(a, b); x.lineTo(cc, d); x.stroke(); }
          return new Promise((ok) => c.toBlob(ok)); };
        const busy = await drawn(Array.from({ length: 60 }, (_, i) => [20 + 4 * i, 20, 260 - 4 * i, 260]));
        const one = await drawn([[140, 40, 140, 240]]);
        const before = g.guesses;
        g.received(busy); g.received(one);  // the newer picture arrives while the older is still decoded
        while (g.guesses === before || g.running) await new Promise((ok) => setTimeout(ok, 20));
        return { input: Array.from(g.input), status: g.$('.dg-status').textContent }; }""")
    one = np.array(got["input"]).reshape(28, 28)
    cols = np.nonzero(one.max(0) > 50)[0]
    assert len(cols) <= 6  # the thin vertical line, not the dense older picture
    page.close()
