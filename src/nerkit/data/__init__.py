"""Data: what a data set is, where it comes from, how it is split.

>>> from nerkit.data import load, split
>>> train, test = split(load("wikigold"), test_fraction=0.5, seed=100)   # the recipe's split
>>> len(train), len(test)
(848, 848)

Modules: :mod:`~nerkit.data.dataset` (the :class:`Dataset`), :mod:`~nerkit.data.conll`
(read and write CoNLL), :mod:`~nerkit.data.sources` (wikigold, URLs, paths),
:mod:`~nerkit.data.splits` (train/test, validation, folds, samples),
:mod:`~nerkit.data.frames` (pandas), :mod:`~nerkit.data.documents` (one document per
line, streamed), :mod:`~nerkit.data.spans` (character spans to word tags and back),
:mod:`~nerkit.data.annotations` and :mod:`~nerkit.data.spanfiles` (annotation tools' files),
:mod:`~nerkit.data.hf` (Hugging Face ``datasets``) and :mod:`~nerkit.data.formats` (which reader).
"""

from .conll import read_conll, read_text_sentences, write_conll
from .dataset import Dataset, unique_labels
from .formats import DATA_FORMATS, ReadOptions, as_dataset, read_data
from .frames import from_dataframe, to_dataframe
from .hf import from_hf
from .sources import WIKIGOLD_ATTRIBUTION, load, wikigold, wikigold_license
from .spanfiles import read_span_file
from .spans import tag_text, text_spans
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
    "DATA_FORMATS",
    "ReadOptions",
    "read_data",
    "as_dataset",
    "from_hf",
    "read_span_file",
    "tag_text",
    "text_spans",
]
