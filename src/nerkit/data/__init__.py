"""Data: what a data set is, where it comes from, how it is split.

>>> from nerkit.data import load, split
>>> train, test = split(load("wikigold"), test_fraction=0.5, seed=100)   # the recipe's split
>>> len(train), len(test)
(848, 848)

Modules: :mod:`~nerkit.data.dataset` (the :class:`Dataset`), :mod:`~nerkit.data.conll`
(read and write CoNLL), :mod:`~nerkit.data.sources` (wikigold, URLs, paths),
:mod:`~nerkit.data.splits` (train/test, validation, folds, samples),
:mod:`~nerkit.data.frames` (pandas) and :mod:`~nerkit.data.documents` (one document per
line, streamed).
"""

from .conll import read_conll, read_text_sentences, write_conll
from .dataset import Dataset, unique_labels
from .frames import from_dataframe, to_dataframe
from .sources import WIKIGOLD_ATTRIBUTION, load, wikigold, wikigold_license
from .splits import DEFAULT_SEED, kfold, split, subsample, validation_split

__all__ = [
    "Dataset",
    "unique_labels",
    "read_conll",
    "read_text_sentences",
    "write_conll",
    "load",
    "wikigold",
    "wikigold_license",
    "WIKIGOLD_ATTRIBUTION",
    "DEFAULT_SEED",
    "split",
    "validation_split",
    "kfold",
    "subsample",
    "to_dataframe",
    "from_dataframe",
]
