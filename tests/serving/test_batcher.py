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
