"""Bounded load test of `python app.py` (or a running URL) on loopback: concurrent gradio_client users.

    python bench/load.py [--users 32] [--requests 10] [--identical 0.5] [--soak-minutes 30]
                         [--rss-plot docs/soak-rss.png] [--checkpoints checkpoints] [--url URL --pid PID]

Starts the app on a free 127.0.0.1 port (or uses --url), then
1. burst: U users (threads, one Client each) make R mixed requests each (sample 64 / slider /
   16-frame interpolation / model card); a share --identical of them are the page's default
   requests, identical for everyone (what a crowd opening the page sends), the rest random.
   Every returned image is decoded to its end. Reports throughput, p50/p95/p99 latency, errors;
2. soak (optional): the same users loop until the time is up; server RSS is printed every
   minute, with the growth over the last 20 minutes, and drawn to --rss-plot.
Every loop is bounded in count or time, and only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The process's resident memory (VmRSS), or its peak since the last reset (VmHWM), in MB."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_app(checkpoints: str, concurrency: int = 2, **env: str) -> tuple[subprocess.Popen, str]:
    """`python app.py` on a free loopback port (extra environment variables in `env`), once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--checkpoints", checkpoints, "--port", str(port),
                             "--concurrency", str(concurrency)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **env})
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("app did not start")


def one_request(client, model: dict, rng: random.Random, identical: bool) -> list:
    """One request; `identical` ones use the page's defaults (seed 0, no slider moved, seeds 1 -> 2)."""
    cls = model["classes"][0 if identical else rng.randrange(len(model["classes"]))] if model["classes"] else None
    seed = (lambda: 0) if identical else (lambda: rng.randrange(10_000))
    kind = rng.choice(("sample", "slider", "interpolate", "card"))
    if kind == "sample":
        return client.predict(model["name"], seed(), 64, 1.0, "All classes" if identical or not cls else cls,
                              api_name="/sample")
    if kind == "slider":
        values = [0.0 if identical else round(rng.uniform(-3, 3), 1) for _ in range(8)]
        return client.predict(model["name"], seed(), cls, "principal", "", *values, api_name="/slider_image")
    if kind == "card":
        return client.predict(model["name"], api_name="/model_card")
    start, end = (1, 2) if identical else (seed(), seed())
    return client.predict(model["name"], start, end, cls, cls, 16, "slerp", "", api_name="/interpolate")


def check_files(result) -> None:
    """Decode every returned PNG/GIF to its last frame: a truncated file raises."""
    from gan.sampling.images import decode_all_frames

    for value in result if isinstance(result, (tuple, list)) else [result]:
        if isinstance(value, str) and value.endswith((".png", ".gif")):
            decode_all_frames(value)


def run_users(url: str, users: int, requests: int | None, deadline: float | None,
              identical: float) -> tuple[list[float], int]:
    from gradio_client import Client

    latencies, errors, lock = [], [0], threading.Lock()
    downloads = tempfile.mkdtemp(prefix="gan-load-")

    def user(i: int) -> None:
        rng = random.Random(i)
        # One download folder per user: identical answers must not collide on the client side either.
        client = Client(url, verbose=False, download_files=os.path.join(downloads, str(i)))
        models = client.predict(api_name="/models")
        done = 0
        while (requests is None or done < requests) and (deadline is None or time.time() < deadline):
            t0 = time.perf_counter()
            same = rng.random() < identical
            try:
                check_files(one_request(client, models[0] if same else rng.choice(models), rng, same))
                with lock:
                    latencies.append(time.perf_counter() - t0)
            except Exception as e:
                with lock:
                    errors[0] += 1
                    if errors[0] <= 3:
                        print(f"error: {type(e).__name__}: {e}", flush=True)
            done += 1
            if done % 50 == 0:  # the client keeps every download: clear them so the soak does not fill the disk
                shutil.rmtree(os.path.join(downloads, str(i)), ignore_errors=True)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def report(name: str, latencies: list[float], errors: int, seconds: float) -> None:
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    print(f"{name}: {len(latencies)} requests in {seconds:.1f} s = {len(latencies) / seconds:.1f} req/s; "
          f"latency p50 {1000 * q[49]:.0f} ms, p95 {1000 * q[94]:.0f} ms, p99 {1000 * q[98]:.0f} ms; errors {errors}")


