"""An HTTP API and a web page for a :class:`~nerkit.inference.tagger.Tagger`.

>>> import nerkit
>>> from nerkit.serving.app import ServeOptions, create_app
>>> app = create_app(nerkit.Tagger.load("runs/wikigold"), ServeOptions(max_chars=100_000))   # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000), or: nerkit serve --model runs/wikigold

Endpoints:

* ``POST /entities`` with ``{"text": "..."}`` answers ``{"entities": [{"text", "label",
  "start", "end", "score"}, ...]}``; with ``{"texts": ["...", ...]}`` it answers
  ``{"entities": [[...], ...]}``, one list per text, in order.
* ``GET /health``: ``{"status": "ok", "labels": [...], "max_chars": ..., "batching": {...}}``.
* ``GET /``: a page to paste text into and see its entities highlighted, one colour per type.
* ``GET /docs`` and ``GET /openapi.json``: the OpenAPI schema.

Bad requests get a status and a message, and the server carries on: a body that is not
UTF-8 gets 400; more than ``max_chars`` characters (all texts together) gets 413 naming
the limit; malformed JSON or a missing, extra or mistyped field gets 422 naming the field
(FastAPI's ``{"detail": [{"loc", "msg", "type"}]}``). An empty text has no entities.

Concurrent requests are tagged together (:mod:`nerkit.serving.batcher`). The server's
options are a :class:`ServeOptions`, checked once.
"""

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources

from ..errors import ConfigError
from ..options import flag
from ..version import __version__
from .batcher import MicroBatcher

__all__ = ["ServeOptions", "create_app"]

log = logging.getLogger("nerkit.serve")


