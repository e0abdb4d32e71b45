"""``nerkit predict --engine ray``: tagging on a Ray cluster (or a local Ray), same output as one process.

>>> RayOptions(workers=4, cpus_per_worker=2).workers
4
>>> RayOptions(workers=0)
Traceback (most recent call last):
...
nerkit.errors.ConfigError: --workers must be a whole number of at least 1, got 0
>>> predict_ray("runs/m", "docs.jsonl", "tagged.jsonl", workers=2)      # doctest: +SKIP
Tagged(summary='tagged 1000 document(s), 2316 entities into tagged.jsonl', warning=None)
>>> tagged = predict_ray("runs/m", ray.data.read_json("s3://bucket/docs/"), workers=8)   # doctest: +SKIP
>>> tagged.write_json("s3://bucket/tagged/")                                              # doctest: +SKIP

How it runs (docs/scaling.md has the cluster recipe):

- Ray Data's actor pool (``map_batches`` with a callable class, ``workers`` actors): each
  actor loads the model once and tags one block at a time, with ``cpus_per_worker`` CPU
  cores (its torch threads) and ``gpus_per_worker`` GPUs.
- Text and JSONL files: the driver cuts the input into blocks (:mod:`nerkit.scaling.blocks`,
  byte ranges of whole chunks); workers read their block from the file (so the input must be
  at the same path on every machine of a cluster: a shared file system) and return its JSONL
  lines, which are those ``nerkit predict`` writes.
- CoNLL and pre-split lines: the driver reads the sentences (as ``nerkit predict`` does) and
  sends blocks of them; workers return tags, and the driver writes the same CoNLL.
- Order: Ray Data runs with ``preserve_order``, which hands blocks back in input order.
  It holds finished blocks that overtook an unfinished one in the object store (spilled to
  disk when full, with backpressure on new work), not in the driver; the driver writes
  each block as it arrives and keeps nothing, so memory does not grow with the input.
- Nothing lost or doubled: an actor that dies is restarted and its block retried
  (Ray Data's defaults); a block's lines reach the output only when the whole block is
  back, and the driver checks that block indexes arrive once each, in order.
- Resumable (text and JSONL into a file): blocks are appended to ``OUTPUT.partial`` and
  recorded as done (:mod:`nerkit.scaling.progress`); if the driver itself dies, the same
  command again skips the blocks done and goes on. CoNLL and lines start over.
- A Ray Dataset (from Python) with a ``text`` column is tagged lazily instead: the result
  is the Dataset with an ``entities`` column added, in whatever order Ray gives it (keep
  an ``id`` column to match rows).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import torch

from ..data.conll import write_conll
from ..data.writers import DocumentWriter, check_output_format
from ..encoding.context import surrounding
from ..errors import ConfigError, first_line
from ..inference.consistency import consistent_tags
from ..inference.files import (
    DocumentCounts,
    Tagged,
    check_outputs,
    document_chunks,
    input_format,
    read_sentences,
    write_chunk,
)
from ..inference.predict import predict
from ..inference.tagger import Tagger
from ..modeling.model import NerModel, read_meta
from ..modeling.options import InferenceOptions
from ..modeling.store import BACKENDS
from ..options import flag
from ..parallel.shards import model_identity
from .blocks import Block, plan_blocks, read_block
from .progress import BlockWriter

__all__ = ["RayOptions", "predict_ray", "ENGINES", "check_engine", "KILL_ENV"]

ENGINES = ("local", "ray")  # `nerkit predict --engine`
INSTALL = 'the Ray engine needs Ray Data, which is not installed; install it with pip install "nerkit[ray]"'
# Test hook: "N:MARKER" makes an actor kill its own process at its N-th block, once (MARKER is created first).
KILL_ENV = "NERKIT_TEST_KILL_WORKER"


@dataclass(frozen=True)
class RayOptions:
    """How ``--engine ray`` spreads the work; checked once, here."""

    workers: int = field(default=1, metadata=flag("Ray actors tagging at once, each with its own model", type=int))
    cpus_per_worker: float = field(
        default=1.0, metadata=flag("CPU cores each worker reserves (its torch threads)", type=float)
    )
    gpus_per_worker: float = field(
        default=0.0, metadata=flag("GPUs each worker reserves (1 per worker, or 0.5 for two on one)", type=float)
    )
    # Blocks of seconds of work: small enough to spread a few thousand documents over a few
    # workers and to lose little to a retry, big enough that Ray's cost per task (milliseconds) is nothing.
    block_size: int = field(
        default=200,
        metadata=flag("documents (sentences for CoNLL) per Ray task: the unit retried after a failure", type=int),
    )
    address: str | None = field(
        default=None,
        metadata=flag(
            "join this Ray cluster (auto, HOST:PORT or ray://HOST:10001); default: $RAY_ADDRESS if set, "
            "else a local Ray started for the run"
        ),
    )

    def __post_init__(self) -> None:
        for name in ("workers", "block_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be a whole number of at least 1, got {value!r}")
        for name in ("cpus_per_worker", "gpus_per_worker"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be a number of at least 0, got {value!r}")
        if self.cpus_per_worker == 0 and self.gpus_per_worker == 0:
            raise ConfigError("a worker needs --cpus-per-worker or --gpus-per-worker above 0")


def check_engine(engine: str, nproc: int = 1, shard_dir: str | None = None, ray_flags: dict | None = None) -> None:
    """Refuse flags of one engine given to the other (one line each)."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "ray" and (nproc != 1 or shard_dir):
        raise ConfigError("--nproc and --shard-dir are the local engine's; with --engine ray use --workers")
    if engine != "ray" and ray_flags:
        given = ", ".join("--" + name.replace("_", "-") for name in ray_flags)
        raise ConfigError(f"{given} only apply with --engine ray; add --engine ray or leave them out")