def soak(url: str, pid: int, args) -> None:
    """Users loop until the time is up; RSS printed every minute (flushed: a long run can be watched)."""
    minutes: list[tuple[float, float]] = []
    start = time.time()
    stop = start + 60 * args.soak_minutes

    def sample_rss():
        while time.time() < stop:
            minutes.append(((time.time() - start) / 60, rss_mb(pid)))
            print(f"soak minute {minutes[-1][0]:5.1f}: server RSS {minutes[-1][1]:.0f} MB", flush=True)
            time.sleep(min(60, max(0, stop - time.time())))
        minutes.append(((time.time() - start) / 60, rss_mb(pid)))

    sampler = threading.Thread(target=sample_rss)
    sampler.start()
    latencies, errors = run_users(url, args.users, None, stop, args.identical)
    sampler.join()
    report(f"soak ({args.soak_minutes:g} min, {args.identical:.0%} identical)", latencies, errors, time.time() - start)
    tail = [rss for m, rss in minutes if m >= minutes[-1][0] - 20]
    print(f"server RSS during soak: first {minutes[0][1]:.0f} MB, max {max(r for _, r in minutes):.0f} MB, "
          f"last {minutes[-1][1]:.0f} MB; last 20 minutes: {min(tail):.0f}-{max(tail):.0f} MB "
          f"(growth {tail[-1] - tail[0]:+.0f} MB)")
    if args.rss_plot:
        from gan.sampling.images import png_bytes
        from gan.sampling.plots import line_chart

        chart = line_chart({"server RSS": ([m for m, _ in minutes], [r for _, r in minutes])},
                           title=f"RSS under load: {args.users} users, {args.identical:.0%} identical requests",
                           x_label="minute", y_label="MB")
        Path(args.rss_plot).write_bytes(png_bytes(chart))
        print(f"wrote {args.rss_plot}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    ap.add_argument("--url", help="load an app that is already running (e.g. the container) instead of starting one")
    ap.add_argument("--pid", type=int, help="with --url: the server's process id, for RSS (optional)")
    ap.add_argument("--users", type=int, default=32)
    ap.add_argument("--requests", type=int, default=10, help="per user, in the burst")
    ap.add_argument("--identical", type=float, default=0.5,
                    help="share of requests that are the page's default ones, the same for every user (default 0.5)")
    ap.add_argument("--soak-minutes", type=float, default=0, help="0 skips the soak")
    ap.add_argument("--rss-plot", help="write the soak's RSS-vs-time chart to this PNG")
    ap.add_argument("--concurrency", type=int, default=2)
    args = ap.parse_args()
    proc, url, pid = None, args.url, args.pid
    if url is None:
        proc, url = start_app(args.checkpoints, args.concurrency)
        pid = proc.pid
    try:
        time.sleep(3)  # let start-up work (principal directions) finish before measuring memory
        rss_start = rss_mb(pid) if pid else float("nan")
        t0 = time.time()
        latencies, errors = run_users(url, args.users, args.requests, None, args.identical)
        report(f"burst ({args.users} users x {args.requests}, {args.identical:.0%} identical)", latencies, errors,
               time.time() - t0)
        if pid:
            print(f"server RSS: {rss_start:.0f} MB at start, {rss_mb(pid):.0f} MB after the burst")
        if args.soak_minutes:
            if not pid:
                raise SystemExit("--soak-minutes with --url needs --pid (the soak measures the server's memory)")
            soak(url, pid, args)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
