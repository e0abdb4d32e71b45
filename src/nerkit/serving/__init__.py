"""Serving: an HTTP API (POST /entities) and a web page, with concurrent requests batched.

Modules: :mod:`~nerkit.serving.batcher` (micro-batching), :mod:`~nerkit.serving.app` (the
FastAPI app and :class:`ServeOptions`) and :mod:`~nerkit.serving.server` (``nerkit serve``).
"""

from .app import ServeOptions, create_app
from .server import serve

__all__ = ["ServeOptions", "create_app", "serve"]
