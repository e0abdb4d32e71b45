"""The HTTP API with the tiny offline model: answers, bad requests, micro-batching, the CLI."""

import asyncio
import json
import socket
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from cli_errors import error_line
from nerkit.cli import main
from nerkit.serve import MicroBatcher, create_app
from nerkit.tagger import Tagger


@pytest.fixture(scope="module")
def tagger(trained_tiny):
    return Tagger(trained_tiny)


@pytest.fixture(scope="module")
def client(tagger):
    with TestClient(create_app(tagger, max_chars=500)) as c:
        yield c


def test_one_text(client, tagger):
    text = "Barack Obama visited Paris."
    r = client.post("/entities", json={"text": text})
    assert r.status_code == 200
    entities = r.json()["entities"]
    assert entities == tagger(text)
    assert entities and all(text[e["start"]:e["end"]] == e["text"] for e in entities)


def test_several_texts_in_order(client, tagger):
    texts = ["Merkel met Obama in Berlin.", "", "Google opened an office in London."]
    r = client.post("/entities", json={"texts": texts})
    assert r.status_code == 200
    assert r.json()["entities"] == tagger(texts)
    assert client.post("/entities", json={"texts": []}).json() == {"entities": []}


def test_offsets_are_code_points_through_json(client):
    text = "🙂👍🏽 Obama visited Paris."
    entities = client.post("/entities", json={"text": text}).json()["entities"]
    assert entities and all(text[e["start"]:e["end"]] == e["text"] for e in entities)


def test_empty_text_is_no_error(client):
    for body in ({"text": ""}, {"text": " \n\t"}):
        r = client.post("/entities", json=body)
        assert r.status_code == 200 and r.json() == {"entities": []}


def test_health_page_and_schema(client):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["labels"] == ["LOC", "MISC", "ORG", "PER"]
    assert health["max_chars"] == 500
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="text"' in page.text and 'id="tag"' in page.text and "/entities" in page.text
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/entities"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"text", "texts"}
    assert "/health" in schema["paths"]


def _bad_requests():
    long = "Obama " * 100  # 600 characters, over the client's limit of 500
    return [
        # (what, request keyword arguments, status, words the message must hold)
        ("over the limit", {"json": {"text": long}}, 413, ["500", "600"]),
        ("texts over the limit together", {"json": {"texts": [long[:300], long[:300]]}}, 413, ["500", "600"]),
        ("body over the byte limit", {"content": b'{"text": "' + b"a" * 80_000 + b'"}'}, 413, ["bytes"]),
        ("malformed JSON", {"content": b'{"text": "Obama'}, 422, ["JSON"]),
        ("not an object", {"content": b'["Obama"]'}, 422, []),
        ("a mistyped field", {"json": {"text": 5}}, 422, ["text"]),
        ("a mistyped list item", {"json": {"texts": ["ok", 5]}}, 422, ["texts"]),
        ("an unknown field", {"json": {"txt": "Obama"}}, 422, ["txt"]),
        ("no field", {"json": {}}, 422, ["'text'", "'texts'"]),
        ("both fields", {"json": {"text": "a", "texts": ["b"]}}, 422, ["'text'", "'texts'"]),
        ("not UTF-8", {"content": b'{"text": "Ob\xe4ma"}'}, 400, ["UTF-8"]),
        ("not UTF-8 at all", {"content": b"\xff\xfe\x00"}, 400, ["UTF-8"]),
    ]


