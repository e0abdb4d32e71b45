"""pandas DataFrames with the recipe's columns: ``sentence`` (word lists) and ``labels``.

>>> import pandas as pd
>>> ds = from_dataframe(pd.DataFrame({"sentence": ["Anna sings"], "labels": [["I-PER", "O"]]}))
>>> ds.sentences, ds.labels
([['Anna', 'sings']], [['I-PER', 'O']])
>>> list(to_dataframe(ds).columns)
['sentence', 'labels', 'doc_id']
"""

from __future__ import annotations

from ..errors import DataError, excerpt
from .dataset import Dataset

__all__ = ["to_dataframe", "from_dataframe"]


def to_dataframe(dataset: Dataset):
    """A DataFrame with columns ``sentence``, ``labels`` (if tagged) and ``doc_id``."""
    import pandas as pd

    columns = {"sentence": list(dataset.sentences)}
    if dataset.labels is not None:
        columns["labels"] = list(dataset.labels)
    columns["doc_id"] = list(dataset.doc_ids)
    return pd.DataFrame(columns)


def _as_tokens(value, column: str, row: int) -> list[str]:
    # Accept a whitespace-joined string too: that is how many DataFrames hold sentences.
    if isinstance(value, str):
        return value.split()
    try:
        return [str(v) for v in value]
    except TypeError:
        raise DataError(
            f"DataFrame row {row}: the {column!r} value {excerpt(value)} is not a list of "
            "strings; give a list (or a space-separated string) per row"
        ) from None


def from_dataframe(df, name: str = "") -> Dataset:
    """Build a Dataset from ``sentence`` (+ optional ``labels``, ``doc_id``) columns."""
    if "sentence" not in df.columns:
        raise DataError("the DataFrame must have a 'sentence' column of word lists")
    sentences = [_as_tokens(v, "sentence", i) for i, v in enumerate(df["sentence"])]
    labels = None
    if "labels" in df.columns:
        labels = [_as_tokens(v, "labels", i) for i, v in enumerate(df["labels"])]
        for i, (words, tags) in enumerate(zip(sentences, labels)):
            if len(words) != len(tags):
                raise DataError(
                    f"DataFrame row {i}: {len(words)} words but {len(tags)} labels; give exactly one label per word"
                )
    doc_ids = [int(d) for d in df["doc_id"]] if "doc_id" in df.columns else None
    return Dataset(sentences, labels, doc_ids, name)
