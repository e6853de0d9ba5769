"""The app's memory with and without the nearest-neighbour indexes (issue #25's memory figure).

    python bench/app_memory.py --starts 3 [--cold] [--lookups 200]

Starts `python app.py` (shipped checkpoints) `--starts` times as it is, and as many times with the
index build switched off, reads each start's resident memory (VmRSS, and its anonymous and
file-backed parts) --settle seconds after start (indexed starts also wait for both indexes), and
prints them and the medians. --cold gives every indexed start a fresh, empty index cache, so the
figure includes a first-start build (made in a child process). --lookups N then sends N /neighbours
requests from 8 clients at once to each indexed start (MNIST and Fashion models in turn) and reads
its memory again: what traffic adds. Start-to-start noise can be tens of MB: compare medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WITHOUT_INDEX = ("import sys, studio.neighbours as n; n.NeighbourIndexes.build_all = lambda self, datasets=None: None; "
                 "import app; app.main(sys.argv[1:])")
PORT = 7871
CLIENTS = 8


def memory_mb(pid: int) -> tuple[float, float, float]:
    """(VmRSS, its anonymous part, its file-backed part) in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return tuple(int(status[key].split()[0]) / 1024 for key in ("VmRSS", "RssAnon", "RssFile"))


def send_lookups(n: int) -> None:
    from gradio_client import Client
    clients = [Client(f"http://127.0.0.1:{PORT}/", verbose=False) for _ in range(CLIENTS)]
    models = ["mnist-dcgan", "fashion-dcgan"]

    def lookup(i: int) -> None:
        clients[i % CLIENTS].predict(models[i % 2], i, "", 1.0, "", api_name="/neighbours")

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lookup, range(n)))


def measure_start(command: list[str], env: dict, settle: float, log: Path, indexes: bool,
                  lookups: int = 0) -> list[tuple[float, float, float]]:
    """Memory `settle` seconds after start (start-up work such as the sliders' principal directions
    runs in the background, so both kinds of start are read at the same age), and not before an
    indexed start has both indexes; then again after `lookups` neighbour requests, if any."""
    with open(log, "w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        started = time.time()
        while time.time() - started < settle or (indexes and log.read_text().count("index ready") < 2):
            if time.time() - started > 600:
                raise SystemExit(f"the indexes were not ready after 10 minutes; see {log}")
            time.sleep(1)
        readings = [memory_mb(proc.pid)]
        if lookups:
            send_lookups(lookups)
            readings.append(memory_mb(proc.pid))
        return readings
    finally:
        proc.terminate()
        proc.wait()


def report(name: str, values: list[tuple[float, float, float]]) -> float:
    rss, anon, file = zip(*values)
    print(f"{name}: RSS {', '.join(f'{v:.0f}' for v in rss)} MB; median {statistics.median(rss):.0f} MB "
          f"(anonymous {', '.join(f'{v:.0f}' for v in anon)}; file-backed {', '.join(f'{v:.0f}' for v in file)})")
    return statistics.median(rss)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--settle", type=float, default=45, help="seconds after start at which memory is read")
    ap.add_argument("--cold", action="store_true", help="an empty index cache for every indexed start")
    ap.add_argument("--lookups", type=int, default=0, help="neighbour requests sent to each indexed start")
    args = ap.parse_args()
    log = Path(tempfile.mkdtemp()) / "app.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    app_args = ["--port", str(PORT), "--runs-dir", tempfile.mkdtemp(prefix="gan-runs-")]  # no models from earlier live runs
    indexed, without = [], []
    for _ in range(args.starts):
        cache = {"GAN_CACHE_DIR": tempfile.mkdtemp(prefix="gan-index-")} if args.cold else {}
        indexed.append(measure_start([sys.executable, "app.py", *app_args], {**env, **cache},
                                     args.settle, log, indexes=True, lookups=args.lookups))
        without.append(measure_start([sys.executable, "-c", WITHOUT_INDEX, *app_args], env,
                                     args.settle, log, indexes=False)[0])
    with_median = report("with indexes", [r[0] for r in indexed])
    without_median = report("without", without)
    print(f"the indexes add {with_median - without_median:.0f} MB (medians{', first-start builds' if args.cold else ''})")
    if args.lookups:
        after = report(f"with indexes, after {args.lookups} lookups from {CLIENTS} clients", [r[1] for r in indexed])
        print(f"the lookups add {after - with_median:.0f} MB (medians)")


if __name__ == "__main__":
    main()
