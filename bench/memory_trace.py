"""Where does the server's memory go under load? tracemalloc snapshots diffed over a run.

    python bench/memory_trace.py [--minutes 10] [--users 16] [--identical 0.5] [--top 15]

Starts the app in this process (so tracemalloc sees its allocations) on a free 127.0.0.1 port,
loads it from a subprocess running bench/load.py's users (their allocations stay out of the
snapshots), takes a snapshot after a warm-up minute and one at the end, and prints the call
sites whose Python-heap allocations grew most, with RSS, the number of files in the app's output
folder and the size of Gradio's per-block file sets. Native allocations (torch's, glibc's
arenas) are not traced: RSS growth beyond the traced growth is theirs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from load import rss_mb

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--users", type=int, default=16)
    ap.add_argument("--identical", type=float, default=0.5)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()

    import os
    import socket

    import app as gan_app

    tracemalloc.start(12)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    registry = gan_app.ModelRegistry(args.checkpoints)
    studio = gan_app.Studio(registry, gan_app.OutputFiles.in_gradio_cache())
    demo = gan_app.build_app(studio)
    demo.queue(default_concurrency_limit=2, max_size=64)
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    users = subprocess.Popen([sys.executable, str(ROOT / "bench" / "load.py"), "--url", url, "--users", str(args.users),
                              "--requests", str(10 ** 6), "--identical", str(args.identical)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid = os.getpid()
    try:
        time.sleep(60)
        first, t0, readings = tracemalloc.take_snapshot(), time.time(), []
        while time.time() < t0 + 60 * (args.minutes - 1):
            time.sleep(30)
            readings.append(rss_mb(pid))  # between the snapshots: a snapshot itself costs RSS
            print(f"{(time.time() - t0) / 60 + 1:5.1f} min: RSS {readings[-1]:.0f} MB, traced "
                  f"{tracemalloc.get_traced_memory()[0] / 2**20:.1f} MB", flush=True)
        last = tracemalloc.take_snapshot()
    finally:
        users.terminate()
        users.wait(timeout=30)
    diff = [d for d in last.compare_to(first, "traceback") if d.size_diff > 0]
    traced = sum(d.size_diff for d in last.compare_to(first, "filename")) / 2**20
    print(f"\nover {args.minutes - 1:g} minutes: RSS {readings[0]:.0f} -> {readings[-1]:.0f} MB "
          f"({readings[-1] - readings[0]:+.0f}, from the first to the last reading between the snapshots), "
          f"traced Python heap {traced:+.1f} MB")
    outputs = list(studio.outputs.folder.rglob("*.*"))
    temp_files = sum(len(s) for s in demo.temp_file_sets)
    print(f"output files on disk: {len(outputs)}; paths in Gradio's temp_file_sets: {temp_files}")
    print(f"\ntop {args.top} growing allocation sites:")
    for d in diff[: args.top]:
        frames = [f"{Path(f.filename).name}:{f.lineno}" for f in d.traceback[-4:]]
        print(f"  {d.size_diff / 1024:+9.1f} KiB {d.count_diff:+7d} blocks  {' <- '.join(reversed(frames))}")
    demo.close()


if __name__ == "__main__":
    main()