def _ray():
    """The ray module, or one line saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401 - the data extra, not just ray core
    except ImportError:
        raise ConfigError(INSTALL) from None
    return ray


def _split(kwargs: dict) -> tuple[RayOptions, dict]:
    """RayOptions from the keyword arguments that are its fields; the others are inference options."""
    names = {f.name for f in fields(RayOptions)}
    ray_options = kwargs.pop("ray_options", None) or RayOptions()
    ray_options = replace(ray_options, **{k: kwargs.pop(k) for k in list(kwargs) if k in names})  # checked again
    InferenceOptions().updated(**kwargs)  # checks them before any work
    return ray_options, kwargs


def predict_ray(
    model_dir: str | os.PathLike,
    input,
    output: str | None = None,
    fmt: str = "auto",
    html: str | None = None,
    backend: str = BACKENDS[0],
    progress: bool = True,
    output_format: str = "auto",
    **options,
):
    """Tag ``input`` (a path, or a Ray Dataset) with Ray; see the module docstring.

    ``options`` are :class:`RayOptions` fields (``workers``, ``address``, ...) or a whole
    ``ray_options=RayOptions(...)``, and :class:`~nerkit.modeling.options.InferenceOptions`
    fields overriding the model's. A path is written to ``output`` (stdout when None) in
    input order and a :class:`~nerkit.inference.files.Tagged` is returned; a Dataset comes
    back as a lazy Dataset with an ``entities`` column.
    """
    ray_options, options = _split(dict(options))
    if html:
        raise ConfigError("--html is not available with --engine ray; tag without it for a web page")
    ray = _ray()
    if isinstance(input, ray.data.Dataset):
        if output:
            raise ConfigError("a Ray Dataset is tagged lazily: write the result yourself, e.g. .write_json(folder)")
        _connect(ray, ray_options)
        return _tag_dataset(input, model_dir, backend, ray_options, options)
    input = str(input)
    if input == "-":
        raise ConfigError("--engine ray reads a file (workers read their blocks from it), not stdin; save it first")
    fmt = input_format(input, fmt)
    written = "jsonl" if fmt in ("text", "jsonl") else "conll"
    if check_output_format(output_format) not in ("auto", written):
        # The blocks are written as nerkit predict writes them by default; other shapes stay local for now.
        raise ConfigError(
            f"--engine ray writes {written} for this input, not {output_format}; "
            "drop --output-format or tag without --engine ray"
        )
    if output and not Path(output).absolute().parent.is_dir():
        raise ConfigError(f"the folder of --output {output} does not exist; create it or choose another path")
    check_outputs(output, None, input)  # not the input file
    with _session(ray, ray_options):
        if fmt in ("text", "jsonl"):
            return _tag_documents(model_dir, input, output, fmt, backend, progress, ray_options, options)
        return _tag_sentences(model_dir, input, output, fmt, backend, ray_options, options)


def _reachable(address: str) -> None:
    """Fail in a second, with one line, on an address nothing listens at (Ray would retry for a minute)."""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError):
        raise ConfigError(
            f"no Ray cluster answers at {address}; start one (`ray start --head`) or check --address "
            "(HOST:PORT of the head, or ray://HOST:10001)"
        ) from None


def _connect(ray, ray_options: RayOptions) -> bool:
    """Join or start Ray unless this process already has; True when this call started it."""
    if ray.is_initialized():
        return False
    address = ray_options.address
    if address:
        _reachable(address)
    try:
        ray.init(address=address, log_to_driver=True, include_dashboard=False, logging_level="WARNING")
    except (ConnectionError, RuntimeError) as exc:
        raise ConfigError(
            f"could not start or join Ray ({first_line(exc)}); check --address, and for a cluster with token "
            "authentication set RAY_AUTH_MODE=token and its token (RAY_AUTH_TOKEN)"
        ) from None
    return True


@contextlib.contextmanager
def _session(ray, ray_options: RayOptions):
    """Ray for the run, shut down afterwards if this run started it; quiet Ray Data."""
    started = _connect(ray, ray_options)
    context = ray.data.DataContext.get_current()
    saved = context.execution_options.preserve_order, context.enable_progress_bars
    context.execution_options.preserve_order = True  # blocks come back in input order (see the module docstring)
    context.enable_progress_bars = False  # nerkit shows one bar of its own
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # not a line per run on how it is planned
    try:
        yield
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = saved
        if started:
            ray.shutdown()


def _pool(ray, ray_options: RayOptions) -> dict:
    """map_batches arguments of the actor pool: one block per call, ``workers`` actors.

    Ray Data's defaults for an actor pool restart a dead actor and retry its blocks
    (``max_restarts=-1``, ``max_task_retries=-1``): a lost worker costs time, never output.
    """
    return dict(
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=ray_options.workers),
        num_cpus=ray_options.cpus_per_worker,
        num_gpus=ray_options.gpus_per_worker,
    )


def _chunk_size(model_dir, options: dict) -> int:
    """The batch size the workers' Tagger will use: the model's own, or the override."""
    saved = NerModel.fields_from_meta(read_meta(Path(model_dir)), 512).get("inference", InferenceOptions())
    return saved.updated(**options).batch_size


def _tag_documents(model_dir, input, output, fmt, backend, progress, ray_options, options) -> Tagged:
    from tqdm import tqdm

    ray = _ray()
    counts = DocumentCounts()
    chunk = _chunk_size(model_dir, options)
    blocks = plan_blocks(input, fmt, chunk, ray_options.block_size, counts, report=tqdm)
    if not blocks:  # no document to tag: the error now, before an earlier output is replaced
        counts.summary(input, output)
    identity = dict(input=_file_identity(input), model=model_identity(model_dir), fmt=fmt, backend=backend,
                    options=options, chunk=chunk, block_size=ray_options.block_size)  # fmt: skip
    writer = BlockWriter(output, identity)
    done = replace(writer.progress)  # as it was at the start (writes add to writer.progress)
    todo = blocks[done.blocks :]
    bar = tqdm(total=sum(b.documents for b in blocks), initial=done.documents, unit="doc", desc="tagging",
               file=sys.stderr, disable=not progress or None, dynamic_ncols=True)  # fmt: skip
    try:
        if todo:
            rows = ray.data.from_items([vars(b) for b in todo], override_num_blocks=len(todo))
            kill = os.environ.get(KILL_ENV)
            worker = _worker(ray_options, model_dir, backend, options, input=os.path.abspath(input), fmt=fmt, kill=kill)
            tagged = rows.map_batches(BlockTagger, fn_constructor_kwargs=worker, **_pool(ray, ray_options))
            for row in _in_order(tagged.iter_rows(), todo[0].index, len(blocks)):
                writer.write(row["jsonl"], int(row["documents"]), int(row["entities"]))
                bar.update(int(row["documents"]))
        writer.finish()
    finally:
        bar.close()
        writer.close()
    counts.documents, counts.entities = writer.progress.documents, writer.progress.entities
    resumed = f" ({done.blocks} of {len(blocks)} blocks were done before)" if done.blocks else ""
    return Tagged(counts.summary(input, output) + resumed, counts.warning())


def _file_identity(path: str) -> list:
    stat = os.stat(path)
    return [os.path.abspath(path), stat.st_size, stat.st_mtime_ns]


def _tag_sentences(model_dir, input, output, fmt, backend, ray_options, options) -> Tagged:
    ray = _ray()
    data = read_sentences(input, fmt)
    size = ray_options.block_size
    # Each sentence travels with the words around it (document context), so blocks cut none.
    meta = read_meta(Path(model_dir))
    settings = InferenceOptions.from_dict(meta.get("inference")).updated(**options)
    around = surrounding(data.sentences, data.doc_ids, settings.context)
    parts = [
        {
            "index": i,
            "sentences": data.sentences[s : s + size],
            "before": [b for b, _ in around[s : s + size]],
            "after": [a for _, a in around[s : s + size]],
        }
        for i, s in enumerate(range(0, len(data), size))
    ]
    tags: list[list[str]] = []
    if parts:
        rows = ray.data.from_items(parts, override_num_blocks=len(parts))
        worker = _worker(ray_options, model_dir, backend, options, kill=os.environ.get(KILL_ENV))
        tagged = rows.map_batches(BlockTagger, fn_constructor_kwargs=worker, **_pool(ray, ray_options))
        for row in _in_order(tagged.iter_rows(), 0, len(parts)):
            tags += [list(t) for t in row["tags"]]
    if settings.consistency:  # a document can span blocks: its names are made consistent once all are in
        tags = consistent_tags(data.sentences, tags, data.doc_ids, meta.get("scheme"))
    write_conll(output or sys.stdout, data.sentences, tags, doc_ids=data.doc_ids if fmt == "conll" else None)
    return Tagged(f"tagged {len(data)} sentences into {output}" if output else None)


def _in_order(rows, first: int, count: int):
    """Each block's row once, in input order (blocks ``first`` to ``count - 1``); a repeat is
    dropped, a gap is an error."""
    expected = first
    for row in rows:
        index = int(row["index"])
        if index < expected:
            continue  # a retried block delivered twice: its first copy is already written
        if index > expected:
            raise RuntimeError(f"Ray returned block {index} before block {expected}; the output would be out of order")
        expected += 1
        yield row
    if expected != count:
        raise RuntimeError(f"Ray returned {expected} of {count} blocks")


def _worker(ray_options: RayOptions, model_dir, backend, options: dict, **more) -> dict:
    """The actors' constructor arguments (the test hook is read here, in the driver's environment)."""
    threads = max(1, int(ray_options.cpus_per_worker))
    # Absolute paths: a worker's working directory is not the driver's on other machines.
    return dict(model_dir=os.path.abspath(model_dir), backend=backend, options=options, threads=threads, **more)


class BlockTagger:
    """A Ray actor: loads the model once, then tags one block per call.

    A block is a row with ``index`` and either a byte range of a text/JSONL file
    (``start``, ``end``, ``line``, ``documents``), answered with its JSONL lines, or
    ``sentences``, answered with their tags.
    """

    def __init__(self, model_dir, backend, options, threads=1, input=None, fmt=None, kill=None) -> None:
        # As many torch threads as cores reserved: more would fight the other actors for them.
        torch.set_num_threads(threads)
        self.tagger = Tagger.load(model_dir, backend=backend, **options)
        self.options, self.input, self.fmt = options, input, fmt
        self.kill, self.calls = kill, 0

    def __call__(self, batch: dict) -> dict:
        self.calls += 1
        self._maybe_die()
        if "sentences" in batch:
            tags = [
                predict(self.tagger.model, [list(w) for w in s], surroundings=[(list(b), list(a)) for b, a in zip(*ab)],
                        **self.options).tags
                for s, *ab in zip(batch["sentences"], batch["before"], batch["after"])
            ]  # fmt: skip
            return {"index": batch["index"], "tags": tags}
        out = {"index": batch["index"], "jsonl": [], "documents": [], "entities": []}
        for values in zip(*(batch[f.name] for f in fields(Block))):
            block = Block(*(int(v) for v in values))
            counts, lines = DocumentCounts(), io.BytesIO()
            for chunk in document_chunks(read_block(self.input, self.fmt, block), self.tagger.options.batch_size):
                write_chunk(self.tagger, chunk, lines, counts, None, DocumentWriter("jsonl"))
            out["jsonl"].append(lines.getvalue())
            out["documents"].append(counts.documents)
            out["entities"].append(counts.entities)
        return out

    def _maybe_die(self) -> None:
        """The test hook (``KILL_ENV``): die like a lost node would, once."""
        if not self.kill:
            return
        n, _, marker = self.kill.partition(":")
        if self.calls == int(n) and not os.path.exists(marker):
            Path(marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)


class DatasetTagger:
    """A Ray actor for a Dataset with a ``text`` column: adds ``entities`` to each batch."""

    def __init__(self, model_dir, backend, options, threads=1) -> None:
        torch.set_num_threads(threads)
        self.tagger = Tagger.load(model_dir, backend=backend, **options)

    def __call__(self, batch):
        batch["entities"] = self.tagger([str(t) for t in batch["text"]])
        return batch


def _tag_dataset(dataset, model_dir, backend, ray_options: RayOptions, options: dict):
    ray = _ray()
    if "text" not in dataset.columns():
        raise ConfigError(
            f'the Dataset has no "text" column (it has {", ".join(dataset.columns())}); add or rename one'
        )
    pool = {**_pool(ray, ray_options), "batch_size": ray_options.block_size, "batch_format": "pandas"}
    return dataset.map_batches(
        DatasetTagger, fn_constructor_kwargs=_worker(ray_options, model_dir, backend, options), **pool
    )
