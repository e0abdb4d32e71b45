"""Splits of a data set: train/test, validation, k folds, and the recipe's quick sample.

>>> ds = Dataset([["a"], ["b"], ["c"], ["d"]], [["O"]] * 4, doc_ids=[0, 0, 1, 1])
>>> train, test = split(ds, test_fraction=0.5, seed=100)
>>> len(train), len(test)
(2, 2)
>>> [len(test) for _, test in kfold(ds, folds=2, by="document")]
[2, 2]

``split(by="sentence")`` reproduces the recipe's ``train_test_split(df, test_size=0.5,
random_state=100)`` row for row; ``by="document"`` keeps documents whole, so a test side
never shares an article with the training side.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
from .dataset import Dataset

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_TEST_FRACTION",
    "SPLIT_BY",
    "split",
    "validation_split",
    "kfold",
    "subsample",
    "check_fraction",
    "check_seed",
]

DEFAULT_SEED = 100  # the recipe's random_state, for splits and training alike
DEFAULT_TEST_FRACTION = 0.5  # the recipe's 50/50
SPLIT_BY = ("sentence", "document")  # the first is the default (the recipe's)


def check_fraction(value, option: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ConfigError(f"{option} must be between 0 and 1 (exclusive), got {value}")
    # float() matters: sklearn reads an int test_size as a count, not a fraction.
    return float(value)


SEED_LIMIT = 2**32  # scikit-learn and numpy take seeds from 0 to 2**32 - 1


def check_seed(seed, option: str = "--seed") -> int:
    """``seed`` when scikit-learn takes it; else a ConfigError (its own ValueError read as "cannot split")."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        raise ConfigError(f"{option} must be a whole number from 0 to {SEED_LIMIT - 1:,}, got {seed!r}; use e.g. 100")
    return seed


def _check_by(by: str) -> None:
    if by not in SPLIT_BY:
        raise ConfigError(f"by= (--split-by) must be 'sentence' or 'document', got {by!r}")


def _split(dataset: Dataset, fraction: float, seed: int, by: str, what: str):
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    _check_by(by)
    check_seed(seed)
    if by == "sentence":
        try:
            # Same call on range(n) as on a DataFrame of n sentences: train_test_split
            # only draws a permutation from n and random_state, so the indices match.
            train_idx, test_idx = train_test_split(list(range(len(dataset))), test_size=fraction, random_state=seed)
        except ValueError:
            raise DataError(
                f"cannot split {len(dataset)} sentence(s) into two non-empty parts "
                f"with a {what} fraction of {fraction}; use more data or another fraction"
            ) from None
        return dataset.select(train_idx), dataset.select(test_idx)
    if dataset.n_documents < 2:
        raise DataError(
            f"cannot split by document: the dataset has {dataset.n_documents} document; "
            "use by='sentence' or a file with -DOCSTART- lines between documents"
        )
    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    try:
        train_idx, test_idx = next(splitter.split(np.zeros(len(dataset)), groups=dataset.doc_ids))
    except ValueError:
        raise DataError(
            f"cannot split {dataset.n_documents} documents into two non-empty parts "
            f"with a {what} fraction of {fraction}; use another fraction or by='sentence'"
        ) from None
    return dataset.select(train_idx), dataset.select(test_idx)


def split(
    dataset: Dataset, test_fraction: float = DEFAULT_TEST_FRACTION, seed: int = DEFAULT_SEED, by: str = SPLIT_BY[0]
) -> tuple[Dataset, Dataset]:
    """Split into (train, test).

    ``by="sentence"`` reproduces ``train_test_split(df, test_size=test_fraction,
    random_state=seed)`` on a DataFrame of sentences, row for row and in the same
    order. ``by="document"`` keeps documents whole; ``test_fraction`` is then the
    fraction of documents.
    """
    fraction = check_fraction(test_fraction, "--test-fraction")
    return _split(dataset, fraction, seed, by, "test")


def validation_split(
    dataset: Dataset, fraction: float = 0.1, seed: int = DEFAULT_SEED, by: str = "document"
) -> tuple[Dataset, Dataset]:
    """Carve (train, validation) from training data; by sentence if only one document."""
    frac = check_fraction(fraction, "--validation")
    _check_by(by)
    if by == "document" and dataset.n_documents < 2:
        by = "sentence"
    return _split(dataset, frac, seed, by, "validation")


def kfold(
    dataset: Dataset, folds: int = 5, seed: int = DEFAULT_SEED, by: str = "document"
) -> list[tuple[Dataset, Dataset]]:
    """(train, test) for each of ``folds`` folds; every sentence is tested exactly once."""
    from sklearn.model_selection import KFold

    _check_by(by)
    check_seed(seed)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ConfigError(f"--folds must be a whole number of at least 2, got {folds}")
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    if by == "sentence":
        if len(dataset) < folds:
            raise DataError(f"cannot make {folds} folds from {len(dataset)} sentences; use fewer folds")
        return [(dataset.select(tr), dataset.select(te)) for tr, te in splitter.split(np.zeros(len(dataset)))]
    docs = sorted(set(dataset.doc_ids))
    if len(docs) < folds:
        raise DataError(f"cannot make {folds} folds from {len(docs)} document(s); use fewer folds or by='sentence'")
    # KFold over the shuffled document ids rather than GroupKFold: GroupKFold balances
    # by size and ignores the seed in older scikit-learn, so folds would not vary with it.
    doc_ids = np.asarray(dataset.doc_ids)
    result = []
    for _, test_docs in splitter.split(np.zeros(len(docs))):
        in_test = np.isin(doc_ids, [docs[i] for i in test_docs])
        result.append((dataset.select(np.flatnonzero(~in_test)), dataset.select(np.flatnonzero(in_test))))
    return result


def subsample(dataset: Dataset, fraction: float, seed: int = DEFAULT_SEED) -> Dataset:
    """A random ``fraction`` of the sentences (at least one), in their original order."""
    number = isinstance(fraction, (int, float)) and not isinstance(fraction, bool)
    if not number or not 0 < fraction <= 1:
        raise ConfigError(f"subsample fraction must be above 0 and at most 1, got {fraction}")
    n = len(dataset)
    k = min(n, max(1, round(fraction * n)))
    chosen = np.random.RandomState(seed).choice(n, size=k, replace=False)
    return dataset.select(np.sort(chosen))
