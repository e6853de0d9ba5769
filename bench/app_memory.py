"""The app's memory with and without the nearest-neighbour indexes (issue #25's memory figure).

    python bench/app_memory.py --starts 3 [--cold]

Starts `python app.py` (shipped checkpoints) `--starts` times as it is, and as many times with the
index build switched off, reads each start's resident memory (VmRSS) --settle seconds after start
(indexed starts also wait for both indexes), and prints them and the medians. --cold gives every indexed start a fresh, empty index cache,
so the figure includes a first-start build (made in a child process). Start-to-start noise is tens
of MB: compare medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WITHOUT_INDEX = ("import sys, studio.neighbours as n; n.NeighbourIndexes.build_in_background = lambda self: None; "
                 "import app; app.main(sys.argv[1:])")


def rss_after_start(command: list[str], env: dict, settle: float, log: Path, indexes: bool) -> float:
    """VmRSS `settle` seconds after start (start-up work such as the sliders' principal directions
    runs in the background, so both kinds of start are read at the same age), and not before an
    indexed start has both indexes."""
    with open(log, "w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        started = time.time()
        while time.time() - started < settle or (indexes and log.read_text().count("index ready") < 2):
            if time.time() - started > 600:
                raise SystemExit(f"the indexes were not ready after 10 minutes; see {log}")
            time.sleep(1)
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--settle", type=float, default=45, help="seconds after start at which memory is read")
    ap.add_argument("--cold", action="store_true", help="an empty index cache for every indexed start")
    args = ap.parse_args()
    port = "7871"
    log = Path(tempfile.mkdtemp()) / "app.log"
    results = {"with indexes": [], "without": []}
    for _ in range(args.starts):
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
        if args.cold:
            env["GAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="gan-index-")
        results["with indexes"].append(rss_after_start([sys.executable, "app.py", "--port", port], env,
                                                       args.settle, log, indexes=True))
        results["without"].append(rss_after_start([sys.executable, "-c", WITHOUT_INDEX, "--port", port],
                                                  {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}, args.settle,
                                                  log, indexes=False))
    for name, values in results.items():
        print(f"{name}: RSS {', '.join(f'{v:.0f}' for v in values)} MB; median {statistics.median(values):.0f} MB")
    extra = statistics.median(results["with indexes"]) - statistics.median(results["without"])
    print(f"the indexes add {extra:.0f} MB (medians{', first-start builds' if args.cold else ''})")


if __name__ == "__main__":
    main()
