"""``nerkit serve``: a bound socket, the app, uvicorn.

>>> from nerkit.serving.server import serve
>>> serve("runs/wikigold", ServeOptions(port=8000))        # doctest: +SKIP
nerkit serve: http://127.0.0.1:8000/ (API: POST /entities, docs: /docs); Ctrl+C stops

The port is bound before the model loads, so a taken port is a one-line error at once.
Each request's head (request line and headers) must arrive within ``--read-timeout``
seconds of its first byte (:func:`head_timeout_protocol`), as its body must
(:class:`~nerkit.serving.edge.BodyGuard`): a client that sends a byte now and then is let
go instead of holding a connection for ever.
"""

from __future__ import annotations

import gc
import os
import socket
import sys

from ..errors import ConfigError
from ..inference.tagger import Tagger
from ..modeling.store import BACKENDS
from .app import ServeOptions, create_app

__all__ = ["serve", "listen", "head_timeout_protocol"]


def listen(host: str, port: int) -> socket.socket:
    """A bound socket, so a taken port is a one-line error before the model loads."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ConfigError(f"cannot resolve --host {host!r} ({exc.strerror}); use e.g. 127.0.0.1") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host} port {port}: {exc.strerror}; choose another --port "
            "(0 picks a free one) or stop what is using it"
        ) from None
    return sock


def head_timeout_protocol(seconds: float):
    """uvicorn's h11 protocol, closing a connection whose next request head takes over ``seconds``.

    uvicorn times an idle kept-alive connection (``timeout_keep_alive``) but stops the clock at
    the first byte; from there a head sent one byte at a time would hold the connection for ever.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):
        _head_timer = None
        _head_cycle = None  # the request cycle before the head being timed

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._time_head()

        def data_received(self, data: bytes) -> None:
            if self.cycle is None or self.cycle.response_complete:
                self._time_head()  # bytes of a new request's head
            super().data_received(data)
            if self._head_timer is not None and self.cycle is not self._head_cycle:
                self._head_timer.cancel()  # the head arrived: the body is BodyGuard's to time
                self._head_timer = None

        def connection_lost(self, exc) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _time_head(self) -> None:
            if self._head_timer is None:
                self._head_cycle = self.cycle
                self._head_timer = self.loop.call_later(seconds, self._head_too_slow)

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if self.cycle is self._head_cycle and not self.transport.is_closing():
                self.transport.close()

    return Protocol


def serve(
    model_dir: str | os.PathLike, options: ServeOptions | None = None, backend: str = BACKENDS[0], **inference
) -> None:
    """Serve the model in ``model_dir`` until interrupted; ``inference`` overrides its InferenceOptions."""
    options = options or ServeOptions()
    try:
        import uvicorn
    except ImportError:
        raise ConfigError("serving needs FastAPI and uvicorn; run `pip install 'nerkit[serve]'`") from None
    sock = listen(options.host, options.port)
    try:
        tagger = Tagger.load(model_dir, backend=backend, **inference)
        app = create_app(tagger, options)
        # What is loaded now (torch, transformers, the model: ~400k objects) lives as long as the
        # server. Frozen, Python's cyclic collector stops walking it each time a request's windows
        # pile up: encoding 8,480 sentences took 0.73-0.83 s instead of 1.28-1.68 s
        # (benchmarks/predict_host.py --freeze-gc, RESULTS.md, issue 11).
        gc.freeze()
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        if options.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"nerkit serve: listening on {options.host}: other machines can reach this API", file=sys.stderr)
        print(
            f"nerkit serve: http://{shown}:{port}/ (API: POST /entities, docs: /docs); Ctrl+C stops",
            file=sys.stderr,
            flush=True,
        )
        config = uvicorn.Config(
            app, log_level="warning", access_log=options.access_log, http=head_timeout_protocol(options.read_timeout)
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
