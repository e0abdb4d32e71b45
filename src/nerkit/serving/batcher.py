"""Micro-batching: many concurrent callers, one model call per batch.

>>> import asyncio
>>> batcher = MicroBatcher(lambda texts: [len(t) for t in texts])
>>> asyncio.run(batcher(["ab", "c"]))
[2, 1]

Why: a model call costs much the same for one short text as for a dozen, so concurrent
requests are worth running together. Each request's texts join a list; a single worker
waits ``max_wait_ms`` for company (or until ``max_texts`` texts are waiting), tags them all
in one call on a worker thread (so the event loop keeps accepting requests meanwhile), and
hands each request its own results. While one batch runs, the next one gathers by itself,
so under load batches grow and the wait costs nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["MicroBatcher"]


class MicroBatcher:
    """Runs ``tag(texts) -> results`` for many concurrent callers in shared batches."""

    def __init__(self, tag: Callable[[list[str]], list], max_texts: int = 32, max_wait_ms: float = 5.0):
        # The limits are ServeOptions' (nerkit.serving.app), checked there.
        self.tag = tag
        self.max_texts = max_texts
        self.max_wait = max_wait_ms / 1000
        self.stats = {"requests": 0, "texts": 0, "batches": 0, "largest_batch": 0}
        self._pending: list[tuple[list[str], asyncio.Future]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._wakeup: asyncio.Event | None = None
        # One thread: model calls run one at a time (they use every core already).
        self._executor: ThreadPoolExecutor | None = None

    async def __call__(self, texts: list[str]) -> list:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._start(loop)
        future = loop.create_future()
        self._pending.append((list(texts), future))
        self._wakeup.set()
        return await future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        # (Re)start on the running loop: a test client may run each request on a new one.
        self._loop = loop
        self._pending = []
        self._wakeup = asyncio.Event()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nerkit-tagger")
        self._task = loop.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for _, future in self._pending:
            if not future.done():
                future.cancel()
        self._pending, self._task = [], None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            if sum(len(t) for t, _ in self._pending) < self.max_texts and self.max_wait:
                await asyncio.sleep(self.max_wait)  # let concurrent requests join this batch
            batch, count = [], 0
            while self._pending and (not batch or count + len(self._pending[0][0]) <= self.max_texts):
                item = self._pending.pop(0)
                batch.append(item)
                count += len(item[0])
            if not self._pending:
                self._wakeup.clear()
            await self._process(batch, count)

    async def _process(self, batch, count: int) -> None:
        self.stats["requests"] += len(batch)
        self.stats["texts"] += count
        self.stats["batches"] += 1
        self.stats["largest_batch"] = max(self.stats["largest_batch"], count)
        texts = [t for item, _ in batch for t in item]
        if len(batch) == 1:
            await self._process_alone(batch[0])
            return
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self._executor, self.tag, texts)
        except Exception:
            # Some request's texts broke the batch: run each alone so only that one fails.
            for item in batch:
                await self._process_alone(item)
            return
        position = 0
        for item, future in batch:
            if not future.done():
                future.set_result(results[position : position + len(item)])
            position += len(item)

    async def _process_alone(self, item) -> None:
        texts, future = item
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._executor, self.tag, texts)
        except Exception as exc:  # reported to this request only
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)
