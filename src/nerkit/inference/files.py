"""Tagging files: CoNLL or pre-split lines to CoNLL, raw text, JSONL or Label Studio tasks to JSONL with entities,
or to an annotation tool's format (``output_format``, :mod:`nerkit.data.writers`) for pre-annotation.

>>> from nerkit.inference.files import predict_file
>>> predict_file("runs/wikigold", "sentences.txt", "tagged.conll").summary                # doctest: +SKIP
'tagged 848 sentences into tagged.conll'
>>> predict_file("runs/wikigold", "docs.jsonl", "entities.jsonl", html="entities.html").summary  # doctest: +SKIP
'tagged 1000 document(s), 2316 entities into entities.jsonl'

This is ``nerkit predict``. The input format is guessed (:func:`nerkit.data.documents.guess_format`)
unless given. Documents stream in bounded chunks, so memory stays constant however long the
input is; a bad JSONL line is reported with its number and skipped, and the others are
tagged. CoNLL and line input can be tagged by several processes in crash-safe shards
(:func:`predict_in_processes`, :func:`predict_shards`), merged in input order.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..data.conll import read_conll, read_text_sentences, write_conll
from ..data.dataset import Dataset
from ..data.documents import BadLine, Document, chunks, guess_format, read_documents
from ..data.spanfiles import read_tasks
from ..data.writers import DocumentWriter, check_output_format
from ..encoding.context import surrounding
from ..errors import ConfigError, DataError
from ..modeling.options import InferenceOptions
from ..modeling.store import BACKENDS, load_model
from ..outputs import atomic_file, check_output_file
from ..parallel.group import Context, env_world_size, setup
from ..parallel.launcher import launch
from ..parallel.shards import plan_shards, remove_shards, run_shards
from ..text.entities import word_entities
from ..text.highlight import render_html
from .consistency import consistent_tags
from .predict import predict, predict_in_pieces
from .tagger import Tagger

__all__ = [
    "predict_file",
    "predict_in_processes",
    "predict_shards",
    "tag_documents",
    "Tagged",
    "DocumentCounts",
    "input_format",
    "check_outputs",
    "document_chunks",
    "read_sentences",
    "good_documents",
    "write_chunk",
]

SHARD_SIZE = 1000  # sentences per shard
_SHOWN_BAD_LINES = 20


def input_format(input: str, fmt: str = "auto") -> str:
    """The format ``input`` is read in: ``fmt`` itself, or the guess for a file (``auto``)."""
    if input == "-":
        if fmt not in DOCUMENT_FORMATS:
            raise ConfigError("reading stdin (--input -) needs --format text, jsonl or label-studio")
        return fmt
    if Path(input).is_dir():
        raise DataError(f"input {input} is a folder; pass a file in it (or '-' for stdin)")
    if not Path(input).is_file():
        raise DataError(f"input file {input} does not exist; check the path")
    return guess_format(input) if fmt == "auto" else fmt


# Inputs of whole documents (raw text), tagged by the Tagger; the others are pre-split sentences.
DOCUMENT_FORMATS = ("text", "jsonl", "label-studio")


def read_sentences(input: str, fmt: str) -> Dataset:
    return read_conll(input, tag_column=None) if fmt == "conll" else read_text_sentences(input)


@dataclass
class Tagged:
    """What a file's tagging did: a line to show, and a warning when some input was skipped."""

    summary: str | None
    warning: str | None = None


