"""Fair micro-batching: many concurrent requests, short shared model calls, big requests a part at a time.

>>> import asyncio
>>> batcher = MicroBatcher(lambda texts: [len(t) for t in texts])
>>> asyncio.run(batcher(["ab", "c"]))
[2, 1]

Why: a model call costs much the same for one short text as for a dozen, so concurrent
requests are worth running together; but a call over a whole 100,000-character request
would keep every other request waiting for as long as it runs. So each request is cut into
small units (sentences, :mod:`nerkit.serving.work`), and every model call takes units
*round-robin* from all the requests in progress, one each in turn, until it holds
``max_units`` units or ``max_cost`` words. A short request therefore rides in the next call
whatever else is running, and waits at most about two calls; a long one advances a share of
every call and finishes when its last unit has run.

One worker waits ``max_wait_ms`` for company (unless a call's worth of units is already
waiting), runs the call on a worker thread (so the event loop keeps accepting requests) and
hands each request its results once all its units are done. Cutting and joining (sentence
splitting, entities) run on other threads, so a long text being cut never holds up calls,
nor a short text's cutting.

Bounds: at most ``max_queue`` requests are in progress (one more raises :class:`QueueFull`);
a caller that stops waiting (a time limit: ``asyncio.wait_for``) withdraws its request, whose
remaining units are never run. If a call fails, each request in it is run alone, so only a
request that itself breaks the model fails.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .work import Plan, work_for

__all__ = ["MicroBatcher", "QueueFull"]


class QueueFull(Exception):
    """Raised for a request when ``max_queue`` requests are already in progress."""


@dataclass(eq=False)
class _Job:
    """One request in progress: its plan, its units' results so far, who waits for them."""

    plan: Plan
    future: asyncio.Future
    next: int = 0  # its next unit to put in a call
    done: int = 0  # its units that have run
    results: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.results = [None] * len(self.plan.units)

    @property
    def withdrawn(self) -> bool:
        return self.future.done()


class MicroBatcher:
    """Runs a :mod:`~nerkit.serving.work` (or any ``tag(texts) -> results``) for many concurrent
    callers in short, shared, round-robin calls; see the module docstring."""

    def __init__(
        self,
        work,
        max_units: int = 32,
        max_cost: int = 256,
        max_wait_ms: float = 5.0,
        max_queue: int = 1024,
    ):
        # The limits are ServeOptions' (nerkit.serving.app), checked there.
        self.work = work_for(work)
        self.max_units, self.max_cost, self.max_queue = max_units, max_cost, max_queue
        self.max_wait = max_wait_ms / 1000
        self.stats = {"requests": 0, "texts": 0, "units": 0, "batches": 0, "largest_batch": 0, "refused": 0}
        self.in_progress = 0
        self._ready: deque[_Job] = deque()  # jobs with units not yet in a call, in round-robin order
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._wakeup: asyncio.Event | None = None
        # One thread for model calls (they use every core already), others for cutting and joining.
        self._executor: ThreadPoolExecutor | None = None
        self._helper: ThreadPoolExecutor | None = None

    async def __call__(self, texts: list[str]) -> list:
        if self.in_progress >= self.max_queue:
            self.stats["refused"] += 1
            raise QueueFull(f"{self.in_progress} requests are in progress, the most this server takes")
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._start(loop)
        self.in_progress += 1
        job = None
        try:
            plan = await self._on_helper(self.work.split, list(texts))
            self.stats["requests"] += 1
            self.stats["texts"] += len(plan.texts)
            if not plan.units:
                return await self._on_helper(self.work.join, plan, [])
            job = _Job(plan, loop.create_future())
            self._ready.append(job)
            self._wakeup.set()
            results = await job.future
            return await self._on_helper(self.work.join, plan, results)
        finally:
            self.in_progress -= 1
            if job is not None and not job.future.done():
                job.future.cancel()  # withdrawn (the caller's time limit): its units are skipped

    def _on_helper(self, fn: Callable, *args):
        return asyncio.get_running_loop().run_in_executor(self._helper, fn, *args)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        # (Re)start on the running loop: a test client may run each request on a new one.
        self._loop = loop
        self._ready = deque()
        self._wakeup = asyncio.Event()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nerkit-tagger")
            # Several, so a short request is never cut behind a long one (they share the GIL in turns).
            self._helper = ThreadPoolExecutor(max_workers=4, thread_name_prefix="nerkit-split")
        self._task = loop.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for job in self._ready:
            job.future.cancel()
        self._ready, self._task = deque(), None
        for executor in (self._executor, self._helper):
            if executor is not None:
                executor.shutdown(wait=False)
        self._executor = self._helper = None

    def _waiting_units(self) -> int:
        return sum(len(job.plan.units) - job.next for job in self._ready)

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            if self.max_wait and self._waiting_units() < self.max_units:
                await asyncio.sleep(self.max_wait)  # let concurrent requests join this call
            batch = self._take()
            if not self._ready:
                self._wakeup.clear()
            if batch:
                await self._process(batch)

    def _take(self) -> list[tuple[_Job, int]]:
        """Units for one call, one per request in turn, within ``max_units`` and ``max_cost``."""
        batch: list[tuple[_Job, int]] = []
        cost = 0
        while self._ready and len(batch) < self.max_units:
            job = self._ready[0]
            if job.withdrawn:
                self._ready.popleft()
                continue
            unit_cost = job.plan.costs[job.next]
            if batch and cost + unit_cost > self.max_cost:
                break  # this job goes first in the next call
            batch.append((job, job.next))
            cost += unit_cost
            job.next += 1
            self._ready.popleft()
            if job.next < len(job.plan.units):
                self._ready.append(job)  # to the back: the others take their turn first
        return batch

    async def _process(self, batch: list[tuple[_Job, int]]) -> None:
        self.stats["units"] += len(batch)
        self.stats["batches"] += 1
        self.stats["largest_batch"] = max(self.stats["largest_batch"], len(batch))
        loop = asyncio.get_running_loop()
        units = [job.plan.units[i] for job, i in batch]
        try:
            results = await loop.run_in_executor(self._executor, self.work.run, units)
        except Exception as exc:
            jobs = list(dict.fromkeys(job for job, _ in batch))
            if len(jobs) == 1:  # reported to this request only; its other units are skipped
                self._ready = deque(j for j in self._ready if j is not jobs[0])
                if not jobs[0].future.done():
                    jobs[0].future.set_exception(exc)
                return
            # Some request's units broke the call: run each request's alone so only that one fails.
            for job in jobs:
                await self._process([item for item in batch if item[0] is job])
            return
        for (job, i), result in zip(batch, results):
            job.results[i] = result
            job.done += 1
            if job.done == len(job.results) and not job.future.done():
                job.future.set_result(job.results)
