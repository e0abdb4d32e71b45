"""Documents one per line, plain text or JSONL, read as a stream with bad lines reported.

>>> import io
>>> lines = io.BytesIO(b'{"id": "a", "text": "Paris."}\\nnot json\\n\\n{"id": 3}\\n')
>>> for item in read_documents(lines, "jsonl"):
...     print(item)
Document(line=1, record={'id': 'a', 'text': 'Paris.'})
BadLine(line=2, problem='not valid JSON (Expecting value at column 1)')
BadLine(line=4, problem='has no "text" string; write each line as {"id": ..., "text": "..."}')

Lines are read as bytes and decoded one at a time, so a file of any size streams in
constant memory and one line that is not UTF-8 costs only that line. Blank lines are
skipped. A plain-text line is one document; its ``id`` is its line number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..text.words import split_words

__all__ = [
    "MAX_DOCUMENT_CHARS",
    "Document",
    "BadLine",
    "read_documents",
    "chunks",
    "to_json_line",
    "guess_format",
    "INPUT_FORMATS",
]

FORMATS = ("text", "jsonl")  # documents, one per line
# Characters of one document: a longer line is refused (reported, the others tagged). Tagging
# keeps every word with its offsets, about 200 bytes a word; a 50 MB line grew to gigabytes.
MAX_DOCUMENT_CHARS = 1_000_000
INPUT_FORMATS = ("auto", "conll", "lines", *FORMATS, "label-studio")  # what `nerkit predict --format` takes


@dataclass
class Document:
    line: int  # 1-based line number in the input
    record: dict  # the JSONL object ({"id", "text", ...}), or {"id": line, "text": line} for text

    @property
    def text(self) -> str:
        return self.record["text"]


@dataclass
class BadLine:
    line: int
    problem: str


def read_documents(stream: BinaryIO | Iterable[bytes], fmt: str, first_line: int = 1) -> Iterator[Document | BadLine]:
    """Documents (and bad lines, in their place) from a binary stream; see the module docstring.

    ``first_line`` numbers a stream that starts inside a file (a block of it read by a worker).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    for number, raw in enumerate(stream, start=first_line):
        if len(raw) > 4 * MAX_DOCUMENT_CHARS + 2:  # more characters than the limit whatever they are
            yield _too_long(number, len(raw), "bytes")
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield BadLine(number, f"not valid UTF-8 (bad byte at column {exc.start + 1}); re-encode the file as UTF-8")
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if fmt == "text":
            too_long = len(line) > MAX_DOCUMENT_CHARS
            yield _too_long(number, len(line)) if too_long else Document(number, {"id": number, "text": line})
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadLine(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            yield BadLine(number, "JSON nested too deeply")
            continue
        if not isinstance(record, dict):
            yield BadLine(number, f'is a JSON {type(record).__name__}, not an object like {{"id": 1, "text": "..."}}')
        elif not isinstance(record.get("text"), str):
            yield BadLine(number, 'has no "text" string; write each line as {"id": ..., "text": "..."}')
        elif len(record["text"]) > MAX_DOCUMENT_CHARS:
            yield _too_long(number, len(record["text"]))
        else:
            record.setdefault("id", number)
            yield Document(number, record)


def _too_long(number: int, size: int, unit: str = "characters") -> BadLine:
    return BadLine(
        number,
        f"is {size:,} {unit} long, over the limit of {MAX_DOCUMENT_CHARS:,} characters a document; "
        "split it into several lines",
    )


def chunks(items: Iterable, max_items: int, max_chars: int, size=len) -> Iterator[list]:
    """Consecutive lists of items, each of at most ``max_items`` items and (unless one
    item alone is larger) ``max_chars`` total ``size``: constant memory, bounded batches."""
    chunk, total = [], 0
    for item in items:
        n = size(item)
        if chunk and (len(chunk) >= max_items or total + n > max_chars):
            yield chunk
            chunk, total = [], 0
        chunk.append(item)
        total += n
    if chunk:
        yield chunk


def to_json_line(record: dict) -> bytes:
    """One JSON line in UTF-8; lone surrogates (valid in JSON input) come back escaped."""
    try:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(record) + "\n").encode("ascii")


def _is_task(line: str) -> bool:
    """Whether a JSON line is a Label Studio task (``{"data": {"text": ...}}``, no top-level text)."""
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return False
    return isinstance(record, dict) and "text" not in record and isinstance(record.get("data"), dict)


def guess_format(path: str | Path) -> str:
    """The format of an input file: ``conll``, ``jsonl``, ``label-studio``, ``lines`` (pre-split) or ``text``.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "input.txt"
    >>> _ = path.write_text("Paris, France.\\n")
    >>> guess_format(path)
    'text'
    >>> _ = path.write_text("Paris , France .\\n")
    >>> guess_format(path)
    'lines'
    """
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        lines = [line.strip() for _, line in zip(range(2000), f)]
    if any(line.startswith("-DOCSTART-") for line in lines):
        return "conll"
    first = next((line for line in lines if line), "")
    if first.startswith("{"):
        return "label-studio" if _is_task(first) else "jsonl"
    if first.startswith("["):  # a JSON array: Label Studio's export of tasks
        return "label-studio"
    filled = [len(line.split()) for line in lines if line]
    blank = len(lines) - len(filled)
    # CoNLL: short lines (a word and maybe tags) with blank lines between sentences, nearly
    # all with the same number of columns (lines of text vary in length).
    columns = max(set(filled), key=filled.count) if filled else 0
    if (
        filled
        and blank
        and sorted(filled)[len(filled) // 2] <= 4
        and max(filled) <= 12
        and filled.count(columns) >= 0.9 * len(filled)
    ):
        return "conll"
    # Pre-split sentences are lines that nerkit's own word splitting leaves as they are
    # ("Paris , France ."); anything else ("Paris, France.") is raw text.
    if all([w.text for w in split_words(line)] == line.split() for line in lines[:200] if line):
        return "lines"
    return "text"
