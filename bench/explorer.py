"""The in-browser explorer against the server's Latent sliders, side by side in one run, in Debian's
headless Chromium against `python app.py` on loopback (figures in docs/performance.md):

- compute per frame, p50 / p95, one image and a 64-image grid (the explorer's own timings);
- input-to-paint of a slider move, p50 / p90: a script in the page sets the slider and waits for
  the picture (the explorer's paint; the server tab's new <img> loaded);
- calls to the server during a 10-second scripted drag;
- bytes a first visit to the Explore tab downloads, as served (compressed);
- server CPU-seconds per 1,000 slider moves (the app process's utime + stime);
- 200 simulated visitors opening the explorer at once: errors and p99 of its asset loads.

    python bench/explorer.py [--checkpoints checkpoints] [--visitors 200] [--model mnist-dcgan-cond]
    python bench/explorer.py --model emoji64-dcgan-modes   # 64 px colour (docs/colour.md)

Close other work first: the browser, the app and the load generator share this machine's cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
from load import rss_mb, start_app  # bench/ is on the path when run as a script

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
TAB = "Explore (runs in your browser)"

# In the page: move the explorer's first slider `n` times, each time waiting for its paint and the
# frame after it (when the browser shows it); returns the input-to-paint times in ms. Each move comes
# a random 0-17 ms after a frame, as a mouse's events do, not in step with the display.
EXPLORER_MOVES = """async (n) => {
  const e = window.ganExplorer, slider = e.sliders[0], times = [];
  for (let i = 0; i < n; i++) {
    await new Promise((ok) => setTimeout(ok, Math.random() * 17));
    const painted = new Promise((ok) => e.root.addEventListener('gan-painted', ok, { once: true }));
    const t0 = performance.now();
    slider.value = String(((i % 40) - 20) / 8);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    await painted;
    await new Promise(requestAnimationFrame);
    times.push(performance.now() - t0);
  }
  return times;
}"""

# The same on the server's Latent sliders tab: the picture is a new <img> that must load.
SERVER_MOVES = """async (n) => {
  const slider = document.querySelector('#direction-1 input[type=range]'), times = [];
  const img = () => document.querySelector('#slider-image img');
  for (let i = 0; i < n; i++) {
    await new Promise((ok) => setTimeout(ok, Math.random() * 17));
    const before = img() ? img().src : '';
    const t0 = performance.now();
    slider.value = String(((i % 40) - 20) / 8);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    while (!img() || img().src === before || !img().complete) await new Promise((ok) => setTimeout(ok, 1));
    await new Promise(requestAnimationFrame);
    times.push(performance.now() - t0);
  }
  return times;
}"""

# Frame intervals while a slider is dragged for `seconds` (a move every 8 ms, as a fast mouse): how
# long the page is blocked between frames, with or without the 64-seed grid on.
FRAMES_WHILE_DRAGGING = """async ([selector, seconds]) => {
  const slider = document.querySelector(selector), end = performance.now() + seconds * 1000, frames = [];
  let last = performance.now(), moves = 0;
  const tick = (t) => { frames.push(t - last); last = t; if (t < end) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  while (performance.now() < end) {
    slider.value = String(Math.sin(moves++ / 20) * 4);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((ok) => setTimeout(ok, 8));
  }
  return frames.slice(2);
}"""

# A scripted drag for `seconds`: one move per display frame.
DRAG = """async ([selector, seconds]) => {
  const slider = document.querySelector(selector), end = performance.now() + seconds * 1000;
  let moves = 0;
  while (performance.now() < end) {
    slider.value = String(Math.sin(moves / 20) * 4);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    moves++;
    await new Promise(requestAnimationFrame);
  }
  return moves;
}"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quantiles(values) -> str:
    v = np.asarray(values, dtype=float)
    return f"p50 {np.percentile(v, 50):.1f} ms, p90 {np.percentile(v, 90):.1f}, p95 {np.percentile(v, 95):.1f} (n={len(v)})"


def settle(pid: int, most: float = 0.05, window_s: float = 2.0, limit_s: float = 300) -> None:
    """Wait until the app's start-up work (directions, graph exports, index builds) is over."""
    deadline = time.time() + limit_s
    while time.time() < deadline:
        before = cpu_seconds(pid)
        time.sleep(window_s)
        if cpu_seconds(pid) - before < most * window_s:
            return


def only_model(folder: Path, model: str) -> str:
    """A folder serving just `model` (links to its files and the evaluators), so the page opens on it."""
    files = sorted(folder.glob(f"{model}.*"))
    if not files:
        raise SystemExit(f"no {model}.* in {folder}")
    served = Path(tempfile.mkdtemp(prefix="explorer-bench-"))
    for f in [*files, folder / "evaluators"]:
        if f.exists():
            (served / f.name).symlink_to(f.resolve())
    return str(served)


def explorer_assets(url: str, model: str) -> list[str]:
    from studio.browser_runtime import FILES, VERSION

    meta = json.load(urllib.request.urlopen(f"{url}explorer/models/{model}.json"))
    return ([f"explorer/static/{n}" for n in ("explorer.js", "gan_runtime.js", "seeded_latents.js")]
            + [f"explorer/runtime/{VERSION}/{n}" for n in FILES]
            + [f"explorer/models/{model}.json", meta["generator_url"]])


def visitor_load(url: str, assets: list[str], visitors: int) -> tuple[list[float], int]:
    """`visitors` threads, released together, each fetching every asset once (as a browser does,
    accepting brotli); per-asset times in ms and the number of failed fetches."""
    host, port = url.split("//")[1].rstrip("/").split(":")
    times, errors, lock = [], [0], threading.Lock()
    start = threading.Barrier(visitors)

    def visit():
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        start.wait()
        for asset in assets:
            t0 = time.perf_counter()
            try:
                connection.request("GET", "/" + asset, headers={"Accept-Encoding": "br, gzip"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection = http.client.HTTPConnection(host, int(port), timeout=120)
            with lock:
                times.append((time.perf_counter() - t0) * 1000)
                errors[0] += not ok

    threads = [threading.Thread(target=visit) for _ in range(visitors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    ap.add_argument("--model", default="mnist-dcgan-cond")
    ap.add_argument("--visitors", type=int, default=200)
    ap.add_argument("--moves", type=int, default=200, help="slider moves timed per path")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"CPU: {next(line for line in open('/proc/cpuinfo') if line.startswith('model name')).split(':')[1].strip()}, "
          f"{os.cpu_count()} cores")
    proc, url = start_app(only_model(Path(args.checkpoints), args.model), GRADIO_TEMP_DIR=tempfile.mkdtemp())
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            downloaded = {}
            page.on("requestfinished", lambda r: downloaded.__setitem__(r.url, r.sizes()["responseBodySize"])
                    if "/explorer/" in r.url else None)
            page.goto(url)
            page.wait_for_selector("#model", timeout=60_000)
            page.get_by_role("tab", name=TAB).click()
            page.wait_for_function("document.querySelector('#explorer .gan-explorer')?.dataset.state === 'ready'",
                                   timeout=300_000)
            page.wait_for_timeout(500)
            settle(proc.pid)
            first_visit = sum(downloaded.values())
            print(f"first visit to the tab downloads {first_visit / 1e6:.2f} MB as served, in {len(downloaded)} files:")
            for u, size in sorted(downloaded.items(), key=lambda kv: -kv[1])[:4]:
                print(f"  {size / 1e6:6.2f} MB  {u.split('/explorer/')[1][:70]}")

            calls = []
            page.on("request", lambda r: calls.append(r.url) if "/gradio_api/" in r.url else None)
            cpu0 = cpu_seconds(proc.pid)
            browser_times = page.evaluate(EXPLORER_MOVES, args.moves)
            browser_cpu = cpu_seconds(proc.pid) - cpu0
            single = page.evaluate("window.ganExplorer.stats.single.slice(1)")
            frames_single = page.evaluate(FRAMES_WHILE_DRAGGING, ["#explorer .ge-sliders input", 5])
            page.check("#explorer .ge-grid-toggle")
            grid_times = page.evaluate(EXPLORER_MOVES, 100)
            frames_grid = page.evaluate(FRAMES_WHILE_DRAGGING, ["#explorer .ge-sliders input", 5])
            grid = page.evaluate("""async () => { const e = window.ganExplorer, s = e.sliders[1];
                for (let i = 0; i < 10; i++) {  // whole grids, each left to finish before the next move
                  const done = new Promise((ok) => e.root.addEventListener('gan-grid-painted', ok, { once: true }));
                  s.value = String(i / 4); s.dispatchEvent(new Event('input', { bubbles: true })); await done; }
                return e.stats.grid.slice(-10); }""")
            grid_rows = page.evaluate("window.ganExplorer.stats.gridRows.slice(1)")
            page.uncheck("#explorer .ge-grid-toggle")
            calls.clear()
            drag_moves = page.evaluate(DRAG, ["#explorer .ge-sliders input", 10])
            browser_calls = len(calls)

            page.get_by_role("tab", name="Latent sliders").click()
            page.locator("#slider-image img").wait_for(state="visible", timeout=60_000)
            page.wait_for_timeout(1000)
            cpu0 = cpu_seconds(proc.pid)
            server_times = page.evaluate(SERVER_MOVES, args.moves)
            server_cpu = cpu_seconds(proc.pid) - cpu0
            calls.clear()
            server_drag = page.evaluate(DRAG, ["#direction-1 input[type=range]", 10])
            page.wait_for_timeout(2000)
            server_calls = sum("/queue/join" in c for c in calls)
            browser.close()

        print(f"compute per frame in the browser: one image {quantiles(single)}; 64-image grid {quantiles(grid)} "
              f"(drawn a row of 8 at a time: {quantiles(grid_rows)} per row)")
        print(f"input-to-paint, explorer (browser):   {quantiles(browser_times)}; with the grid on {quantiles(grid_times)}")
        print(f"frame intervals while dragging: one image {quantiles(frames_single)}; with the grid on {quantiles(frames_grid)}")
        print(f"input-to-paint, Latent sliders (server): {quantiles(server_times)}")
        print(f"10-second scripted drag: explorer {drag_moves} moves, {browser_calls} server calls; "
              f"server tab {server_drag} moves, {server_calls} queue calls")
        print(f"server CPU-seconds per 1,000 slider moves: explorer {1000 * browser_cpu / args.moves:.2f}, "
              f"server tab {1000 * server_cpu / args.moves:.2f}")

        assets = explorer_assets(url, args.model)
        cpu0, rss0 = cpu_seconds(proc.pid), rss_mb(proc.pid)
        Path(f"/proc/{proc.pid}/clear_refs").write_text("5")  # peak RSS (VmHWM) counts from here
        t0 = time.perf_counter()
        times, errors = visitor_load(url, assets, args.visitors)
        wall = time.perf_counter() - t0
        print(f"{args.visitors} visitors opening the explorer at once ({len(assets)} assets each): {errors} errors, "
              f"asset loads {quantiles(times).replace('(n=', 'p99 %.0f ms (n=' % np.percentile(times, 99))}, "
              f"all done in {wall:.1f} s, server CPU {cpu_seconds(proc.pid) - cpu0:.1f} s, "
              f"app peak RSS +{rss_mb(proc.pid, 'VmHWM') - rss0:.0f} MB over {rss0:.0f} MB")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
