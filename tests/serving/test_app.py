"""nerkit.serving.app: the HTTP API with the tiny offline model: answers, bad requests, options."""

import json

import pytest
from fastapi.testclient import TestClient

from nerkit.errors import ConfigError
from nerkit.inference.tagger import Tagger
from nerkit.serving.app import ServeOptions, create_app


@pytest.fixture(scope="module")
def tagger(trained_tiny):
    return Tagger(trained_tiny)


@pytest.fixture(scope="module")
def client(tagger):
    with TestClient(create_app(tagger, ServeOptions(max_chars=500))) as c:
        yield c


def test_one_text(client, tagger):
    text = "Barack Obama visited Paris."
    r = client.post("/entities", json={"text": text})
    assert r.status_code == 200
    entities = r.json()["entities"]
    assert entities == tagger(text)
    assert entities and all(text[e["start"] : e["end"]] == e["text"] for e in entities)


def test_several_texts_in_order(client, tagger):
    texts = ["Merkel met Obama in Berlin.", "", "Google opened an office in London."]
    r = client.post("/entities", json={"texts": texts})
    assert r.status_code == 200
    assert r.json()["entities"] == tagger(texts)
    assert client.post("/entities", json={"texts": []}).json() == {"entities": []}


def test_offsets_are_code_points_through_json(client):
    text = "🙂👍🏽 Obama visited Paris."
    entities = client.post("/entities", json={"text": text}).json()["entities"]
    assert entities and all(text[e["start"] : e["end"]] == e["text"] for e in entities)


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
    head = client.head("/health")  # how load balancers and `curl -I` probe liveness
    assert head.status_code == 200 and head.content == b""


def _bad_requests():
    long = "Obama " * 100  # 600 characters, over the client's limit of 500
    return [
        # (what, request keyword arguments, status, words the message must hold)
        ("over the limit", {"json": {"text": long}}, 413, ["500", "600"]),
        ("texts over the limit together", {"json": {"texts": [long[:300], long[:300]]}}, 413, ["500", "600"]),
        ("body over the byte limit", {"content": b'{"text": "' + b"a" * 80_000 + b'"}'}, 413, ["bytes"]),
        ("malformed JSON", {"content": b'{"text": "Obama'}, 422, ["JSON"]),
        # pydantic's "Input should be a valid dictionary or instance of EntitiesRequest" named no fix
        ("not an object", {"content": b'["Obama"]'}, 422, ["must be a JSON object", '{\\"text\\"']),
        ("null", {"content": b"null"}, 422, ["must be a JSON object"]),
        ("a mistyped field", {"json": {"text": 5}}, 422, ["text must be a string", '{\\"texts\\"']),
        ("texts a string", {"json": {"texts": "Obama"}}, 422, ["texts must be a list of strings"]),
        ("a mistyped list item", {"json": {"texts": ["ok", 5]}}, 422, ["texts", "each of texts must be a string"]),
        ("an unknown field", {"json": {"txt": "Obama"}}, 422, ["unknown field 'txt'", "no other fields"]),
        ("an option", {"json": {"text": "Obama", "threshold": 0.5}}, 422, ["unknown field 'threshold'"]),
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


@pytest.mark.parametrize(
    "method, path, status",
    [("GET", "/nope", 404), ("POST", "/metrics", 404), ("GET", "/entities", 405), ("DELETE", "/health", 405)],
)
def test_a_wrong_path_or_method_names_the_routes_and_the_server_carries_on(client, method, path, status):
    # They answered a bare "Not Found" / "Method Not Allowed".
    kw = {"json": {"text": "Obama"}} if method == "POST" else {}
    r = client.request(method, path, **kw)
    assert r.status_code == status
    detail = r.json()["detail"]
    assert path in detail and "POST /entities" in detail and "GET /health" in detail
    if status == 405:
        allowed = set(r.headers["allow"].split(", "))
        assert method in detail and allowed == ({"POST"} if path == "/entities" else {"GET", "HEAD"})
    ok = client.post("/entities", json={"text": "Obama visited Paris."})
    assert ok.status_code == 200 and ok.json()["entities"]


def test_micro_batcher_options_are_checked():
    # The batcher's limits (and the size limit) are ServeOptions', checked there once.
    with pytest.raises(ConfigError, match="--max-batch"):
        ServeOptions(max_batch=0)
    with pytest.raises(ConfigError, match="--max-wait-ms"):
        ServeOptions(max_wait_ms=-1)
    with pytest.raises(ConfigError, match="--max-chars"):
        ServeOptions(max_chars=0)
    # NaN passed "value < least": a timeout that never (or always) fired.
    for option, name in (("max_wait_ms", "--max-wait-ms"), ("request_timeout", "--request-timeout")):
        for value in (float("nan"), float("inf")):
            with pytest.raises(ConfigError, match=name):
                ServeOptions(**{option: value})


def test_lone_surrogates_are_tagged_as_by_the_tagger(client, tagger):
    """As `nerkit predict` reads them from JSONL: the JSON escape of a lone surrogate is accepted."""
    text = "Obama \ud800 visited Paris.\udfff"
    r = client.post("/entities", content=json.dumps({"text": text}), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["entities"] == tagger(text)


def test_a_long_text_shares_model_calls_with_a_short_one(tagger):
    """With a 300-sentence text in progress, a one-sentence request rides in the next model call
    (calls are held at a gate, so no timing is involved), and both get the Tagger's entities."""
    import asyncio
    import threading

    import httpx

    from nerkit.serving.work import TaggerWork

    class Gated(TaggerWork):
        def __init__(self, tagger):
            super().__init__(tagger)
            self.gate, self.calls = threading.Semaphore(0), []

        def run(self, units):
            self.calls.append([" ".join(u.words) for u in units])
            result = super().run(units)
            self.gate.acquire()
            return result

    # fp32: the short sentence is batched beside longer units here, and alone by the Tagger; in bf16
    # (precision auto on a CPU with native bf16) a score can move in its 4th decimal with the batch's shape.
    tagger = Tagger(tagger.model, precision="fp32")
    work = Gated(tagger)
    long_text = " ".join(["Merkel met Obama in Berlin.", "Google opened an office in London."] * 150)
    short = "Barack Obama visited Paris."
    app = create_app(work, ServeOptions(max_chars=20_000, max_batch=4, max_wait_ms=0))
    stats = app.state.batcher.stats

    async def until(condition):
        while not condition():
            await asyncio.sleep(0.001)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            big = asyncio.create_task(c.post("/entities", json={"text": long_text}))
            try:
                work.gate.release(4)
                await until(lambda: len(work.calls) == 5)  # the fifth call runs
                small = asyncio.create_task(c.post("/entities", json={"text": short}))
                await until(lambda: stats["requests"] == 2)  # the short request is queued
                work.gate.release(1)
                await until(lambda: len(work.calls) == 6)
                sixth = work.calls[5]
            finally:
                work.gate.release(1000)
            return sixth, await small, await big

    sixth, small, big = asyncio.run(scenario())
    assert "Barack Obama visited Paris ." in sixth and len(sixth) == 4  # beside three of the long text's
    assert small.json()["entities"] == tagger(short)
    assert big.json()["entities"] == tagger(long_text)
    assert stats["largest_batch"] <= 4 and stats["units"] == 301
