"""Server-side latency of the app's actions, and cold start of `python app.py`.

    python bench/app_latency.py [--checkpoints checkpoints] [--model mnist-dcgan] [--repeats 50]

Each timing includes what the server does per request: sampling under inference_mode,
grid assembly, and the PNG/GIF encoding Gradio would do. Prints p50/p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from gan.sampling.images import png_bytes
from studio.actions import ALL_CLASSES, Studio
from studio.registry import ModelRegistry

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm-up: first-call allocations and lazy caches are not steady-state latency
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def cold_start(checkpoints: str) -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--checkpoints", checkpoints, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while time.perf_counter() - t0 < 120:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                return time.perf_counter() - t0
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("app did not answer within 120 s")
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    ap.add_argument("--model", help="model key (default: every model)")
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()
    studio = Studio(ModelRegistry(args.checkpoints))
    keys = [args.model] if args.model else list(studio.registry.models)
    zeros = [0.0] * 7
    print(f"{'model':24s} {'64-grid p50/p95':>18s} {'slider p50/p95':>17s} {'16-frame GIF p50/p95':>22s}  (ms)")
    for key in keys:
        m = studio.registry.models[key]
        cls = m.class_names[0] if m.class_names else None
        m.directions()  # computed once per model at start-up, not per request
        grid = timed(lambda: png_bytes(studio.sample_grid(key, 0, 64, 1.0, cls or ALL_CLASSES)[0]), args.repeats)
        slider = timed(lambda: png_bytes(studio.slider_image(key, 0, cls, "principal", "", 1.5, *zeros)[0]), args.repeats)
        gif = timed(lambda: png_bytes(studio.interpolate(key, 1, 2, cls, cls, 16, "slerp")[0]), args.repeats)
        print(f"{key:24s} {grid[0]:8.1f} /{grid[1]:7.1f}  {slider[0]:7.1f} /{slider[1]:7.1f}  "
              f"{gif[0]:10.1f} /{gif[1]:9.1f}")
    starts = [cold_start(args.checkpoints) for _ in range(3)]
    print(f"cold start (python app.py -> page answers), {len(studio.registry.models)} models: "
          f"median {statistics.median(starts):.2f} s of {', '.join(f'{s:.2f}' for s in starts)}")


if __name__ == "__main__":
    main()
