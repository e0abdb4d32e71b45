"""Hugging Face ``datasets``: a Dataset with token and tag columns to a nerkit Dataset.

>>> import datasets                                                  # doctest: +SKIP
>>> hf = datasets.load_dataset("conll2003")                          # doctest: +SKIP
>>> train = from_hf(hf["train"])          # columns tokens and ner_tags, ClassLabel names  # doctest: +SKIP
>>> train.labels[0][:3]                                              # doctest: +SKIP
['B-ORG', 'O', 'B-MISC']

The token column is the first of :data:`TOKEN_COLUMNS` the dataset has and the tag column
the first of :data:`TAG_COLUMNS`, unless named (``hf_tokens``, ``hf_tags``; ``--hf-tokens``,
``--hf-tags``). A DatasetDict of one split is that split; of several, one must be named
(``data["train"]``, or ``DIR:train`` for a saved one). Tags stored as class ids are named by the column's ``ClassLabel``; string
tags are used as they are. A row whose only token is ``-DOCSTART-`` (conll2003 keeps them)
starts a new document and is not a sentence, as in :func:`nerkit.data.conll.read_conll`;
empty rows are skipped. ``datasets`` is only imported to read a saved directory
(``Dataset.save_to_disk``, :func:`load_hf_dir`); a dataset object is read through its own methods.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError, first_line
from .conll import DOCSTART
from .dataset import Dataset

__all__ = ["TOKEN_COLUMNS", "TAG_COLUMNS", "is_hf", "is_hf_dir", "from_hf", "load_hf_dir"]

TOKEN_COLUMNS = ("tokens", "words")
TAG_COLUMNS = ("ner_tags", "tags", "ner", "labels")


def is_hf(obj) -> bool:
    """Whether ``obj`` is a ``datasets`` Dataset, IterableDataset or DatasetDict (without importing it)."""
    return type(obj).__module__.split(".")[0] == "datasets" and hasattr(obj, "column_names")


def is_hf_dir(path) -> bool:
    """Whether ``path`` is a folder written by ``save_to_disk`` (a Dataset or a DatasetDict)."""
    p = Path(path)
    return p.is_dir() and ((p / "state.json").is_file() or (p / "dataset_dict.json").is_file())


def _column(columns: list[str], given: str | None, candidates: tuple[str, ...], what: str, flag: str) -> str:
    if given is not None:
        if given not in columns:
            raise DataError(f"the dataset has no column {given!r} (it has {', '.join(columns)}); check {flag}")
        return given
    found = next((c for c in candidates if c in columns), None)
    if found is None:
        raise DataError(
            f"the dataset has none of the {what} columns {', '.join(candidates)} (it has {', '.join(columns)}); "
            f"name it with {flag}"
        )
    return found


def _tag_names(feature) -> list[str] | None:
    """The ClassLabel names of a column of tag lists, or None when it holds no ClassLabel."""
    inner = getattr(feature, "feature", None)  # Sequence / List
    if inner is None and isinstance(feature, list) and feature:
        inner = feature[0]
    names = getattr(inner, "names", None)
    return list(names) if names else None


def _rows(ds, tokens: str, tags: str):
    if hasattr(ds, "__len__"):  # a Dataset: read two columns at once, not row dicts
        return zip(ds[tokens], ds[tags])
    return ((row[tokens], row[tags]) for row in ds)  # an IterableDataset


def _tag(value, names: list[str] | None, row: int, column: str) -> str:
    if isinstance(value, str):
        return value
    if names is not None and isinstance(value, int) and 0 <= value < len(names):
        return names[value]
    raise DataError(
        f"row {row}: tag {value!r} in column {column!r} is neither a string nor a class id of a ClassLabel; "
        "cast the column to a list of ClassLabel (Dataset.cast_column) or store tag strings"
    )


def from_hf(ds, hf_tokens: str | None = None, hf_tags: str | None = None, name: str | None = None) -> Dataset:
    """A nerkit Dataset from a ``datasets`` Dataset; see the module docstring."""
    if isinstance(ds, dict):  # a DatasetDict: its one split, or the caller names one
        if len(ds) != 1:
            splits = ", ".join(map(str, ds))
            raise DataError(f"a DatasetDict holds several splits ({splits}); pass one, e.g. data['train']")
        ds = next(iter(ds.values()))
    columns = list(ds.column_names)
    tokens = _column(columns, hf_tokens, TOKEN_COLUMNS, "token", "hf_tokens (--hf-tokens)")
    tags = _column(columns, hf_tags, TAG_COLUMNS, "tag", "hf_tags (--hf-tags)")
    names = _tag_names((ds.features or {}).get(tags))
    sentences, labels, doc_ids, doc = [], [], [], 0
    for row, (words, row_tags) in enumerate(_rows(ds, tokens, tags)):
        if not isinstance(words, (list, tuple)) or not isinstance(row_tags, (list, tuple)):
            raise DataError(
                f"row {row}: columns {tokens!r} and {tags!r} must hold one list per row (words and their tags); "
                "name the right columns with --hf-tokens and --hf-tags"
            )
        words = [str(w) for w in words]
        if words == [DOCSTART]:
            doc += 1 if doc_ids and doc_ids[-1] == doc else 0  # only documents with sentences count
            continue
        if len(words) != len(row_tags):
            raise DataError(f"row {row}: {len(words)} tokens but {len(row_tags)} tags; give one tag per token")
        if words:
            sentences.append(words)
            labels.append([_tag(t, names, row, tags) for t in row_tags])
            doc_ids.append(doc)
    if not sentences:
        raise DataError("the dataset holds no sentences (every row is empty)")
    return Dataset(sentences, labels, doc_ids, name or "")


def load_hf_dir(path, split: str | None = None, hf_tokens: str | None = None, hf_tags: str | None = None) -> Dataset:
    """A folder written by ``save_to_disk``; a DatasetDict's ``split`` must be named (``DIR:split`` in ``load``)."""
    if not is_hf_dir(path):
        raise DataError(f"{path} is not a folder written by datasets' save_to_disk; check the path")
    try:
        import datasets
    except ImportError:
        raise DataError(f"{path} is a Hugging Face dataset; install nerkit[datasets] to read it") from None
    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as exc:  # noqa: BLE001 - datasets and pyarrow raise many kinds on a damaged folder
        raise DataError(
            f"{path} looks like a folder written by save_to_disk but cannot be read ({first_line(exc)}); "
            "save the dataset again"
        ) from None
    if isinstance(loaded, datasets.DatasetDict):
        split = next(iter(loaded)) if split is None and len(loaded) == 1 else split
        if split not in loaded:
            how = f"it has no split {split!r}" if split else "name one"
            raise DataError(
                f"{path} holds the splits {', '.join(loaded)}; {how}: pass {path}:{next(iter(loaded))} (or another split)"
            )
        loaded = loaded[split]
    elif split is not None:
        raise DataError(f"{path} holds one Dataset, not splits; pass {path} without :{split}")
    return from_hf(loaded, hf_tokens, hf_tags, name=Path(path).name + (f"-{split}" if split else ""))