def predict_file(
    model_dir: str | os.PathLike,
    input: str,
    output: str | None = None,
    fmt: str = "auto",
    html: str | None = None,
    backend: str = BACKENDS[0],
    progress: bool = True,
    shard_dir: str | None = None,
    shard_size: int = SHARD_SIZE,
    output_format: str = "auto",
    **options,
) -> Tagged:
    """Tag ``input`` into ``output`` (stdout when None).

    ``options`` are :class:`~nerkit.modeling.options.InferenceOptions` fields overriding the
    model's. ``output_format`` is one of :data:`~nerkit.data.writers.OUTPUT_FORMATS` (``auto``:
    CoNLL for sentences, JSONL for documents). With ``shard_dir``, or under a launcher of
    several processes, this process does its share of the shards (:func:`predict_shards`).
    """
    InferenceOptions().updated(**options)  # checks the options before any work
    _check_shard_size(shard_size)  # a bad one is an error even where no shards are cut, not ignored
    check_output_format(output_format)
    fmt = input_format(input, fmt)
    check_outputs(output, html, input)
    if shard_dir or env_world_size() > 1:
        if not shard_dir:
            raise ConfigError("tagging in several processes needs --shard-dir, a folder all of them can reach")
        _check_shards(fmt, html, shard_size, output_format)
        # Gloo for the one barrier even when the model runs on a GPU.
        summary = predict_shards(
            setup("cpu"), model_dir, input, shard_dir, output, fmt, shard_size, html, backend, **options
        )
        return Tagged(summary)
    if fmt in DOCUMENT_FORMATS:
        tagger = Tagger.load(model_dir, backend=backend, **options)
        writer = DocumentWriter(output_format, _model_version(model_dir), tagger.model.output_scheme)
        counts = tag_documents(tagger, input, output, fmt, html=html, progress=progress, writer=writer)
        return Tagged(counts.summary(input, output), counts.warning())
    data = read_sentences(input, fmt)
    model = load_model(model_dir, backend=backend)
    # Memory bounded however long the file; a CoNLL file's documents (one for a file of lines) give context.
    prediction = predict_in_pieces(model, data.sentences, documents=data.doc_ids, **options)
    if output_format in ("auto", "conll"):
        _write_conll(output, data.sentences, prediction.tags, doc_ids=data.doc_ids if fmt == "conll" else None)
    else:
        _write_sentence_records(data, prediction, output, DocumentWriter(output_format, _model_version(model_dir)))
    if html:
        pages = (word_entities(*x) for x in zip(data.sentences, prediction.tags, prediction.scores))
        with atomic_file(html) as f:
            f.write(render_html(pages))
    return Tagged(f"tagged {len(data)} sentences into {output}" if output else None)


def _model_version(model_dir) -> str:
    """What a Label Studio prediction names the model by: its folder's name."""
    return Path(model_dir).resolve().name or str(model_dir)


def _write_sentence_records(data: Dataset, prediction, output: str | None, writer: DocumentWriter) -> None:
    """Pre-split sentences as documents of a span format: the text is the words joined by spaces."""
    with contextlib.ExitStack() as stack:
        target = stack.enter_context(atomic_file(output, "wb")) if output else sys.stdout.buffer
        target.write(writer.start())
        for i, (words, tags, scores) in enumerate(zip(data.sentences, prediction.tags, prediction.scores)):
            text, entities = word_entities(words, tags, scores)
            target.write(writer.document(Document(i + 1, {"id": i + 1, "text": text}), entities))
        target.write(writer.end())
        target.flush()


