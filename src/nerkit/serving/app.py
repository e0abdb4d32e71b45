"""An HTTP API and a web page for a :class:`~nerkit.inference.tagger.Tagger`.

>>> import nerkit
>>> from nerkit.serving.app import ServeOptions, create_app
>>> app = create_app(nerkit.Tagger.load("runs/wikigold"), ServeOptions(max_chars=100_000))   # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000), or: nerkit serve --model runs/wikigold

Endpoints:

* ``POST /entities`` with ``{"text": "..."}`` answers ``{"entities": [{"text", "label",
  "start", "end", "score"}, ...]}``; with ``{"texts": ["...", ...]}`` it answers
  ``{"entities": [[...], ...]}``, one list per text, in order.
* ``GET /health`` (``HEAD`` too): ``{"status": "ok", "labels": [...], "max_chars": ..., "batching": {...}}``.
* ``GET /``: a page to paste text into and see its entities highlighted, one colour per type.
* ``GET /docs`` and ``GET /openapi.json``: the OpenAPI schema.

Bad requests get a status and a message (``{"detail": ...}``), and the server carries on:
a POST that is not ``Content-Type: application/json`` gets 415, a body that does not
arrive within ``read_timeout`` seconds 408 and one that cannot hold ``max_chars``
characters 413 (:mod:`nerkit.serving.edge`, before the body is parsed); a body that is not
UTF-8 gets 400; more than ``max_chars`` characters (all texts together) gets 413 naming
the limit; malformed JSON or a missing, extra or mistyped field gets 422 naming the field
(FastAPI's ``{"detail": [{"loc", "msg", "type"}]}``, each message saying what to send); a
path that is not served gets 404, and a method a path does not take 405, both naming the
routes. An empty text has no entities. JSON is read as ``nerkit predict`` reads JSONL, so a lone surrogate (``"\\ud800"``) is accepted
and tagged like U+FFFD; an answer that holds one has it escaped.

Concurrent requests are tagged together, fairly (:mod:`nerkit.serving.batcher`): long
texts a sentence at a time, between other requests' sentences. A request still being
tagged after ``request_timeout`` seconds gets 504 (and its remaining sentences are
dropped); one that arrives while ``max_queue`` requests are in progress gets 503 with
``Retry-After``. The server's options are a :class:`ServeOptions`, checked once.
"""

import asyncio
import json
import logging
import math
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources

from ..errors import ConfigError
from ..options import flag
from ..version import __version__
from .batcher import MicroBatcher, QueueFull
from .edge import BodyGuard
from .work import SEGMENT_WORDS, work_for

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
    max_batch: int = field(default=32, metadata=flag("most sentences tagged together in one model call", type=int))
    # 256 words: one call of MiniLM on 2 CPU cores stays a fraction of a second, and a short
    # request waits about two calls (benchmarks/RESULTS.md, "Fair serving").
    max_batch_words: int = field(
        default=256,
        metadata=flag(
            "most words in one model call; a long text is tagged a part at a time, between other requests' parts",
            type=int,
        ),
    )
    max_wait_ms: float = field(
        default=5.0, metadata=flag("how long a request waits for others to share its batch", type=float)
    )
    max_queue: int = field(
        default=256, metadata=flag("most requests in progress at once; more get 503 with Retry-After", type=int)
    )
    request_timeout: float = field(
        default=60.0, metadata=flag("seconds a request may take to be tagged; longer ones get 504", type=float)
    )
    read_timeout: float = field(
        default=10.0,
        metadata=flag("seconds a client may take to send a request's head and body; slower ones get 408", type=float),
    )
    access_log: bool = field(default=False, metadata=flag("log every request", switch=True))

    def __post_init__(self) -> None:
        for option, value, least in (
            ("--max-chars", self.max_chars, 1),
            ("--max-batch", self.max_batch, 1),
            ("--max-batch-words", self.max_batch_words, SEGMENT_WORDS),
            ("--max-queue", self.max_queue, 1),
            ("--max-wait-ms", self.max_wait_ms, 0),
            ("--request-timeout", self.request_timeout, 0.001),
            ("--read-timeout", self.read_timeout, 0.001),
        ):
            # "not least <= value < inf": NaN passed "value < least" and then never timed out (or always did).
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not least <= value < math.inf:
                raise ConfigError(f"{option} must be at least {least}, got {value}")
        whole = {"--max-chars": self.max_chars, "--max-batch": self.max_batch}
        whole.update({"--max-batch-words": self.max_batch_words, "--max-queue": self.max_queue})
        for option, value in whole.items():
            if isinstance(value, float):
                raise ConfigError(f"{option} is a whole number, got {value}")
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


