"""A real browser on the served page: type a text, click the button, read the highlights.

`nerkit serve` runs as a subprocess on a free loopback port; Debian's chromium runs
headless and is driven over the Chrome DevTools Protocol (websocket-client): real key
presses into the textarea, a real mouse click on the button, then the DOM and a
screenshot are read back and compared with what the tagger finds in the same text.
"""

import io
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from nerkit.inference.tagger import Tagger
from nerkit.text.highlight import colour_for

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no browser: {CHROMIUM} is missing (.ci/run installs Debian's chromium with apt-get; "
    "run `apt-get install chromium` to run this test)",
)


def _read_lines(stream, sink: queue.Queue):
    for line in iter(stream.readline, ""):
        sink.put(line)


def _stop(process: subprocess.Popen):
    """End a process this test started, and its children (its own process group)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def served(tmp_path_factory, trained_tiny):
    """(base URL, tagger) of `nerkit serve` on a free loopback port, with a small size limit."""
    model_dir = tmp_path_factory.mktemp("browser") / "model"
    trained_tiny.save(model_dir)
    env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nerkit.cli",
            "serve",
            "--model",
            str(model_dir),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--max-chars",
            "200",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True).start()
    seen = []
    try:
        deadline = time.monotonic() + 180
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            found = re.search(r"http://127\.0\.0\.1:\d+/", line)
            url = found.group(0) if found else None
        assert url, f"nerkit serve did not start: {''.join(seen)}"
        yield url, Tagger.load(model_dir)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A DevTools session with a page of headless chromium."""
    websocket = pytest.importorskip("websocket", reason="websocket-client is not installed (pip install -e '.[test]')")

    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--no-default-browser-check",
            "--window-size=1000,900",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 90
        while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
            assert process.poll() is None, "chromium exited at start"
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        session = DevTools(ws)
        yield session
        ws.close()
    finally:
        _stop(process)


class DevTools:
    """Just enough of the Chrome DevTools Protocol: commands, JavaScript, keys and clicks."""

    def __init__(self, ws):
        self.ws, self.last_id = ws, 0

    def call(self, method: str, **params):
        self.last_id += 1
        self.ws.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")

    def click(self, selector: str):
        box = self.js(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        x, y = box
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        self.call("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left", clickCount=1)
        self.call("Input.dispatchMouseEvent", type="mouseReleased", x=x, y=y, button="left", clickCount=1)

    def press(self, key: str, code: str, key_code: int, **extra):
        self.call(
            "Input.dispatchKeyEvent", type="rawKeyDown", key=key, code=code, windowsVirtualKeyCode=key_code, **extra
        )
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=key_code)

    def type(self, text: str):
        for ch in text:
            self.call("Input.dispatchKeyEvent", type="keyDown", key=ch, text=ch, unmodifiedText=ch)
            self.call("Input.dispatchKeyEvent", type="keyUp", key=ch)


def _load(browser, url):
    browser.call("Page.enable")
    browser.call("Page.navigate", url=url)
    browser.wait_for("document.readyState === 'complete' && !!document.getElementById('tag')")


def _clear_and_type(browser, text):
    browser.click("#text")
    browser.press("a", "KeyA", 65, modifiers=2, commands=["selectAll"])  # Ctrl+A
    browser.press("Backspace", "Backspace", 8)
    assert browser.js("document.getElementById('text').value") == ""
    browser.type(text)


_READ_MARKS = """[...document.querySelectorAll('#result mark.entity')].map(m => ({
    label: m.dataset.label, text: m.firstChild.textContent, background: getComputedStyle(m).backgroundColor}))"""


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_typing_a_text_and_clicking_highlights_its_entities(served, browser):
    url, tagger = served
    _load(browser, url)
    text = "Barack Obama visited Paris."
    _clear_and_type(browser, text)
    assert browser.js("document.getElementById('text').value") == text
    browser.click("#tag")
    browser.wait_for(
        "/found/.test(document.getElementById('status').textContent) || document.getElementById('error').textContent"
    )
    assert browser.js("document.getElementById('error').textContent") == ""

    expected = tagger(text)
    assert ("PER", "Barack Obama") in [(e["label"], e["text"]) for e in expected]  # the tiny model learned it
    marks = browser.js(_READ_MARKS)
    assert [(m["label"], m["text"]) for m in marks] == [(e["label"], e["text"]) for e in expected]
    for m in marks:
        assert m["background"] == "rgb({}, {}, {})".format(*_rgb(colour_for(m["label"])))
    # The text is shown whole: highlighted parts plus the rest, without the label badges.
    shown = browser.js("""(() => { const r = document.getElementById('result').cloneNode(true);
        r.querySelectorAll('.label').forEach(s => s.remove()); return r.textContent; })()""")
    assert shown == text
    legend = browser.js("[...document.querySelectorAll('#legend li')].map(li => li.dataset.label)")
    assert legend == sorted({e["label"] for e in expected})

    # And what a person sees: the PER colour is on the screen.
    from PIL import Image

    shot = browser.call("Page.captureScreenshot", format="png")["data"]
    import base64

    image = Image.open(io.BytesIO(base64.b64decode(shot))).convert("RGB")
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    assert _rgb(colour_for("PER")) in colours


def test_the_page_shows_the_servers_error_and_carries_on(served, browser):
    url, tagger = served
    _load(browser, url)
    # The server was started with --max-chars 200.
    browser.js("document.getElementById('text').value = 'Obama visited Paris. '.repeat(20)")
    browser.click("#tag")
    error = browser.wait_for("document.getElementById('error').textContent")
    assert "200" in error and "limit" in error
    assert browser.js("document.querySelectorAll('#result mark.entity').length") == 0
    _clear_and_type(browser, "Merkel met Obama.")
    browser.click("#tag")
    browser.wait_for("/found/.test(document.getElementById('status').textContent)")
    assert browser.js("document.getElementById('error').textContent") == ""
    marks = browser.js(_READ_MARKS)
    assert [(m["label"], m["text"]) for m in marks] == [(e["label"], e["text"]) for e in tagger("Merkel met Obama.")]
    assert marks
