"""Tagged documents written in an output format: nerkit's JSONL, an annotation tool's, or CoNLL.

>>> from nerkit.data.documents import Document
>>> writer = DocumentWriter("label-studio", model_version="wikigold")
>>> doc = Document(1, {"id": 1, "text": "Obama visited Paris."})
>>> entities = [{"text": "Obama", "label": "PER", "start": 0, "end": 5, "score": 0.9}]
>>> out = writer.start() + writer.document(doc, entities) + writer.end()
>>> import json; task = json.loads(out)[0]
>>> task["data"], task["predictions"][0]["model_version"], task["predictions"][0]["result"][0]["value"]
({'id': 1, 'text': 'Obama visited Paris.'}, 'wikigold', {'start': 0, 'end': 5, 'text': 'Obama', 'labels': ['PER']})
>>> print(DocumentWriter("conll", scheme="IO").document(doc, entities).decode(), end="")
-DOCSTART- O
<BLANKLINE>
Obama I-PER
visited O
Paris O
. O
<BLANKLINE>

``jsonl`` is nerkit's own (the input record with ``"entities"``), ``spacy``, ``doccano`` and
``label-studio`` are the shapes of :mod:`nerkit.data.annotations`, one record per line
except Label Studio's, whose import takes one JSON array of tasks. ``conll`` writes the
words of each document's sentences with their tags in ``scheme`` (the model's), a
``-DOCSTART-`` line before each document.
"""

from __future__ import annotations

import io

from ..errors import ConfigError
from .annotations import SPAN_FORMATS, annotated
from .conll import write_conll
from .documents import Document, to_json_line
from .spanfiles import TaskDocument
from .spans import tag_text

__all__ = ["OUTPUT_FORMATS", "DocumentWriter", "check_output_format"]

# What `nerkit predict --output-format` takes; auto: CoNLL for sentences, JSONL for documents.
OUTPUT_FORMATS = ("auto", "jsonl", "conll", *SPAN_FORMATS)


def check_output_format(fmt: str) -> str:
    """``fmt`` if it is one of :data:`OUTPUT_FORMATS`; a ConfigError otherwise."""
    if fmt not in OUTPUT_FORMATS:
        raise ConfigError(f"--output-format must be one of {', '.join(OUTPUT_FORMATS)}, got {fmt!r}")
    return fmt


class DocumentWriter:
    """The bytes of tagged documents in ``fmt``: :meth:`start`, then :meth:`document` for each, then :meth:`end`."""

    def __init__(self, fmt: str, model_version: str = "nerkit", scheme: str = "BIO") -> None:
        self.fmt = "jsonl" if check_output_format(fmt) == "auto" else fmt  # documents: JSONL unless told
        self.model_version = model_version
        self.scheme = scheme
        self._written = 0

    def start(self) -> bytes:
        return b"[\n" if self.fmt == "label-studio" else b""

    def document(self, doc: Document, entities: list[dict]) -> bytes:
        self._written += 1
        if self.fmt == "conll":
            sentences = tag_text(doc.text, [(e["start"], e["end"], e["label"]) for e in entities], self.scheme)
            out = io.StringIO()
            write_conll(out, [w for w, _ in sentences], [t for _, t in sentences], doc_ids=[0] * len(sentences))
            return (out.getvalue() or "-DOCSTART- O\n\n").encode("utf-8")
        task = isinstance(doc, TaskDocument)
        line = to_json_line(annotated(self.fmt, doc.record, entities, self.model_version, task=task))
        if self.fmt == "label-studio":  # one JSON array: commas between the tasks
            return (b"" if self._written == 1 else b",\n") + line.rstrip(b"\n")
        return line

    def end(self) -> bytes:
        return b"\n]\n" if self.fmt == "label-studio" else b""
