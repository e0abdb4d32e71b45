"""Tests for nerkit.data.frames: Datasets to and from pandas DataFrames."""

from __future__ import annotations

import pandas as pd
import pytest

from nerkit.data.dataset import Dataset
from nerkit.data.frames import from_dataframe, to_dataframe
from nerkit.errors import DataError

from .helpers import make_dataset


def test_dataframe_round_trip():
    ds = make_dataset()
    df = to_dataframe(ds)
    assert list(df.columns) == ["sentence", "labels", "doc_id"]
    back = from_dataframe(df)
    assert (back.sentences, back.labels, back.doc_ids) == (ds.sentences, ds.labels, ds.doc_ids)


def test_dataframe_untagged_and_missing_columns():
    ds = Dataset([["a", "b"], ["c"]], None, [0, 1])
    df = to_dataframe(ds)
    assert "labels" not in df.columns
    back = from_dataframe(df)
    assert back.labels is None and back.doc_ids == [0, 1]
    plain = from_dataframe(pd.DataFrame({"sentence": [["x", "y"]], "labels": [["O", "O"]]}))
    assert plain.doc_ids == [0] and plain.labels == [["O", "O"]]
    with pytest.raises(DataError) as err:
        from_dataframe(pd.DataFrame({"words": [["a"]]}))
    assert str(err.value) == "the DataFrame must have a 'sentence' column of word lists"
    with pytest.raises(DataError, match="row 0: 2 words but 1 labels"):
        from_dataframe(pd.DataFrame({"sentence": [["a", "b"]], "labels": [["O"]]}))
