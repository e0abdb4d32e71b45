"""Tests for nerkit.data.splits: train/test splits, folds, validation splits and samples."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from nerkit.data.dataset import Dataset
from nerkit.data.sources import wikigold
from nerkit.data.splits import check_seed, kfold, split, subsample, validation_split
from nerkit.errors import ConfigError, DataError

from .helpers import make_dataset

# ---------------------------------------------------------------------------
# split


def test_split_sizes_and_reproducible():
    ds = make_dataset(n_docs=10)
    train, test = split(ds, test_fraction=0.25, seed=7)
    assert len(test) == -(-len(ds) // 4)  # sklearn rounds the test size up
    assert len(train) + len(test) == len(ds)
    assert sorted(map(tuple, train.sentences + test.sentences)) == sorted(map(tuple, ds.sentences))
    again = split(ds, test_fraction=0.25, seed=7)
    assert again[0].sentences == train.sentences and again[1].sentences == test.sentences
    other = split(ds, test_fraction=0.25, seed=8)
    assert other[1].sentences != test.sentences


def test_split_matches_recipe_dataframe_split():
    # The recipe: train_test_split(df, test_size=0.5, random_state=100) on a DataFrame
    # with one row per sentence. Rows and their order must match exactly.
    ds = make_dataset(n_docs=12)
    df = pd.DataFrame({"sentence": ds.sentences, "labels": ds.labels})
    train_df, test_df = train_test_split(df, test_size=0.5, random_state=100)
    train, test = split(ds)
    assert train.sentences == list(train_df["sentence"])
    assert test.sentences == list(test_df["sentence"])
    assert train.labels == list(train_df["labels"])
    assert test.labels == list(test_df["labels"])


def test_split_matches_recipe_on_wikigold():
    ds = wikigold()
    df = pd.DataFrame({"sentence": ds.sentences, "labels": ds.labels})
    train_df, test_df = train_test_split(df, test_size=0.5, random_state=100)
    train, test = split(ds, 0.5, 100)
    assert train.sentences == list(train_df["sentence"])
    assert test.sentences == list(test_df["sentence"])


def test_split_by_document_keeps_documents_whole():
    ds = make_dataset(n_docs=10)
    train, test = split(ds, test_fraction=0.3, seed=1, by="document")
    assert not set(train.doc_ids) & set(test.doc_ids)
    assert len(set(test.doc_ids)) == 3  # fraction of documents, not sentences
    counts = Counter(ds.doc_ids)
    for part in (train, test):
        assert all(Counter(part.doc_ids)[d] == counts[d] for d in set(part.doc_ids))
    assert len(train) + len(test) == len(ds)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, 0.0, 1.0])
def test_split_rejects_fraction(bad):
    with pytest.raises(ConfigError) as err:
        split(make_dataset(), test_fraction=bad)
    assert str(err.value) == f"--test-fraction must be between 0 and 1 (exclusive), got {bad}"


def test_split_errors():
    with pytest.raises(ConfigError, match=r"by= \(--split-by\) must be"):
        split(make_dataset(), by="word")
    one = Dataset([["a"]], [["O"]], [0])
    with pytest.raises(DataError, match="cannot split 1 sentence"):
        split(one)
    with pytest.raises(DataError, match="1 document"):
        split(make_dataset(n_docs=1, per_doc=(4,)), by="document")


# ---------------------------------------------------------------------------
# kfold and validation_split


@pytest.mark.parametrize("by", ["document", "sentence"])
def test_kfold_tests_every_sentence_once(by):
    ds = make_dataset(n_docs=11)
    folds = kfold(ds, folds=4, seed=3, by=by)
    assert len(folds) == 4
    tested = Counter(w[0] for _, test in folds for w in test.sentences)
    assert tested == Counter(w[0] for w in ds.sentences)
    for train, test in folds:
        assert len(train) + len(test) == len(ds)
        assert not {w[0] for w in train.sentences} & {w[0] for w in test.sentences}
        if by == "document":
            assert not set(train.doc_ids) & set(test.doc_ids)
    again = kfold(ds, folds=4, seed=3, by=by)
    assert [t.sentences for _, t in again] == [t.sentences for _, t in folds]


def test_kfold_errors():
    ds = make_dataset(n_docs=3)
    with pytest.raises(ConfigError, match="--folds"):
        kfold(ds, folds=1)
    with pytest.raises(DataError, match="3 document"):
        kfold(ds, folds=5)
    with pytest.raises(DataError, match="sentences"):
        kfold(Dataset([["a"], ["b"]], None), folds=3, by="sentence")


@pytest.mark.parametrize("seed", ["1", -1, 1.5, None, 2**40])
def test_a_bad_seed_is_named(seed):
    # It was read by scikit-learn as "cannot split 8 sentences into two non-empty parts", or a ValueError.
    ds = make_dataset(n_docs=3)
    for call in (
        lambda: split(ds, seed=seed),
        lambda: validation_split(ds, seed=seed),
        lambda: kfold(ds, folds=2, seed=seed),
        lambda: subsample(ds, 0.5, seed=seed),
    ):
        with pytest.raises(ConfigError, match="seed .* must be a whole number from 0 to 4294967295"):
            call()


@pytest.mark.parametrize("data", [None, [["Paris"], ["Rome"]]])
def test_data_that_is_not_a_dataset_is_named(data):
    for call in (lambda: split(data), lambda: kfold(data, folds=2), lambda: subsample(data, 0.5)):
        with pytest.raises(DataError, match="pass a nerkit Dataset"):
            call()


def test_validation_split_by_document_and_fallback():
    ds = make_dataset(n_docs=10)
    train, val = validation_split(ds, fraction=0.2, seed=5)
    assert not set(train.doc_ids) & set(val.doc_ids)
    assert len(set(val.doc_ids)) == 2
    single = make_dataset(n_docs=1, per_doc=(20,))
    train, val = validation_split(single, fraction=0.1)
    assert len(val) == 2 and len(train) == 18
    with pytest.raises(ConfigError, match="between 0 and 1"):
        validation_split(ds, fraction=0)


# ---------------------------------------------------------------------------
# subsample


def test_subsample():
    ds = make_dataset(n_docs=10)
    sub = subsample(ds, 0.3, seed=2)
    assert len(sub) == round(0.3 * len(ds))
    positions = [ds.sentences.index(s) for s in sub.sentences]
    assert positions == sorted(positions)
    assert subsample(ds, 0.3, seed=2).sentences == sub.sentences
    assert len(subsample(ds, 0.0001)) == 1
    assert subsample(ds, 1).sentences == ds.sentences
    with pytest.raises(ConfigError):
        subsample(ds, 0)
    with pytest.raises(ConfigError):
        subsample(ds, 1.2)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True])
def test_a_seed_scikit_learn_refuses_is_named_not_read_as_cannot_split(seed):
    # scikit-learn's ValueError for the seed was reported as "cannot split ...; use more data".
    data = make_dataset()
    for call in (
        lambda: split(data, seed=seed),
        lambda: validation_split(data, seed=seed),
        lambda: kfold(data, 2, seed),
    ):
        with pytest.raises(ConfigError, match=r"seed \(--seed\) must be a whole number from 0 to 4294967295"):
            call()
    assert check_seed(0) == 0 and check_seed(2**32 - 1) == 2**32 - 1
