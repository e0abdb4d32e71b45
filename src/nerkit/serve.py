"""An HTTP API and a web page for a :class:`~nerkit.tagger.Tagger`.

>>> import nerkit
>>> from nerkit.serve import create_app
>>> app = create_app(nerkit.Tagger.load("runs/wikigold"), max_chars=100_000)   # doctest: +SKIP
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

Why micro-batching: a model call costs much the same for one short text as for a
dozen, so concurrent requests are worth running together. Each request's texts join a
list; a single worker waits ``max_wait_ms`` for company (or until ``max_texts`` texts are
waiting), tags them all in one call on a worker thread (so the event loop keeps accepting
requests meanwhile), and hands each request its own results. While one batch runs, the
next one gathers by itself, so under load batches grow and the wait costs nothing.
"""


import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from typing import Callable, Optional

from .errors import ConfigError

__all__ = ["create_app", "MicroBatcher", "DEFAULT_MAX_CHARS"]

DEFAULT_MAX_CHARS = 100_000
log = logging.getLogger("nerkit.serve")


class MicroBatcher:
    """Runs ``tag(texts) -> results`` for many concurrent callers in shared batches.

    >>> batcher = MicroBatcher(lambda texts: [len(t) for t in texts])
    >>> asyncio.run(batcher(["ab", "c"]))
    [2, 1]
    """

    def __init__(self, tag: Callable[[list[str]], list], max_texts: int = 32, max_wait_ms: float = 5.0):
        if max_texts < 1:
            raise ConfigError(f"max_texts (texts per batch) must be at least 1, got {max_texts}")
        if max_wait_ms < 0:
            raise ConfigError(f"max_wait_ms must be 0 or more milliseconds, got {max_wait_ms}")
        self.tag = tag
        self.max_texts = max_texts
        self.max_wait = max_wait_ms / 1000
        self.stats = {"requests": 0, "texts": 0, "batches": 0, "largest_batch": 0}
        self._pending: list[tuple[list[str], asyncio.Future]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._wakeup: asyncio.Event | None = None
        # One thread: model calls run one at a time (they use every core already).
        self._executor: ThreadPoolExecutor | None = None

    async def __call__(self, texts: list[str]) -> list:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._start(loop)
        future = loop.create_future()
        self._pending.append((list(texts), future))
        self._wakeup.set()
        return await future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        # (Re)start on the running loop: a test client may run each request on a new one.
        self._loop = loop
        self._pending = []
        self._wakeup = asyncio.Event()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nerkit-tagger")
        self._task = loop.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for _, future in self._pending:
            if not future.done():
                future.cancel()
        self._pending, self._task = [], None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            if sum(len(t) for t, _ in self._pending) < self.max_texts and self.max_wait:
                await asyncio.sleep(self.max_wait)  # let concurrent requests join this batch
            batch, count = [], 0
            while self._pending and (not batch or count + len(self._pending[0][0]) <= self.max_texts):
                item = self._pending.pop(0)
                batch.append(item)
                count += len(item[0])
            if not self._pending:
                self._wakeup.clear()
            await self._process(batch, count)

    async def _process(self, batch, count: int) -> None:
        self.stats["requests"] += len(batch)
        self.stats["texts"] += count
        self.stats["batches"] += 1
        self.stats["largest_batch"] = max(self.stats["largest_batch"], count)
        texts = [t for item, _ in batch for t in item]
        if len(batch) == 1:
            await self._process_alone(batch[0])
            return
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self._executor, self.tag, texts)
        except Exception:
            # Some request's texts broke the batch: run each alone so only that one fails.
            for item in batch:
                await self._process_alone(item)
            return
        position = 0
        for item, future in batch:
            if not future.done():
                future.set_result(results[position : position + len(item)])
            position += len(item)

    async def _process_alone(self, item) -> None:
        texts, future = item
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._executor, self.tag, texts)
        except Exception as exc:  # reported to this request only
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)