def check_outputs(output: str | None, html: str | None, input: str | None = None) -> None:
    """Both outputs writable and none the input or the other, checked before the model is loaded or anything is tagged.

    An output on the input replaced the input with its tags; --html on --output replaced the tags with the page.
    """
    if output:
        check_output_file(output, "--output")
    if html:
        check_output_file(html, "--html")
    for option, path in (("--output", output), ("--html", html)):
        if path and input and input != "-" and _same_file(path, input):
            raise ConfigError(f"{option} {path} is the input file; writing it would replace the input: choose another")
    if output and html and _same_file(output, html):
        raise ConfigError(f"--html {html} is the --output file; give the web page a name of its own")


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (through links too, for files that exist)."""
    if os.path.exists(a) and os.path.exists(b):
        return os.path.samefile(a, b)
    return os.path.abspath(a) == os.path.abspath(b)


def _write_conll(output: str | None, sentences, tags, doc_ids) -> None:
    """CoNLL to stdout, or to ``output`` whole (a temporary file moved into place)."""
    if not output:
        write_conll(sys.stdout, sentences, tags, doc_ids=doc_ids)
        return
    with atomic_file(output, newline="\n") as f:
        write_conll(f, sentences, tags, doc_ids=doc_ids)


def _check_shards(fmt: str, html: str | None, shard_size: int, output_format: str = "auto") -> None:
    if output_format not in ("auto", "conll"):
        raise ConfigError(
            f"--nproc and --shard-dir write CoNLL only; tag without them for --output-format {output_format}"
        )
    if fmt in DOCUMENT_FORMATS:
        raise ConfigError(
            f"--nproc and --shard-dir take CoNLL or one pre-split sentence per line, not {fmt} input; "
            "split the documents into several files and run one `nerkit predict` per file"
        )
    if html:
        raise ConfigError("--html is not available with --nproc or --shard-dir; tag without them for a web page")
    _check_shard_size(shard_size)


def _check_shard_size(shard_size) -> None:
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise ConfigError(f"--shard-size must be at least 1 sentence, got {shard_size}")


def predict_in_processes(
    argv: Sequence[str],
    nproc: int,
    model_dir: str | os.PathLike,
    input: str,
    output: str | None = None,
    fmt: str = "auto",
    shard_dir: str | None = None,
    shard_size: int = SHARD_SIZE,
    html: str | None = None,
    backend: str = BACKENDS[0],
    output_format: str = "auto",
    **options,
) -> int:
    """Run the ``nerkit`` command ``argv`` (a ``predict`` with ``--shard-dir``) in ``nproc``
    processes, each tagging its share of the shards; return the exit status.

    A default shard folder (``OUTPUT.shards``) is removed after success and kept after a
    failure, so a rerun skips the shards already done.
    """
    InferenceOptions().updated(**options)  # checks the options before any work
    fmt = input_format(input, fmt)
    _check_shards(fmt, html, shard_size, output_format)
    check_outputs(output, None, input)
    if not output and not shard_dir:
        raise ConfigError("--nproc needs --output (or --shard-dir) for the shards it writes")
    folder = shard_dir or f"{output}.shards"
    sentences = read_sentences(input, fmt).sentences
    plan_shards(folder, sentences, model_dir, shard_size, {"backend": backend, **options})  # refuses others' shards
    code = launch([*argv, "--nproc", "1", "--shard-dir", folder], nproc)
    if code == 0 and not shard_dir:
        remove_shards(folder)
    return code


def predict_shards(
    ctx: Context,
    model_dir: str | os.PathLike,
    input: str,
    shard_dir: str,
    output: str | None = None,
    fmt: str = "auto",
    shard_size: int = SHARD_SIZE,
    html: str | None = None,
    backend: str = BACKENDS[0],
    **options,
) -> str | None:
    """This process's part of a sharded ``nerkit predict``; rank 0 merges and writes CoNLL.

    Returns the summary line on rank 0, None on the others.
    """
    fmt = input_format(input, fmt)
    _check_shards(fmt, html, shard_size)
    data = read_sentences(input, fmt)
    plan = plan_shards(shard_dir, data.sentences, model_dir, shard_size, {"backend": backend, **options})
    model = load_model(model_dir, backend=backend)
    settings = model.inference.updated(**options)
    # Each sentence travels with the words around it, so a shard's border cuts no context.
    items = list(zip(data.sentences, surrounding(data.sentences, data.doc_ids, settings.context)))

    def work(part):
        return predict(model, [s for s, _ in part], surroundings=[a for _, a in part], **options).tags

    done, tags = run_shards(plan, items, ctx, work)
    if not ctx.is_main:
        return None
    if settings.consistency:  # a document can span shards: its names are made consistent once all are in
        tags = consistent_tags(data.sentences, tags, data.doc_ids, model.output_scheme)
    _write_conll(output, data.sentences, tags, doc_ids=data.doc_ids if fmt == "conll" else None)
    return f"tagged {len(data)} sentences in {plan.count} shards ({done} finished before)" + (
        f" into {output}" if output else ""
    )


@dataclass
class DocumentCounts:
    """What :func:`tag_documents` did."""

    documents: int = 0
    entities: int = 0
    bad: int = 0
    first_bad: int | None = None
    first_problem: str | None = None

    def summary(self, input: str, output: str | None) -> str:
        if not self.documents and not self.bad:
            raise DataError(f"{input}: no documents found (the input is empty or blank); write one document per line")
        if not self.documents:
            # Every line bad (a binary file, the wrong --format): an error, so an earlier output is kept.
            raise DataError(
                f"{input}: none of its {self.bad} non-blank line(s) could be read (line {self.first_bad}: "
                f"{self.first_problem}); check that --format fits the file"
            )
        where = f" into {output}" if output else ""
        return f"tagged {self.documents} document(s), {self.entities} entities{where}"

    def warning(self) -> str | None:
        if not self.bad:
            return None
        return (
            f"nerkit predict: skipped {self.bad} bad line(s), the first at line {self.first_bad}; "
            "fix them and run again for those documents"
        )


def tag_documents(
    tagger: Tagger,
    input: str,
    output: str | None,
    fmt: str,
    html: str | None = None,
    progress: bool = True,
    writer: DocumentWriter | None = None,
) -> DocumentCounts:
    """Raw-text, JSONL or Label Studio documents (``input``, ``-`` for stdin) to JSONL with entities
    (or what ``writer`` writes), streamed.

    ``output`` (and ``html``) are written whole or not at all: a temporary file beside each is
    moved into place only when every document was read, so a failure keeps what was there.
    """
    writer = writer or DocumentWriter("jsonl")
    from tqdm import tqdm

    size = None if input == "-" else os.path.getsize(input)
    bar = tqdm(
        total=size,
        unit="B",
        unit_scale=True,
        desc="tagging",
        disable=not progress or None,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    counts, page = DocumentCounts(), [] if html else None
    try:
        with contextlib.ExitStack() as stack:
            source = sys.stdin.buffer if input == "-" else stack.enter_context(open(input, "rb"))
            target = sys.stdout.buffer if not output else stack.enter_context(atomic_file(output, "wb"))
            lines = _counted_lines(source, bar)
            # Label Studio tasks are one JSON array, read whole; the others stream line by line.
            items = read_tasks(lines) if fmt == "label-studio" else read_documents(lines, fmt)
            documents = good_documents(items, counts, bar)
            target.write(writer.start())
            for chunk in document_chunks(documents, tagger.options.batch_size):
                write_chunk(tagger, chunk, target, counts, page, writer)
            target.write(writer.end())
            counts.summary(input, output)  # no documents at all: an error, before anything is replaced
    finally:
        bar.close()
    if page is not None and (counts.documents or counts.bad):
        with atomic_file(html) as f:
            f.write(render_html(page))
    return counts


def document_chunks(documents, batch_size: int, text=lambda d: d.text):
    """The chunks :func:`tag_documents` tags one at a time (``text`` gives an item's text).

    Bounded chunks: memory stays constant however long the input is. The Ray engine
    (:mod:`nerkit.scaling.ray_engine`) cuts its blocks at the same places, so its
    model calls, and hence its entities, are those of ``nerkit predict``.
    """
    return chunks(documents, batch_size * 4, 1_000_000, size=lambda d: len(text(d)))


def _counted_lines(source, bar):
    for line in source:
        bar.update(len(line))
        yield line


def good_documents(items, counts: DocumentCounts, bar):
    """The documents among ``items``; bad lines are counted and the first few reported.

    Reports wait for the first good document: when none comes (every line bad),
    :meth:`DocumentCounts.summary` says so in one line instead of a line per bad line.
    """
    held: list[str] | None = []  # None once a good document was seen
    for item in items:
        if isinstance(item, BadLine):
            counts.bad += 1
            counts.first_bad = counts.first_bad or item.line
            counts.first_problem = counts.first_problem or item.problem
            if counts.bad <= _SHOWN_BAD_LINES:
                message = f"nerkit predict: line {item.line} skipped: {item.problem}"
                if held is None:
                    bar.write(message, file=sys.stderr)
                else:
                    held.append(message)
        else:
            for message in held or ():
                bar.write(message, file=sys.stderr)
            held = None
            yield item


def write_chunk(
    tagger: Tagger, chunk, target: IO[bytes], counts: DocumentCounts, page: list | None, writer: DocumentWriter
) -> None:
    for doc, entities in zip(chunk, tagger([d.text for d in chunk])):
        target.write(writer.document(doc, entities))
        counts.documents += 1
        counts.entities += len(entities)
        if page is not None:
            page.append((doc.text, entities))
    target.flush()
