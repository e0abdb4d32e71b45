"""``nerkit serve``: a bound socket, the app, uvicorn.

>>> from nerkit.serving.server import serve
>>> serve("runs/wikigold", ServeOptions(port=8000))        # doctest: +SKIP
nerkit serve: http://127.0.0.1:8000/ (API: POST /entities, docs: /docs); Ctrl+C stops

The port is bound before the model loads, so a taken port is a one-line error at once.
"""

from __future__ import annotations

import os
import socket
import sys

from ..errors import ConfigError
from ..inference.tagger import Tagger
from ..modeling.store import BACKENDS
from .app import ServeOptions, create_app

__all__ = ["serve", "listen"]


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
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        if options.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"nerkit serve: listening on {options.host}: other machines can reach this API", file=sys.stderr)
        print(
            f"nerkit serve: http://{shown}:{port}/ (API: POST /entities, docs: /docs); Ctrl+C stops",
            file=sys.stderr,
            flush=True,
        )
        config = uvicorn.Config(app, log_level="warning", access_log=options.access_log)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
