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
import tempfile
import time
from pathlib import Path

from load import start_app  # bench/ is on the path when run as a script

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
    args = ap.parse_args()
    proc, _ = start_app(str(ROOT / "checkpoints"), GRADIO_TEMP_DIR=tempfile.mkdtemp())
    try:
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
