"""nerkit.serving.batcher: concurrent requests to the app are tagged together, each gets its
own answer, and a request that breaks its batch fails alone (moved from the old tests/test_serve.py)."""

import asyncio
import threading
import time

import httpx

from nerkit.serving.app import ServeOptions, create_app


class SlowRecordingTagger:
    """Records each batch it is given; 'boom' in a batch raises, like a broken input would."""

    labels = ["X"]

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, texts):
        with self.lock:
            self.calls.append(list(texts))
        if "boom" in texts:
            raise RuntimeError("boom")
        time.sleep(0.05)
        return [[{"text": t, "label": "X", "start": 0, "end": len(t), "score": 1.0}] for t in texts]


async def _post_all(app, bodies):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        return await asyncio.gather(*(c.post("/entities", json=b) for b in bodies))


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer():
    stub = SlowRecordingTagger()
    app = create_app(stub, ServeOptions(max_batch=8, max_wait_ms=20))
    bodies = [{"text": f"text {i}"} for i in range(20)] + [{"texts": ["a", "b", "c"]}]
    responses = asyncio.run(_post_all(app, bodies))
    assert all(r.status_code == 200 for r in responses)
    for body, r in zip(bodies, responses):
        if "text" in body:
            assert r.json()["entities"] == [
                {"text": body["text"], "label": "X", "start": 0, "end": len(body["text"]), "score": 1.0}
            ]
        else:
            assert [e[0]["text"] for e in r.json()["entities"]] == ["a", "b", "c"]
    assert sum(len(c) for c in stub.calls) == 23  # every text tagged exactly once
    assert len(stub.calls) < 21 and max(len(c) for c in stub.calls) > 1  # fewer model calls than requests
    assert all(len(c) <= 8 for c in stub.calls)  # never more than max_batch together
    stats = app.state.batcher.stats
    assert stats["requests"] == 21 and stats["texts"] == 23 and stats["largest_batch"] > 1


def test_a_request_that_breaks_its_batch_fails_alone():
    stub = SlowRecordingTagger()
    app = create_app(stub, ServeOptions(max_batch=8, max_wait_ms=20))
    responses = asyncio.run(_post_all(app, [{"text": "one"}, {"text": "boom"}, {"text": "two"}]))
    assert [r.status_code for r in responses] == [200, 500, 200]
    assert "boom" in responses[1].json()["detail"]
    assert responses[2].json()["entities"][0]["text"] == "two"


class UnitWork:
    """Requests of many unit-sized parts: "big" is 60 units, anything else one; records every call."""

    def __init__(self, pause: float = 0.01):
        self.calls, self.pause = [], pause
        self.lock = threading.Lock()

    def split(self, texts):
        from nerkit.serving.work import Plan

        units = [f"{t}#{k}" for t in texts for k in range(60 if t == "big" else 1)]
        return Plan(list(texts), units=units, costs=[1] * len(units))

    def run(self, units):
        with self.lock:
            self.calls.append(list(units))
        time.sleep(self.pause)
        return [u.upper() for u in units]

    def join(self, plan, results):
        return [len(results)] if plan.texts == ["big"] else results

    def big_units_run(self):
        with self.lock:
            return sum(u.startswith("big") for call in self.calls for u in call)


class GatedWork(UnitWork):
    """A model call finishes only when the test lets it (``gate.release()``): no timing involved."""

    def __init__(self):
        super().__init__(pause=0)
        self.gate = threading.Semaphore(0)

    def run(self, units):
        result = super().run(units)
        self.gate.acquire()
        return result


async def until(condition):
    while not condition():
        await asyncio.sleep(0.001)


def test_a_small_request_is_not_held_behind_a_big_one():
    """A small request queued while the big one's third call runs rides in the very next call,
    beside the big one's units (first come, first served would put it after all 60)."""
    from nerkit.serving.batcher import MicroBatcher

    work = GatedWork()
    batcher = MicroBatcher(work, max_units=4, max_cost=100, max_wait_ms=0)

    async def scenario():
        big = asyncio.create_task(batcher(["big"]))
        try:
            work.gate.release(2)
            await until(lambda: len(work.calls) == 3)  # the third call runs (held at the gate)
            small = asyncio.create_task(batcher(["small"]))
            await until(lambda: batcher.stats["requests"] == 2)  # the small request is queued
            work.gate.release(1)  # the third call ends; the fourth is taken
            await until(lambda: len(work.calls) == 4)
            fourth = list(work.calls[3])
        finally:
            work.gate.release(1000)  # never leave a call held
        return fourth, await small, await big

    fourth, small, big = asyncio.run(scenario())
    assert small == ["SMALL#0"] and big == [60]
    assert "small#0" in fourth and len(fourth) == 4, fourth  # shared with three of the big one's units
    assert max(len(call) for call in work.calls) <= 4


def test_units_are_taken_round_robin_within_the_word_budget():
    """a and b are queued while the big request's first call is held at the gate (no timing
    involved: with a sleep instead of the gate, b sometimes arrived a call late); the next call
    takes one unit of each in turn, within the word budget."""
    from nerkit.serving.batcher import MicroBatcher
    from nerkit.serving.work import Plan

    class Costly(GatedWork):
        def split(self, texts):
            plan = super().split(texts)
            plan.costs = [30] * len(plan.units)
            return plan

    work = Costly()
    batcher = MicroBatcher(work, max_units=32, max_cost=100, max_wait_ms=0)

    async def scenario():
        big = asyncio.create_task(batcher(["big"]))
        try:
            await until(lambda: len(work.calls) == 1)  # the first call runs (held at the gate)
            small = [asyncio.create_task(batcher([t])) for t in ("a", "b")]
            await until(lambda: batcher.stats["requests"] == 3)  # both are queued
            work.gate.release(1)
            await until(lambda: len(work.calls) == 2)
        finally:
            work.gate.release(1000)  # never leave a call held
        return [await big] + [await t for t in small]

    assert asyncio.run(scenario()) == [[60], ["A#0"], ["B#0"]]
    assert all(len(call) <= 3 for call in work.calls)  # 3 x 30 words <= 100 < 4 x 30
    call = work.calls[1]
    assert len(call) == 3 and {"a#0", "b#0"} < set(call), call  # and one unit of the big one
    assert isinstance(work.split(["x"]), Plan)


def test_time_limit_and_queue_limit_over_http():
    """A request over --request-timeout gets 504 and its remaining units never run; one over
    --max-queue gets 503 with Retry-After."""
    work = UnitWork(pause=0.05)
    app = create_app(work, ServeOptions(request_timeout=0.3, max_queue=1, max_batch=1, max_wait_ms=0))

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            big = asyncio.create_task(c.post("/entities", json={"text": "big"}))
            await asyncio.sleep(0.1)
            busy = await c.post("/entities", json={"text": "small"})
            slow = await big
            at_limit = work.big_units_run()
            await asyncio.sleep(0.3)  # six calls' time: any unit still queued would run now
            return busy, slow, work.big_units_run() - at_limit, await c.post("/entities", json={"text": "small"})

    busy, slow, after, later = asyncio.run(scenario())
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1" and "--max-queue" in busy.json()["detail"]
    assert slow.status_code == 504 and "--request-timeout" in slow.json()["detail"]
    assert after <= 1  # withdrawn: at most the call already running finished, the rest were skipped
    assert later.status_code == 200 and later.json()["entities"] == "SMALL#0"
