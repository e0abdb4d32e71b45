"""nerkit.serving.edge and the server's read timeouts, against a real uvicorn server on loopback:
ordinary clients (urllib, curl) receive 413 and 415 as such, slow clients are let go without
holding up others, and lone surrogates are accepted as `nerkit predict` accepts them."""

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
import uvicorn

from nerkit.serving.app import ServeOptions, create_app, max_body
from nerkit.serving.server import head_timeout_protocol, listen


def echo(texts):
    """A stand-in tagger: one entity per text, the whole text."""
    return [[{"text": t, "label": "X", "start": 0, "end": len(t), "score": 1.0}] for t in texts]


@contextmanager
def serving(app, read_timeout: float):
    """``app`` served by uvicorn (as `nerkit serve` does) in a thread on a free loopback port: its URL."""
    sock = listen("127.0.0.1", 0)
    config = uvicorn.Config(app, log_level="warning", http=head_timeout_protocol(read_timeout))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


MAX_CHARS = 1000


@pytest.fixture(scope="module")
def base():
    with serving(create_app(echo, ServeOptions(max_chars=MAX_CHARS, read_timeout=0.5)), read_timeout=0.5) as url:
        yield url


def post(url: str, body: bytes, content_type: str | None = "application/json"):
    """(status, JSON answer) of a POST with urllib, which sends the whole body before reading the answer."""
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(url + "/entities", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("size", [max_body(MAX_CHARS) + 1, 2_000_000, 8_000_000])
def test_urllib_receives_a_413_for_a_body_over_the_limit(base, size):
    body = b'{"text": "' + b"a" * size + b'"}'
    status, answer = post(base, body)
    assert status == 413 and "--max-chars" in answer["detail"] and f"{len(body):,} bytes" in answer["detail"]
    assert post(base, b'{"text": "fine"}')[0] == 200


def test_a_chunked_body_over_the_limit_gets_413(base):
    def chunks():
        for _ in range(40):
            yield b"a" * 10_000

    request = urllib.request.Request(
        base + "/entities", data=chunks(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 413 and "more than" in json.loads(caught.value.read())["detail"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl")
@pytest.mark.parametrize("size", [100_000, 3_000_000])  # curl asks "Expect: 100-continue" above 1 MB
def test_curl_receives_a_413(base, tmp_path, size):
    path = tmp_path / "body.json"
    path.write_bytes(b'{"text": "' + b"a" * size + b'"}')
    out = subprocess.run(
        ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-H", "Content-Type: application/json"]
        + ["--data-binary", f"@{path}", base + "/entities"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    answer, status = out.stdout.rsplit("\n", 1)
    assert status == "413" and "--max-chars" in json.loads(answer)["detail"]


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_only_json_is_accepted(base, content_type):
    """A web page can post a form or text to this server from the user's browser without
    asking (a cross-site request); JSON from another origin needs a CORS preflight."""
    status, answer = post(base, b'{"text": "Paris"}', content_type)
    assert status == 415 and "Content-Type: application/json" in answer["detail"]
    assert post(base, b'{"text": "Paris"}', "application/json; charset=utf-8")[0] == 200


def _slow_client(base: str, what: bytes) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(what)
    return sock


def _answer_or_close(sock: socket.socket) -> bytes:
    """What the server sends before it closes the connection (waits at most the socket's timeout)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    sock.close()
    return received


def test_slow_clients_are_let_go_and_do_not_hold_up_others(base):
    """Clients sending a body (or a head) a byte at a time: each is answered 408 (or closed)
    after the read timeout (0.5 s here) instead of being held, and meanwhile others are served."""
    body_head = b"POST /entities HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    slow_bodies = [_slow_client(base, body_head) for _ in range(100)]
    slow_heads = [_slow_client(base, b"POST /entities HTTP/1.1\r\nHost: x\r\nContent-Ty") for _ in range(100)]
    let_go = set()  # sockets the server had already closed when a byte was sent (a slow machine)
    for _ in range(3):  # a byte now and then keeps no timer from running out
        for sock in [*slow_bodies, *slow_heads]:
            try:
                sock.sendall(b" " if sock in slow_bodies else b"p")
            except (BrokenPipeError, ConnectionResetError):
                let_go.add(sock)
        assert post(base, b'{"text": "Paris"}')[0] == 200  # others are served meanwhile
        time.sleep(0.1)
    answers = {sock: _answer_or_close(sock) for sock in slow_bodies}
    # Each is answered 408; one closed before its last byte was sent may have lost the answer to the reset.
    assert all(
        (a.startswith(b"HTTP/1.1 408 ") and b"--read-timeout" in a) or (sock in let_go and a == b"")
        for sock, a in answers.items()
    )
    assert all(_answer_or_close(sock) == b"" for sock in slow_heads)  # closed without an answer
    assert post(base, b'{"text": "Paris"}')[0] == 200


def test_lone_surrogates_are_accepted_as_by_nerkit_predict(base):
    """JSON may hold a lone surrogate; `nerkit predict` reads it (json.loads), so must the server,
    and its answer must be valid JSON (the surrogate escaped, as UTF-8 cannot hold it)."""
    text = "Obama \ud800 visited \udfffParis."
    status, answer = post(base, json.dumps({"text": text}).encode())
    assert status == 200 and answer["entities"] == echo([text])[0]
    status, answer = post(base, json.dumps({"texts": ["\ud83d\ude00 ok", "\udc00"]}).encode())
    assert status == 200 and [e[0]["text"] for e in answer["entities"]] == ["\U0001f600 ok", "\udc00"]


def test_a_kept_alive_connection_is_timed_again_for_its_next_head(base):
    """After a first request is answered, the next head on the same connection has its own
    time limit: uvicorn's keep-alive timer alone stops at the first byte."""
    body = b'{"text": "Paris"}'
    request = (
        b"POST /entities HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    sock = _slow_client(base, request)
    first = b""
    while not first.endswith(b"}]]}") and not first.endswith(b"}]}"):
        first += sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 ")
    for _ in range(3):
        sock.sendall(b"P")  # a byte of the next head now and then
        time.sleep(0.1)
    sock.sendall(request[:20])
    assert _answer_or_close(sock) == b""  # closed, some 0.5 s after the next head began