def max_body(max_chars: int) -> int:
    """The most bytes a body of ``max_chars`` characters may take.

    JSON may spell a character as a 12-byte surrogate pair (``\\ud83d\\ude00``): never refuse
    a body that may hold ``max_chars`` characters, but refuse one that cannot.

    >>> max_body(100_000)
    1265536
    """
    return 12 * max_chars + 65536


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
        # Python's JSON reader, as `nerkit predict` reads JSONL: it takes lone surrogates
        # ("\ud800"), which are valid JSON, where pydantic's own reader refuses them.
        data = json.loads(decoded)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested thousands of levels deep
        what = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        detail = [{"type": "json_invalid", "loc": ["body"], "msg": f"Invalid JSON: {what}; {SHAPE}"}]
        return JSONResponse(status_code=422, content={"detail": detail})
    try:
        req = request_model.model_validate(data, strict=True)
    except ValidationError as exc:
        detail = [
            {"type": e["type"], "loc": ["body", *e["loc"]], "msg": _message(e)}
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        return JSONResponse(status_code=422, content={"detail": detail})
    return ([req.text] if req.text is not None else req.texts), req.text is not None


SHAPE = 'send {"text": "..."} or {"texts": ["...", ...]}'


def _message(error: dict) -> str:
    """pydantic's message for a request's field, with what to send instead."""
    loc = error["loc"]
    if error["type"] == "model_type":
        return f"the body must be a JSON object; {SHAPE}"
    if error["type"] == "extra_forbidden":
        return f"unknown field {loc[-1]!r}; {SHAPE} (no other fields)"
    if error["type"] == "string_type":
        return f"{'each of texts' if loc[0] == 'texts' else 'text'} must be a string; {SHAPE}"
    if error["type"] == "list_type":
        return f"texts must be a list of strings; {SHAPE}"
    return error["msg"]


ROUTES = "GET / (the page), POST /entities, GET /health, GET /docs"


def _json(content) -> bytes:
    """``content`` as JSON in UTF-8; with lone surrogates (in an entity's text) escaped, as UTF-8 cannot hold them."""
    try:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


RESPONSES = {
    400: {"description": "the body is not UTF-8"},
    408: {"description": "the body did not arrive within --read-timeout seconds"},
    413: {"description": "more characters than the server's limit"},
    415: {"description": "the request is not JSON (Content-Type: application/json)"},
    422: {"description": "malformed JSON, or a missing, extra or mistyped field"},
    503: {"description": "--max-queue requests are in progress; try again after Retry-After seconds"},
    504: {"description": "tagging took longer than --request-timeout seconds"},
}


async def _tag(batcher: MicroBatcher, texts: list[str], timeout: float):
    """The batcher's results for ``texts``; or raises the HTTP error (503, 504, 500) to send."""
    from fastapi import HTTPException

    try:
        return await asyncio.wait_for(batcher(texts), timeout)
    except QueueFull as exc:
        raise HTTPException(
            status_code=503,
            detail=f"the server is busy ({exc}); try again in a moment, or start it with a larger --max-queue",
            headers={"Retry-After": "1"},
        ) from None
    except TimeoutError:
        raise HTTPException(
            status_code=504,
            detail=f"tagging took longer than the limit of {timeout:g} s per request and was stopped; send "
            "shorter texts, or start the server with a larger --request-timeout",
        ) from None
    except Exception as exc:
        log.exception("tagging failed")
        raise HTTPException(status_code=500, detail=f"tagging failed: {exc}") from None


def create_app(tagger, options: ServeOptions | None = None, title: str = "nerkit"):
    """A FastAPI app serving ``tagger`` (a :class:`~nerkit.inference.tagger.Tagger`, or any callable
    ``list[str] -> list[list[dict]]`` with an optional ``labels`` attribute); see the module docstring."""
    fastapi = _fastapi()
    options = options or ServeOptions()
    request_model, response_model = _request_model()
    batcher = MicroBatcher(
        work_for(tagger),
        max_units=options.max_batch,
        max_cost=options.max_batch_words,
        max_wait_ms=options.max_wait_ms,
        max_queue=options.max_queue,
    )
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

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc):
        """404 and 405 name the routes there are; other errors keep their own message."""
        detail = exc.detail
        if exc.status_code == 404:
            detail = f"there is nothing at {request.url.path}; this server answers {ROUTES}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}; this server answers {ROUTES}"
        return fastapi.responses.JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    app.add_middleware(BodyGuard, max_body=max_body(max_chars), read_timeout=options.read_timeout)

    @app.get("/", response_class=fastapi.responses.HTMLResponse, include_in_schema=False)
    async def index():
        return fastapi.responses.HTMLResponse(page)

    # HEAD too: load balancers and `curl -I` probe liveness without a body.
    @app.api_route("/health", methods=["GET", "HEAD"])
    async def health():
        """Liveness, the entity types the model finds, the size limit and batching counts."""
        labels = list(getattr(tagger, "labels", []))
        stats = {**batcher.stats, "in_progress": batcher.in_progress}
        return {"status": "ok", "labels": labels, "max_chars": max_chars, "batching": stats}

    schema = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": request_model.model_json_schema()}},
        }
    }

    @app.post("/entities", openapi_extra=schema, response_model=response_model, responses=RESPONSES)
    async def entities(request: fastapi.Request):
        """The entities of ``text``, or of each of ``texts``."""
        parsed = _parse(await request.body(), request_model)
        if not isinstance(parsed, tuple):
            return parsed  # the 422 response
        texts, one = parsed
        total = sum(len(t) for t in texts)
        if total > max_chars:
            what = f"the text has {total:,} characters" if one else f"the texts have {total:,} characters together"
            raise _too_large(what, max_chars)
        # An empty text has no entities: no need to queue.
        results = await _tag(batcher, texts, options.request_timeout) if any(texts) else [[] for _ in texts]
        return fastapi.Response(_json({"entities": results[0] if one else results}), media_type="application/json")

    return app
