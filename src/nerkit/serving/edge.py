"""The HTTP edge of the server: what a request body must be before the app sees it.

An ASGI middleware (:class:`BodyGuard`) in front of the app checks every POST:

* its ``Content-Type`` is ``application/json``, else 415. A web page can make a visitor's
  browser post a form or plain text to any address, this server's included, without asking;
  a JSON post from another origin needs the server's consent (a CORS preflight), which this
  server never gives.
* its body is at most ``max_body`` bytes, else 413. Judged from ``Content-Length`` before
  anything is read, and counted while reading too (chunked bodies have no length).
* it arrives within ``read_timeout`` seconds, else 408 (a slow client, or a "slow-loris"
  holding connections open one byte at a time, is let go; the event loop is never blocked).

Refusals are JSON ``{"detail": "..."}`` with ``Connection: close``. A client such as
``urllib`` or ``requests`` sends its whole body before it reads any answer; if the server
answered and closed while the body was still arriving, the client's kernel would get a
reset and the client would report "Connection reset by peer", never the 413. So the rest of
the body is read and thrown away first (at most ``drain_limit`` bytes, within the read
timeout), then the answer is sent. A client that asked ``Expect: 100-continue`` (curl, for
large bodies) has sent nothing yet: it gets the answer at once.

>>> guard = BodyGuard(app=None, max_body=1000, read_timeout=5.0)
>>> guard.refusal({"content-type": "text/plain"})[0]
415
>>> guard.refusal({"content-type": "application/json; charset=utf-8", "content-length": "2000"})[0]
413
>>> guard.refusal({"content-type": "application/json", "content-length": "20"}) is None
True
"""

from __future__ import annotations

import asyncio
import json

__all__ = ["BodyGuard", "DRAIN_LIMIT"]

DRAIN_LIMIT = 64 * 1024 * 1024  # most bytes of a refused body read (and dropped) so the client gets the answer


class BodyGuard:
    """ASGI middleware: POST bodies are JSON, at most ``max_body`` bytes, received within ``read_timeout`` s."""

    def __init__(self, app, max_body: int, read_timeout: float, drain_limit: int = DRAIN_LIMIT):
        self.app, self.max_body, self.read_timeout, self.drain_limit = app, max_body, read_timeout, drain_limit

    def refusal(self, headers: dict[str, str]) -> tuple[int, str] | None:
        """The status and message for a request whose headers already rule it out, else None."""
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            shown = f"Content-Type {media!r}" if media else "no Content-Type"
            return 415, f"the request has {shown}; send JSON with the header Content-Type: application/json"
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return 413, self._too_large(f"{int(declared):,} bytes")
        return None

    def _too_large(self, size: str) -> str:
        return (
            f"the request body has {size}, over the limit of {self.max_body:,} bytes; split the text into "
            "smaller requests, or start the server with a larger --max-chars"
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        deadline = asyncio.get_running_loop().time() + self.read_timeout
        refused = self.refusal(headers)
        if refused is not None:
            declared = headers.get("content-length", "")
            too_big_to_drain = declared.isdigit() and int(declared) > self.drain_limit
            if "100-continue" not in headers.get("expect", "").lower() and not too_big_to_drain:
                await self._read(receive, deadline, keep=0)
            await _answer(send, *refused)
            return
        body, status = await self._read(receive, deadline, keep=self.max_body)
        if status == 413:
            await _answer(send, 413, self._too_large(f"more than {self.max_body:,} bytes"))
        elif status == 408:
            await _answer(
                send,
                408,
                f"the request body did not arrive within {self.read_timeout:g} s; send it at once "
                "(or start the server with a larger --read-timeout)",
            )
        elif status is None:
            await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive, deadline: float, keep: int) -> tuple[bytes, int | None]:
        """The body if it has at most ``keep`` bytes; reads (and drops) the rest, at most ``drain_limit``
        bytes, until ``deadline``. Status: None (read), 413 (longer than ``keep``), 408 (too slow),
        0 (the client left)."""
        loop = asyncio.get_running_loop()
        chunks, size = [], 0
        while size <= self.drain_limit:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                return b"", 408
            if message["type"] == "http.disconnect":
                return b"", 0
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= keep:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return (b"".join(chunks), None) if size <= keep else (b"", 413)


async def _answer(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive):
    """A ``receive`` that gives the app the whole body at once, then whatever the client does next."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
