"""nerkit.serving.server: `nerkit serve` checks its model, port and options, and answers on
loopback (moved from the old tests/test_serve.py)."""

import socket
import threading
import time

import httpx
import pytest

from cli_errors import error_line
from nerkit.cli import main


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


@pytest.mark.parametrize(
    "option,value",
    [
        ("--max-chars", "0"),
        ("--max-batch", "0"),
        ("--max-batch-words", "100"),  # below the longest sentence unit (128 words)
        ("--max-wait-ms", "-1"),
        ("--max-queue", "0"),
        ("--request-timeout", "0"),
        ("--read-timeout", "-1"),
        ("--port", "70000"),
    ],
)
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
        thread = threading.Thread(
            target=main, args=(["serve", "--model", str(tmp_path / "model"), "--port", "0"],), daemon=True
        )
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
