"""Files of texts with character spans (spaCy/Prodigy, doccano, Label Studio) read into a Dataset.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "doccano.jsonl"
>>> _ = path.write_text('{"text": "Obama visited Paris.", "label": [[0, 5, "PER"], [14, 19, "LOC"]]}\\n')
>>> ds = read_span_file(path)
>>> ds.sentences, ds.labels
([['Obama', 'visited', 'Paris', '.']], [['B-PER', 'O', 'B-LOC', 'O']])
>>> _ = path.write_text('{"text": "Obama visited Paris.", "label": [[0, 4, "PER"]]}\\n')
>>> read_span_file(path)
Traceback (most recent call last):
...
nerkit.errors.DataError: .../doccano.jsonl line 1: span [0, 4, 'PER'] ('Obam') ends inside the word 'Obama' (characters 0-5); make the span cover whole words

A file is JSON lines, or one JSON array (Label Studio's JSON export); either way every
record is reported by the line it starts on. Each record is one document, cut into
sentences and tagged as :mod:`nerkit.data.spans` describes; the first bad record stops
the reading with one error naming the file, the line and the fix. The format is told
from the records' shape (:func:`nerkit.data.annotations.guess_shape`) unless given.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from .annotations import SPAN_FORMATS, guess_shape, record_spans, task_text
from .dataset import Dataset
from .documents import BadLine, Document
from .spans import SpanError, tag_text

__all__ = ["read_span_file", "json_records", "read_tasks", "TaskDocument", "guess_span_format"]


@dataclass
class TaskDocument(Document):
    """A Label Studio task to tag: its text is ``data.text``, and the task is written back whole."""

    @property
    def text(self) -> str:
        return self.record["data"]["text"]


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _array(text: str, start: int) -> Iterator[tuple[int, object] | BadLine]:
    decoder, line, seen = json.JSONDecoder(), 1, 0

    def line_at(i: int) -> int:
        nonlocal line, seen
        line, seen = line + text.count("\n", seen, i), i
        return line

    i = _skip_space(text, start + 1)
    while i < len(text) and text[i] != "]":
        try:
            item, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            yield BadLine(exc.lineno, f"not valid JSON ({exc.msg} at column {exc.colno})")
            return
        except RecursionError:  # as _lines says it
            yield BadLine(line_at(i), "JSON nested too deeply")
            return
        yield line_at(i), item
        i = _skip_space(text, end)
        if i < len(text) and text[i] == ",":
            i = _skip_space(text, i + 1)
        elif i >= len(text) or text[i] != "]":
            yield BadLine(line_at(min(i, len(text))), "expected ',' or ']' after a record (not valid JSON)")
            return
    if i >= len(text):
        yield BadLine(line_at(len(text)), "the JSON array is not closed by a final ']' (not valid JSON)")
    elif (after := _skip_space(text, i + 1)) < len(text):
        yield BadLine(line_at(after), "text after the JSON array's final ']' (not valid JSON)")


def _lines(text: str) -> Iterator[tuple[int, object] | BadLine]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadLine(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
        except RecursionError:
            yield BadLine(number, "JSON nested too deeply")


def json_records(raw: bytes) -> Iterator[tuple[int, object] | BadLine]:
    """``(line, record)`` for each record of JSON lines or of one JSON array, bad ones as BadLine."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        yield BadLine(raw[: exc.start].count(b"\n") + 1, "not valid UTF-8; re-encode the file as UTF-8")
        return
    start = _skip_space(text, 0)
    yield from _array(text, start) if text[start : start + 1] == "[" else _lines(text)


def read_tasks(stream: Iterable[bytes]) -> Iterator[TaskDocument | BadLine]:
    """Label Studio tasks to tag (a JSON export or JSON lines), bad ones as BadLine."""
    for item in json_records(b"".join(stream)):
        if isinstance(item, BadLine):
            yield item
            continue
        line, task = item
        if not isinstance(task, dict):
            yield BadLine(line, f'is a JSON {type(task).__name__}, not a task object like {{"data": {{"text": ...}}}}')
            continue
        try:
            task_text(task)
        except SpanError as exc:
            yield BadLine(line, str(exc))
            continue
        yield TaskDocument(line, task)


def guess_span_format(path: Path, records: list, array: bool = False) -> str:
    """The span format of ``records`` (the file's), from the first record whose shape tells.

    A JSON array none of whose records tells is Label Studio's export (its tasks name the
    problem); a bad line is named before saying that the format cannot be told.
    """
    for item in records:
        if not isinstance(item, BadLine) and (shape := guess_shape(item[1])):
            return shape
    if array:
        return "label-studio"
    bad = next((item for item in records if isinstance(item, BadLine)), None)
    if bad is not None:
        raise DataError(f"{path} line {bad.line}: {bad.problem}; fix the line")
    raise DataError(
        f"{path}: cannot tell the annotation format (no record holds spans); "
        f"pass --data-format ({', '.join(SPAN_FORMATS)})"
    )


def read_span_file(path, fmt: str = "auto", name: str | None = None) -> Dataset:
    """A tagged Dataset from a span file in ``fmt`` (one of SPAN_FORMATS, or ``auto``)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file; check the path")
    raw = p.read_bytes()
    records = list(json_records(raw))
    if not records:
        raise DataError(f"{p}: no documents found (the file is empty or blank); write one JSON record per line")
    if fmt == "auto":
        fmt = guess_span_format(p, records, array=raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["))
    sentences, labels, doc_ids, skipped = [], [], [], 0
    for item in records:
        if isinstance(item, BadLine):
            raise DataError(f"{p} line {item.line}: {item.problem}; fix the line")
        line, record = item
        try:
            if not isinstance(record, dict):
                raise SpanError(f"is a JSON {type(record).__name__}, not an object; write one record per line")
            found = record_spans(record, fmt)
            tagged = [] if found is None else tag_text(*found)
        except SpanError as exc:
            raise DataError(f"{p} line {line}: {exc}") from None
        skipped += found is None
        for words, tags in tagged:
            sentences.append(words)
            labels.append(tags)
            doc_ids.append(line)
    if skipped:
        warnings.warn(f"{p}: skipped {skipped} record(s) not labelled or rejected (see docs/formats.md)", stacklevel=2)
    if not sentences:
        if skipped:
            raise DataError(
                f"{p}: none of its {skipped} record(s) is labelled (or all were rejected); label some first"
            )
        raise DataError(f"{p}: no words found in any record; check that the texts are not empty")
    # Documents are numbered from 0 in file order, like read_conll's.
    number = {line: i for i, line in enumerate(dict.fromkeys(doc_ids))}
    return Dataset(sentences, labels, [number[d] for d in doc_ids], p.stem if name is None else name)
