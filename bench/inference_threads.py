"""Process memory when the app's actions run on N threads, without any web server.

    python bench/inference_threads.py --threads 2      # ~0.5 GB, flat after warm-up
    python bench/inference_threads.py --threads 40     # ~1.3 GB: every thread that runs torch adds its own
                                                       # allocator arena and caches (why app.py pins inference
                                                       # to GAN_CONCURRENCY long-lived threads)
"""

from __future__ import annotations

import argparse
import io
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from studio.actions import ALL_CLASSES, Studio
from studio.registry import ModelRegistry

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmRSS")).split()[1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=6, help="rounds of 500 mixed requests")
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    args = ap.parse_args()
    studio = Studio(ModelRegistry(args.checkpoints))
    for m in studio.registry.models.values():
        m.directions()
    models = studio.list_models()

    def one(i: int) -> None:
        rng = random.Random(i)
        m = rng.choice(models)
        cls = m["classes"][0] if m["classes"] else None
        kind = rng.randrange(3)
        if kind == 0:
            image = studio.sample_grid(m["name"], rng.randrange(10_000), 64, 1.0, cls or ALL_CLASSES)[0]
        elif kind == 1:
            image = studio.slider_image(m["name"], rng.randrange(10_000), cls, "principal", "",
                                        *[rng.uniform(-3, 3) for _ in range(8)])[0]
        else:
            image = studio.interpolate(m["name"], 1, 2, cls, cls, 16, "slerp")[0]
        image.save(io.BytesIO(), "PNG")

    print(f"{args.threads} threads, start: {rss_mb():.0f} MB")
    with ThreadPoolExecutor(args.threads) as pool:
        for r in range(args.rounds):
            list(pool.map(one, range(r * 500, (r + 1) * 500)))
            print(f"after {(r + 1) * 500} requests: {rss_mb():.0f} MB", flush=True)


if __name__ == "__main__":
    main()
