"""Bounded load test of `python app.py` on loopback: concurrent gradio_client users, mixed requests.

    python bench/load.py [--users 32] [--requests 10] [--soak-seconds 300] [--checkpoints checkpoints]

Starts the app on a free 127.0.0.1 port, then
1. burst: U users (threads, one Client each) make R mixed requests each (sample 64 / slider /
   16-frame interpolation); reports throughput, p50/p95/p99 latency and errors;
2. soak (optional): the same users loop until the time is up; server RSS is sampled every
   10 s to show memory does not grow.
Every loop is bounded in count or time, and only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_app(checkpoints: str, concurrency: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--checkpoints", checkpoints, "--port", str(port),
                             "--concurrency", str(concurrency)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("app did not start")


def one_request(client, model: dict, rng: random.Random) -> None:
    cls = model["classes"][rng.randrange(len(model["classes"]))] if model["classes"] else None
    kind = rng.choice(("sample", "slider", "interpolate"))
    if kind == "sample":
        client.predict(model["name"], rng.randrange(10_000), 64, 1.0, cls or "All classes", api_name="/sample")
    elif kind == "slider":
        values = [round(rng.uniform(-3, 3), 1) for _ in range(8)]
        client.predict(model["name"], rng.randrange(10_000), cls, "principal", *values, api_name="/slider_image")
    else:
        client.predict(model["name"], rng.randrange(10_000), rng.randrange(10_000), cls, cls, 16, "slerp", "",
                       api_name="/interpolate")


def run_users(url: str, users: int, requests: int | None, deadline: float | None) -> tuple[list[float], int]:
    from gradio_client import Client

    latencies, errors, lock = [], [0], threading.Lock()

    def user(i: int) -> None:
        rng = random.Random(i)
        client = Client(url, verbose=False)
        models = client.predict(api_name="/models")
        done = 0
        while (requests is None or done < requests) and (deadline is None or time.time() < deadline):
            t0 = time.perf_counter()
            try:
                one_request(client, rng.choice(models), rng)
                with lock:
                    latencies.append(time.perf_counter() - t0)
            except Exception:
                with lock:
                    errors[0] += 1
            done += 1

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    ap.add_argument("--users", type=int, default=32)
    ap.add_argument("--requests", type=int, default=10, help="per user, in the burst")
    ap.add_argument("--soak-seconds", type=float, default=0, help="0 skips the soak")
    ap.add_argument("--concurrency", type=int, default=2)
    args = ap.parse_args()
    proc, url = start_app(args.checkpoints, args.concurrency)
    try:
        time.sleep(3)  # let start-up work (principal directions) finish before measuring memory
        rss_start = rss_mb(proc.pid)
        t0 = time.time()
        latencies, errors = run_users(url, args.users, args.requests, None)
        report(f"burst ({args.users} users x {args.requests})", latencies, errors, time.time() - t0)
        rss_burst = rss_mb(proc.pid)
        print(f"server RSS: {rss_start:.0f} MB at start, {rss_burst:.0f} MB after the burst")
        if args.soak_seconds:
            samples, stop = [], time.time() + args.soak_seconds

            def sample_rss():
                while time.time() < stop:
                    samples.append(rss_mb(proc.pid))
                    time.sleep(10)

            sampler = threading.Thread(target=sample_rss)
            sampler.start()
            t0 = time.time()
            latencies, errors = run_users(url, args.users, None, stop)
            sampler.join()
            report(f"soak ({args.soak_seconds:.0f} s)", latencies, errors, time.time() - t0)
            print(f"server RSS during soak: first {samples[0]:.0f} MB, max {max(samples):.0f} MB, "
                  f"last {samples[-1]:.0f} MB (growth {samples[-1] - samples[0]:+.0f} MB)")
            print("RSS every 10 s (MB): " + " ".join(f"{v:.0f}" for v in samples))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
