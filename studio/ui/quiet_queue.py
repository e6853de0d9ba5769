"""Gradio's request queue, made to sleep while there is nothing to do.

Gradio 6.31's queue polls (gradio/queueing.py): with nothing waiting, its dispatch loop wakes every
1 ms and its progress loop every 10 ms. An app with no visitor at all spent 5% of a core in its
event loop thread (1.64 CPU-seconds in 30 s from /proc/PID/task/*/stat; strace showed epoll_wait
with a 1 ms timeout back to back). Here both loops wait on an asyncio.Event instead, set when a
request is queued and when one ends, so an idle app sleeps and a request starts as soon as it
arrives. A 1-second timeout on the wait is the safety net for any wake-up path Gradio adds later.

The two loops are Gradio's own, with the sleeps replaced; `quieten(demo)` swaps the class of the
queue `demo.queue()` made. bench/idle_cpu.py measures it; tests/test_idle.py checks it.
"""

from __future__ import annotations

import asyncio
import time

from gradio.queueing import Queue, run_coro_in_background, set_task_name

SAFETY_WAKE_S = 1.0
PROGRESS_EVERY_S = 0.01  # while a request runs, as Gradio does


class QuietQueue(Queue):
    def _wake(self, loop: str) -> asyncio.Event:
        """One event per loop ("dispatch", "progress"), so one loop's wake-up is never the other's."""
        events = self.__dict__.setdefault("_wake_events", {})
        if loop not in events:
            events[loop] = asyncio.Event()
        return events[loop]

    async def _idle(self, loop: str) -> None:
        wake = self._wake(loop)
        try:
            await asyncio.wait_for(wake.wait(), SAFETY_WAKE_S)
        except TimeoutError:
            pass
        wake.clear()

    async def push(self, *args, **kwargs):
        try:
            return await super().push(*args, **kwargs)
        finally:
            self._wake("dispatch").set()

    async def process_events(self, *args, **kwargs):
        self._wake("progress").set()
        try:
            return await super().process_events(*args, **kwargs)
        finally:
            self._wake("dispatch").set()  # a slot is free: a waiting request may start

    async def start_processing(self) -> None:
        try:
            while not self.stopped:
                if len(self) == 0 or None not in self.active_jobs:
                    await self._idle("dispatch")
                    continue
                async with self.delete_lock:
                    event_batch = self.get_events()
                if not event_batch:  # every waiting request's concurrency group is busy
                    await self._idle("dispatch")
                    continue
                events, batch, concurrency_id = event_batch
                self.active_jobs[self.active_jobs.index(None)] = events
                event_queue = self.event_queue_per_concurrency_id[concurrency_id]
                event_queue.current_concurrency += 1
                start_time = time.time()
                fn = events[0].fn
                event_queue.start_times_per_fn[fn].add(start_time)
                for event in events:
                    if (a := self.event_analytics.get(event._id)) is not None:
                        a["status"] = "processing"
                task = run_coro_in_background(self.process_events, events, batch, start_time, fn)
                set_task_name(task, events[0].session_hash, fn._id, events[0]._id, batch)
                self._asyncio_tasks.add(task)
                task.add_done_callback(self._asyncio_tasks.discard)
                if self.live_updates:
                    self.broadcast_estimations(concurrency_id)
        finally:
            self.stopped = True
            self._cancel_asyncio_tasks()

    async def start_progress_updates(self) -> None:
        while not self.stopped:
            events = [evt for job in self.active_jobs if job is not None for evt in job]
            if not events:
                await self._idle("progress")
                continue
            for event in events:
                if event.progress_pending and event.progress:
                    event.progress_pending = False
                    self.send_message(event, event.progress)
            await asyncio.sleep(PROGRESS_EVERY_S)


def quieten(demo) -> None:
    """After demo.queue(): the queue sleeps while idle (see the module docstring)."""
    demo._queue.__class__ = QuietQueue