@dataclass(frozen=True)
class ServeOptions:
    """Where the server listens and how much it takes; checked once, here.

    >>> ServeOptions().max_chars
    100000
    >>> ServeOptions(max_batch=0)
    Traceback (most recent call last):
    ...
    nerkit.errors.ConfigError: --max-batch must be at least 1, got 0
    """

    host: str = field(default="127.0.0.1", metadata=flag("address to listen on (127.0.0.1: this machine only)"))
    port: int = field(default=8000, metadata=flag("port to listen on (0 picks a free one)", type=int))
    max_chars: int = field(default=100_000, metadata=flag("most characters per request; larger ones get 413", type=int))
    max_batch: int = field(default=32, metadata=flag("most texts tagged together", type=int))
    max_wait_ms: float = field(
        default=5.0, metadata=flag("how long a request waits for others to share its batch", type=float)
    )
    access_log: bool = field(default=False, metadata=flag("log every request", switch=True))

    def __post_init__(self) -> None:
        for option, value, least in (
            ("--max-chars", self.max_chars, 1),
            ("--max-batch", self.max_batch, 1),
            ("--max-wait-ms", self.max_wait_ms, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < least:
                raise ConfigError(f"{option} must be at least {least}, got {value}")
        if isinstance(self.max_chars, float) or isinstance(self.max_batch, float):
            raise ConfigError("--max-chars and --max-batch are whole numbers")
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(f"--port must be between 0 and 65535, got {self.port}")


def _request_model():
    from pydantic import BaseModel, ConfigDict, Field, model_validator

    class EntitiesRequest(BaseModel):
        """Either one text or a list of texts."""

        model_config = ConfigDict(extra="forbid")
        text: str | None = Field(None, description="one text to tag", examples=["Barack Obama visited Paris."])
        texts: list[str] | None = Field(None, description="several texts to tag, answered in order")

        @model_validator(mode="after")
        def _one_of(self):
            if (self.text is None) == (self.texts is None):
                raise ValueError("give exactly one of the fields 'text' (a string) or 'texts' (a list of strings)")
            return self

    class Entity(BaseModel):
        text: str = Field(description="the entity as written: input[start:end]")
        label: str = Field(description="its type, e.g. PER, ORG, LOC, MISC")
        start: int = Field(description="offset of its first character (Python string index, i.e. code point)")
        end: int = Field(description="offset just after its last character")
        score: float | None = Field(description="mean probability of its words' tags")

    class EntitiesResponse(BaseModel):
        entities: list[Entity] | list[list[Entity]] = Field(
            description="for 'text', the entities; for 'texts', one list of entities per text"
        )

    return EntitiesRequest, EntitiesResponse


def _page() -> str:
    return resources.files("nerkit").joinpath("resources/page.html").read_text(encoding="utf-8")


def _fastapi():
    try:
        import fastapi
        import fastapi.responses
    except ImportError:
        raise ConfigError("serving needs FastAPI and uvicorn; run `pip install 'nerkit[serve]'`") from None
    return fastapi


def _too_large(what: str, max_chars: int):
    from fastapi import HTTPException

    return HTTPException(
        status_code=413,
        detail=f"{what}, over the limit of {max_chars:,} characters per request; split the text "
        "into smaller requests, or start the server with a larger --max-chars",
    )


async def _read_body(request, max_chars: int) -> bytes:
    # JSON may spell a character as a 12-byte surrogate pair (\ud83d\ude00); never refuse
    # a body that may hold max_chars characters, but refuse one that cannot.
    max_body = 12 * max_chars + 65536
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise _too_large(f"the request body has {int(declared):,} bytes", max_chars)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise _too_large(f"the request body has more than {max_body:,} bytes", max_chars)
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes, request_model):
    """The request's texts, and whether it asked for one (``text``); or the 400/422 response to send."""
    from fastapi import HTTPException
    from fastapi.responses import JSONResponse
    from pydantic import ValidationError

    try:
        decoded = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(
            status_code=400,
            detail=f"the request body is not valid UTF-8 (bad byte at position {exc.start}); "
            "send JSON encoded as UTF-8",
        ) from None
    try:
        req = request_model.model_validate_json(decoded)
    except ValidationError as exc:
        detail = [
            {"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        return JSONResponse(status_code=422, content={"detail": detail})
    return ([req.text] if req.text is not None else req.texts), req.text is not None


def create_app(tagger, options: ServeOptions | None = None, title: str = "nerkit"):
    """A FastAPI app serving ``tagger`` (any callable ``list[str] -> list[list[dict]]``
    with an optional ``labels`` attribute); see the module docstring."""
    fastapi = _fastapi()
    options = options or ServeOptions()
    request_model, response_model = _request_model()
    batcher = MicroBatcher(tagger, max_texts=options.max_batch, max_wait_ms=options.max_wait_ms)
    max_chars, page = options.max_chars, _page()

    @asynccontextmanager
    async def lifespan(app):
        yield
        await batcher.close()

    app = fastapi.FastAPI(
        title=title,
        version=__version__,
        summary="Named entities with character offsets, from a fine-tuned BERT-family model.",
        lifespan=lifespan,
    )
    app.state.batcher = batcher

    @app.get("/", response_class=fastapi.responses.HTMLResponse, include_in_schema=False)
    async def index():
        return fastapi.responses.HTMLResponse(page)

    @app.get("/health")
    async def health():
        """Liveness, the entity types the model finds, the size limit and batching counts."""
        labels = list(getattr(tagger, "labels", []))
        return {"status": "ok", "labels": labels, "max_chars": max_chars, "batching": dict(batcher.stats)}

    schema = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": request_model.model_json_schema()}},
        }
    }
    responses = {
        400: {"description": "the body is not UTF-8"},
        413: {"description": "more characters than the server's limit"},
        422: {"description": "malformed JSON, or a missing, extra or mistyped field"},
    }

    @app.post("/entities", openapi_extra=schema, response_model=response_model, responses=responses)
    async def entities(request: fastapi.Request):
        """The entities of ``text``, or of each of ``texts``."""
        parsed = _parse(await _read_body(request, max_chars), request_model)
        if not isinstance(parsed, tuple):
            return parsed  # the 422 response
        texts, one = parsed
        total = sum(len(t) for t in texts)
        if total > max_chars:
            what = f"the text has {total:,} characters" if one else f"the texts have {total:,} characters together"
            raise _too_large(what, max_chars)
        if not any(texts):
            results = [[] for _ in texts]  # nothing to tag; no need to queue
        else:
            try:
                results = await batcher(texts)
            except Exception as exc:
                log.exception("tagging failed")
                raise fastapi.HTTPException(status_code=500, detail=f"tagging failed: {exc}") from None
        return fastapi.responses.JSONResponse({"entities": results[0] if one else results})

    return app