def _request_model():
    from pydantic import BaseModel, ConfigDict, Field, model_validator

    class EntitiesRequest(BaseModel):
        """Either one text or a list of texts."""

        model_config = ConfigDict(extra="forbid")
        text: Optional[str] = Field(None, description="one text to tag", examples=["Barack Obama visited Paris."])
        texts: Optional[list[str]] = Field(None, description="several texts to tag, answered in order")

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
        score: Optional[float] = Field(description="mean probability of its words' tags")

    class EntitiesResponse(BaseModel):
        entities: list[Entity] | list[list[Entity]] = Field(
            description="for 'text', the entities; for 'texts', one list of entities per text"
        )

    return EntitiesRequest, EntitiesResponse


def _page() -> str:
    return resources.files("nerkit").joinpath("resources/page.html").read_text(encoding="utf-8")


def create_app(
    tagger,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_texts: int = 32,
    max_wait_ms: float = 5.0,
    title: str = "nerkit",
):
    """A FastAPI app serving ``tagger`` (any callable ``list[str] -> list[list[dict]]``
    with an optional ``labels`` attribute); see the module docstring."""
    try:
        from fastapi import FastAPI, HTTPException, Request
        from fastapi.responses import HTMLResponse, JSONResponse
        from pydantic import ValidationError
    except ImportError:
        raise ConfigError("serving needs FastAPI and uvicorn; run `pip install 'nerkit[serve]'`") from None
    if not isinstance(max_chars, int) or max_chars < 1:
        raise ConfigError(f"max_chars (the most characters per request) must be at least 1, got {max_chars!r}")
    EntitiesRequest, EntitiesResponse = _request_model()
    batcher = MicroBatcher(tagger, max_texts=max_texts, max_wait_ms=max_wait_ms)
    # JSON may spell a character as a 12-byte surrogate pair (\ud83d\ude00); never refuse
    # a body that may hold max_chars characters, but refuse one that cannot.
    max_body = 12 * max_chars + 65536
    page = _page()

    @asynccontextmanager
    async def lifespan(app):
        yield
        await batcher.close()

    app = FastAPI(
        title=title,
        version=_version(),
        summary="Named entities with character offsets, from a fine-tuned BERT-family model.",
        lifespan=lifespan,
    )
    app.state.batcher = batcher

    def too_large(what: str) -> HTTPException:
        return HTTPException(
            status_code=413,
            detail=f"{what}, over the limit of {max_chars:,} characters per request; split the text "
            "into smaller requests, or start the server with a larger --max-chars",
        )

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body:
            raise too_large(f"the request body has {int(declared):,} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise too_large(f"the request body has more than {max_body:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index():
        return HTMLResponse(page)

    @app.get("/health")
    async def health():
        """Liveness, the entity types the model finds, the size limit and batching counts."""
        return {
            "status": "ok",
            "labels": list(getattr(tagger, "labels", [])),
            "max_chars": max_chars,
            "batching": dict(batcher.stats),
        }

    @app.post(
        "/entities",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": EntitiesRequest.model_json_schema()}},
            }
        },
        response_model=EntitiesResponse,
        responses={
            400: {"description": "the body is not UTF-8"},
            413: {"description": "more characters than the server's limit"},
            422: {"description": "malformed JSON, or a missing, extra or mistyped field"},
        },
    )
    async def entities(request: Request):
        """The entities of ``text``, or of each of ``texts``."""
        body = await read_body(request)
        try:
            decoded = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise HTTPException(
                status_code=400,
                detail=f"the request body is not valid UTF-8 (bad byte at position {exc.start}); "
                "send JSON encoded as UTF-8",
            ) from None
        try:
            req = EntitiesRequest.model_validate_json(decoded)
        except ValidationError as exc:
            detail = [
                {"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]}
                for e in exc.errors(include_url=False, include_input=False, include_context=False)
            ]
            return JSONResponse(status_code=422, content={"detail": detail})
        texts = [req.text] if req.text is not None else req.texts
        total = sum(len(t) for t in texts)
        if total > max_chars:
            raise too_large(f"the text has {total:,} characters" if req.text is not None
                            else f"the texts have {total:,} characters together")
        if not any(texts):
            results = [[] for _ in texts]  # nothing to tag; no need to queue
        else:
            try:
                results = await batcher(texts)
            except Exception as exc:
                log.exception("tagging failed")
                raise HTTPException(status_code=500, detail=f"tagging failed: {exc}") from None
        return JSONResponse({"entities": results[0] if req.text is not None else results})

    return app


def _version() -> str:
    from . import __version__

    return __version__
