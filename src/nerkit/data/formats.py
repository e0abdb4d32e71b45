"""Which reader a data source goes to: CoNLL, a span file of an annotation tool, or Hugging Face.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.conll").write_text("Paris I-LOC\\n")
>>> _ = (folder / "b.jsonl").write_text('{"text": "Paris", "spans": [{"start": 0, "end": 5, "label": "LOC"}]}\\n')
>>> guess_data_format(folder / "a.conll"), guess_data_format(folder / "b.jsonl")
('conll', 'spans')
>>> read_data(folder / "b.jsonl").labels
[['B-LOC']]

The format is told from the content and the extension: a folder written by
``save_to_disk`` is a Hugging Face dataset (``DIR:SPLIT`` names a split of a DatasetDict),
a ``.json``/``.jsonl`` file or one starting with ``{`` or ``[`` holds spans (whose shape
then tells the tool, :mod:`nerkit.data.spanfiles`), anything else is CoNLL. ``data_format``
(``--data-format``) says it outright. :func:`as_dataset` lets the library's functions take a
``datasets.Dataset`` wherever they take a nerkit Dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, DataError
from ..options import flag
from .annotations import SPAN_FORMATS
from .conll import TAG_COLUMN, read_conll
from .dataset import Dataset
from .hf import from_hf, is_hf, is_hf_dir, load_hf_dir
from .spanfiles import read_span_file

__all__ = ["DATA_FORMATS", "ReadOptions", "guess_data_format", "read_data", "as_dataset"]

DATA_FORMATS = ("auto", "conll", *SPAN_FORMATS, "hf")
_SPAN_SUFFIXES = (".json", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class ReadOptions:
    """How a data source is read, beyond CoNLL's ``tag_column``."""

    data_format: str = field(
        default="auto",
        metadata=flag("format of the data (auto: told from the file; see docs/formats.md)", choices=DATA_FORMATS),
    )
    hf_tokens: str | None = field(
        default=None, metadata=flag("token column of a Hugging Face dataset (default: tokens or words)")
    )
    hf_tags: str | None = field(
        default=None, metadata=flag("tag column of a Hugging Face dataset (default: ner_tags, tags, ner or labels)")
    )

    def __post_init__(self) -> None:
        if self.data_format not in DATA_FORMATS:
            raise ConfigError(
                f"data_format (--data-format) must be one of {', '.join(DATA_FORMATS)}, got {self.data_format!r}"
            )


def guess_data_format(path) -> str:
    """``hf``, ``spans`` (a span file; its shape tells which tool) or ``conll``."""
    p = Path(path)
    if is_hf_dir(p):
        return "hf"
    if p.suffix.lower() in _SPAN_SUFFIXES:
        return "spans"
    if p.is_file():
        with open(p, "rb") as f:
            head = f.read(4096).decode("utf-8", "replace").removeprefix("\ufeff").lstrip()
        if head[:1] in ("{", "["):
            return "spans"
    return "conll"


def _hf_split(source: str) -> tuple[str, str | None]:
    """``DIR:SPLIT`` apart, when DIR is a saved dataset and the whole is no path."""
    folder, _, split = source.rpartition(":")
    if folder and split and not Path(source).exists() and is_hf_dir(folder):
        return folder, split
    return source, None


def read_data(path, tag_column: int | None = TAG_COLUMN, options: ReadOptions | None = None, name=None) -> Dataset:
    """Read a data file or folder in ``options.data_format`` (told from it when ``auto``)."""
    options = options or ReadOptions()
    source, split = _hf_split(str(path))
    fmt = options.data_format if options.data_format != "auto" else guess_data_format(source)
    if fmt == "hf" or split is not None:
        return load_hf_dir(source, split, options.hf_tokens, options.hf_tags)
    if fmt == "conll":
        return read_conll(source, tag_column=tag_column, name=name)
    return read_span_file(source, "auto" if fmt == "spans" else fmt, name=name)


def as_dataset(data, **options) -> Dataset:
    """``data`` itself if a nerkit Dataset, else the nerkit Dataset of a ``datasets`` Dataset.

    ``options`` are :class:`ReadOptions`' ``hf_tokens`` and ``hf_tags``.
    """
    if isinstance(data, Dataset):
        return data
    if is_hf(data):
        read = ReadOptions(**options)
        return from_hf(data, read.hf_tokens, read.hf_tags)
    raise DataError(
        f"cannot use a {type(data).__name__} as data: pass a nerkit Dataset (nerkit.load(...)) "
        "or a Hugging Face datasets.Dataset"
    )
