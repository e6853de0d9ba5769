"""Eight people open the page at the same moment, in real headless Chromium (Debian's).

Every page load sends the same default requests (model card, seed-0 grid, slider image), so a
burst of visitors is a burst of identical requests. Every image on every page must load whole.
"""

import asyncio

import pytest
from test_browser import CHROMIUM, FLAGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PAGES, ROUNDS = 8, 2
# What the page's load events fill in: (tab or panel to open first, the image it shows).
LOADED_IMAGES = [(None, "#sample-image img"), ("Latent sliders", "#slider-image img"), ("Model card", "#card-image img")]


async def open_page(browser, url: str) -> dict:
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    failures = []
    # Gradio itself ends each event stream (queue/data) once its events are done: only files count.
    page.on("requestfailed", lambda r: failures.append(f"{r.url}: {r.failure}") if "/file=" in r.url else None)
    page.on("response", lambda r: failures.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None)
    await page.goto(url)
    for opener, selector in LOADED_IMAGES:
        if opener == "Model card":
            await page.get_by_text(opener, exact=True).click()
        elif opener:
            await page.get_by_role("tab", name=opener).click()
        await page.wait_for_selector(selector, state="visible", timeout=60_000)
    await page.wait_for_function("[...document.images].every(i => i.complete)", timeout=60_000)
    broken = await page.evaluate(
        "[...document.images].filter(i => i.naturalWidth === 0).map(i => i.src)")
    count = await page.evaluate("document.images.length")
    await context.close()
    return {"failures": failures, "broken": broken, "images": count}


async def burst(url: str) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        results = []
        for _ in range(ROUNDS):
            results += await asyncio.gather(*(open_page(browser, url) for _ in range(PAGES)))
        await browser.close()
    return results


def test_simultaneous_page_loads_all_show_complete_images(app_url):
    results = asyncio.run(burst(app_url))
    assert len(results) == PAGES * ROUNDS
    for r in results:
        assert not r["failures"], r["failures"]
        assert not r["broken"], f"images that did not load: {r['broken']}"
        assert r["images"] >= len(LOADED_IMAGES)