@pytest.mark.parametrize("what,request_args,status,words", _bad_requests(), ids=[b[0] for b in _bad_requests()])
def test_bad_requests_get_a_status_and_a_message_and_the_server_carries_on(client, what, request_args, status, words):
    r = client.post("/entities", headers={"content-type": "application/json"}, **request_args)
    assert r.status_code == status, r.text
    message = json.dumps(r.json()["detail"])
    for word in words:
        assert word in message
    if status == 422:
        assert all(d["loc"][0] == "body" and d["msg"] for d in r.json()["detail"])
    ok = client.post("/entities", json={"text": "Obama visited Paris."})
    assert ok.status_code == 200 and ok.json()["entities"]


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
    app = create_app(stub, max_texts=8, max_wait_ms=20)
    bodies = [{"text": f"text {i}"} for i in range(20)] + [{"texts": ["a", "b", "c"]}]
    responses = asyncio.run(_post_all(app, bodies))
    assert all(r.status_code == 200 for r in responses)
    for body, r in zip(bodies, responses):
        if "text" in body:
            assert r.json()["entities"] == [{"text": body["text"], "label": "X", "start": 0, "end": len(body["text"]), "score": 1.0}]
        else:
            assert [e[0]["text"] for e in r.json()["entities"]] == ["a", "b", "c"]
    assert sum(len(c) for c in stub.calls) == 23  # every text tagged exactly once
    assert len(stub.calls) < 21 and max(len(c) for c in stub.calls) > 1  # fewer model calls than requests
    assert all(len(c) <= 8 for c in stub.calls)  # never more than max_texts together
    stats = app.state.batcher.stats
    assert stats["requests"] == 21 and stats["texts"] == 23 and stats["largest_batch"] > 1


def test_a_request_that_breaks_its_batch_fails_alone():
    stub = SlowRecordingTagger()
    app = create_app(stub, max_texts=8, max_wait_ms=20)
    responses = asyncio.run(_post_all(app, [{"text": "one"}, {"text": "boom"}, {"text": "two"}]))
    assert [r.status_code for r in responses] == [200, 500, 200]
    assert "boom" in responses[1].json()["detail"]
    assert responses[2].json()["entities"][0]["text"] == "two"


def test_micro_batcher_options_are_checked():
    with pytest.raises(ValueError, match="max_texts"):
        MicroBatcher(lambda t: t, max_texts=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        MicroBatcher(lambda t: t, max_wait_ms=-1)
    with pytest.raises(ValueError, match="max_chars"):
        create_app(lambda t: t, max_chars=0)


# ---------------------------------------------------------------- the serve command


def test_serve_needs_an_existing_model(capsys, tmp_path):
    err = error_line(capsys, ["serve", "--model", str(tmp_path / "none"), "--port", "0"])
    assert "does not exist" in err


def test_serve_reports_a_taken_port(capsys, trained_tiny, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        err = error_line(capsys, ["serve", "--model", str(tmp_path), "--port", str(port)])
    assert str(port) in err and "--port" in err


@pytest.mark.parametrize("option,value", [("--max-chars", "0"), ("--max-batch", "0"), ("--max-wait-ms", "-1"), ("--port", "70000")])
def test_serve_checks_its_options(capsys, tmp_path, option, value):
    err = error_line(capsys, ["serve", "--model", str(tmp_path), option, value])
    assert option in err


def test_serve_runs_on_loopback_and_answers(trained_tiny, tmp_path):
    """`nerkit serve` in this process (a thread), on a free loopback port."""
    import uvicorn

    trained_tiny.save(tmp_path / "model")
    started = {}
    original_run = uvicorn.Server.run

    def run(self, sockets=None):
        started["server"], started["port"] = self, sockets[0].getsockname()[1]
        return original_run(self, sockets=sockets)

    uvicorn.Server.run = run
    try:
        thread = threading.Thread(target=main, args=(["serve", "--model", str(tmp_path / "model"), "--port", "0"],), daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not getattr(started.get("server"), "started", False):
            time.sleep(0.05)
        base = f"http://127.0.0.1:{started['port']}"
        assert httpx.get(f"{base}/health", timeout=10).json()["status"] == "ok"
        r = httpx.post(f"{base}/entities", json={"text": "Obama visited Paris."}, timeout=10)
        assert r.status_code == 200 and r.json()["entities"]
    finally:
        uvicorn.Server.run = original_run
        if "server" in started:
            started["server"].should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()
