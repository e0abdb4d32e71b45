"""Tests for nerkit.data.dataset: the Dataset and its tags."""

from __future__ import annotations

import pytest

from nerkit.data.dataset import Dataset, unique_labels
from nerkit.errors import DataError

from .helpers import make_dataset


def test_dataset_select_and_validation():
    ds = make_dataset()
    sub = ds.select([3, 0])
    assert sub.sentences == [ds.sentences[3], ds.sentences[0]]
    assert sub.labels == [ds.labels[3], ds.labels[0]]
    assert sub.doc_ids == [ds.doc_ids[3], ds.doc_ids[0]]
    assert sub.name == ds.name
    assert Dataset([["a"]], None).doc_ids == [0]
    with pytest.raises(DataError, match="one tag per word"):
        Dataset([["a", "b"]], [["O"]], [0])
    with pytest.raises(DataError, match="doc_ids"):
        Dataset([["a"]], [["O"]], [0, 1])


@pytest.mark.parametrize(
    "sentences, match",
    [
        (None, "sentences must be a list of sentences.*got a NoneType"),
        (["Paris is"], "sentence 0 is a str, not a list of words"),  # was "8 words but 2 tags"
        ([["Paris", 5]], "sentence 0 word 1 is a int, not a str"),  # was a TypeError deep in the tokenizer
    ],
)
def test_sentences_must_be_lists_of_words(sentences, match):
    with pytest.raises(DataError, match=match):
        Dataset(sentences, None)


def test_unique_labels():
    ds = Dataset([["a", "b", "c"], ["d"]], [["I-PER", "O", "B-LOC"], ["B-LOC"]], [0, 0])
    assert unique_labels(ds) == ["O", "B-LOC", "I-PER"]
    assert unique_labels(Dataset([["a"]], [["I-PER"]], [0])) == ["I-PER"]
    with pytest.raises(DataError, match="no tags"):
        unique_labels(Dataset([["a"]], None, [0]))
