"""CPU an app with no visitor uses: `python app.py` is started, left alone for its start-up work
(principal directions, graph exports, the runtime fetch, index builds), then its CPU time is read
from /proc over quiet windows, per thread.

    python bench/idle_cpu.py [--settle 60] [--window 30]

Before studio/ui/quiet_queue.py: 1.64 CPU-seconds per 30 s (5.5% of a core), all in the event-loop
thread (Gradio's queue polling every 1 ms). See docs/browser.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def thread_ticks(pid: int) -> dict[int, int]:
    ticks = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            ticks[int(task.name)] = int(fields[11]) + int(fields[12])
        except (OSError, ValueError):
            pass
    return ticks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--settle", type=float, default=60, help="seconds left alone before measuring")
    ap.add_argument("--window", type=float, default=30, help="seconds measured")
    ap.add_argument("--port", type=int, default=7893)
    args = ap.parse_args()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": tempfile.mkdtemp()}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(args.port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(args.settle)
        hz = os.sysconf("SC_CLK_TCK")
        before = thread_ticks(proc.pid)
        time.sleep(args.window)
        after = thread_ticks(proc.pid)
        used = {tid: after[tid] - before.get(tid, 0) for tid in after if after[tid] - before.get(tid, 0) > 0}
        total = sum(used.values()) / hz
        print(f"idle app: {total:.2f} CPU-seconds in {args.window:.0f} s = {100 * total / args.window:.2f}% of a core")
        for tid, ticks in sorted(used.items(), key=lambda kv: -kv[1])[:5]:
            print(f"  thread {tid}{' (main)' if tid == proc.pid else ''}: {ticks / hz:.2f} s")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
