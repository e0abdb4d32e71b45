"""Encoding: words to the word pieces a model reads, in windows and padded batches.

Modules: :mod:`~nerkit.encoding.casing` (word shapes), :mod:`~nerkit.encoding.windows`
(tokenization, label alignment, windows over long sentences) and
:mod:`~nerkit.encoding.batches` (padding and batch order).
"""

from .batches import Batch, collate, length_grouped_batches, sorted_batches
from .casing import N_SHAPES, SHAPES, word_shape
from .windows import DEFAULT_STRIDE, IGNORE, TruncationReport, Window, check_max_len, check_stride, encode

__all__ = [
    "SHAPES",
    "N_SHAPES",
    "word_shape",
    "IGNORE",
    "DEFAULT_STRIDE",
    "Window",
    "TruncationReport",
    "encode",
    "check_max_len",
    "check_stride",
    "Batch",
    "collate",
    "length_grouped_batches",
    "sorted_batches",
]
