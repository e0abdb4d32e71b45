"""Word pieces for pre-split words: tokenization, label alignment and windows.

A sentence of words becomes one or more *windows* of word pieces. Each window knows, for
every piece, which word it starts (so word-level tags and piece-level logits line up) and,
when gold tags are given, the label id the loss should see there.

>>> import pathlib, tempfile
>>> from transformers import BertTokenizerFast
>>> from nerkit.labels import create_label_map
>>> vocab = pathlib.Path(tempfile.mkdtemp()) / "vocab.txt"
>>> _ = vocab.write_text("\\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "tim", "bern", "##ers", "-", "lee"]))
>>> tokenizer = BertTokenizerFast(vocab=str(vocab), do_lower_case=True)
>>> lm = create_label_map(["O", "I-PER"], trailing_tag=None)
>>> windows, report = encode([["Tim", "Berners-Lee"]], tokenizer, lm, [["I-PER", "I-PER"]])
>>> windows[0].input_ids      # [CLS] tim bern ##ers - lee [SEP]
[2, 4, 5, 6, 7, 8, 3]
>>> windows[0].word_index     # [CLS] Tim Bern ##ers - Lee [SEP]: -1 marks "not a word start"
[-1, 0, 1, -1, -1, -1, -1]
>>> windows[0].labels         # trailing pieces ignored in the loss (-100) by default
[-100, 1, 1, -100, -100, -100, -100]

Why windows instead of truncation: a sentence longer than ``max_len`` pieces is cut into
overlapping windows (``stride`` pieces of overlap, each cut on a word boundary), and every
word is *owned* by exactly one window, the one where it sits furthest from an edge. Its
label and its prediction come from that window, so nothing is dropped. ``stride=None``
reproduces the recipe's truncation instead, and the words and entities it drops are counted
and reported, never lost silently.

This module owns the window options: ``max_len`` (:func:`check_max_len`) and ``stride``
(:data:`DEFAULT_STRIDE`, :func:`check_stride`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from ..labels import LabelMap, tags_to_spans
from .casing import word_shape
from .context import Surrounding, check_context

__all__ = [
    "IGNORE",
    "DEFAULT_STRIDE",
    "MIN_MAX_LEN",
    "LONE_SURROGATE",
    "MAX_WORD_CHARS",
    "Window",
    "TruncationReport",
    "encode",
    "check_max_len",
    "check_stride",
    "tokenizable",
]

IGNORE = -100  # torch.nn.CrossEntropyLoss's ignore_index, the Hugging Face convention
MIN_MAX_LEN = 8
DEFAULT_STRIDE = 32  # word pieces of overlap between windows over a long sentence


@dataclass
class Window:
    """The model's view of (part of) one sentence."""

    sentence: int  # index of the sentence in the encoded input
    input_ids: list[int]
    type_ids: list[int]
    word_index: list[int]  # per piece: index of the word this piece starts and this window owns, else -1
    labels: list[int] | None = None  # per piece: the loss target (IGNORE where there is none)
    context: tuple[int, int] = (0, 0)  # pieces of document context before and after the sentence's own

    def alone(self) -> "Window":
        """The same window without its document context (training drops it at random)."""
        before, after = self.context
        if not before and not after:
            return self
        keep = [0, *range(1 + before, len(self.input_ids) - 1 - after), len(self.input_ids) - 1]

        def cut(values):
            return None if values is None else [values[k] for k in keep]

        return Window(self.sentence, cut(self.input_ids), cut(self.type_ids), cut(self.word_index), cut(self.labels))


@dataclass
class TruncationReport:
    """What ``stride=None`` (plain truncation) dropped."""

    sentences: int = 0
    words: int = 0
    entities: int = 0
    windows: int = 0  # sentences split into several windows (nothing dropped)
    examples: list[int] = field(default_factory=list)

    @property
    def dropped_anything(self) -> bool:
        return self.words > 0

    def __str__(self) -> str:
        return (
            f"truncation at max_len dropped {self.words} words and {self.entities} entities "
            f"from {self.sentences} sentences (e.g. sentence {self.examples[:3]}); "
            "raise max_len or use windows (stride) to keep them"
        )


def check_stride(stride: int | None, allow_none: bool = False) -> int | None:
    """The overlap of windows, in word pieces: 0 or more (``None``: truncate, if allowed)."""
    if stride is None and allow_none:
        return None
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 0:
        raise ConfigError(
            f"stride (the overlap of windows) must be 0 or more word pieces, got {stride!r}; use e.g. --stride 32"
        )
    return stride


def check_max_len(max_len: int, model_limit: int | None = None) -> int:
    if max_len < MIN_MAX_LEN:
        raise ConfigError(f"max_len must be at least {MIN_MAX_LEN} word pieces, got {max_len}; use e.g. --max-len 128")
    if model_limit and max_len > model_limit:
        raise ConfigError(
            f"max_len {max_len} is longer than the model's {model_limit} positions; use --max-len {model_limit} or less "
            "(longer sentences are tagged in overlapping windows, nothing is lost)"
        )
    return max_len


def _window_starts(first_pieces: np.ndarray, n_pieces: int, content: int, stride: int) -> list[int]:
    """Start positions (in pieces) of windows of ``content`` pieces, each on a word start."""
    starts = [0]
    step = max(1, content - stride)
    while starts[-1] + content < n_pieces:
        target = starts[-1] + step
        # Move back to the nearest word start so no window begins inside a word, but always advance.
        candidates = first_pieces[(first_pieces <= target) & (first_pieces > starts[-1])]
        starts.append(int(candidates[-1]) if len(candidates) else target)
    return starts


# Lone surrogates (legal in a Python str and in JSON, not in UTF-8) make the Rust tokenizer
# raise; the model sees U+FFFD instead, one character for one, so offsets stay the same.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# The model sees at most this many characters of one word. The Rust tokenizer keeps an
# alignment entry per character while it normalises a word, about 70 bytes each: one 50 MB
# "word" (a line without spaces) took 3.4 GB and minutes, to give WordPiece models a single
# [UNK] (they map any word over 100 characters to it) or BPE models thousands of trailing
# pieces that carry no tag. A word's tag is read from its first piece, so nothing is lost.
MAX_WORD_CHARS = 1000


def tokenizable(words: Sequence[str]) -> list[str]:
    """The words as the tokenizer gets them: lone surrogates as U+FFFD, each at most MAX_WORD_CHARS long.

    >>> [len(w) for w in tokenizable(["Paris", "a" * 50_000_000])]
    [5, 1000]
    """
    words = [w[:MAX_WORD_CHARS] for w in words]
    if LONE_SURROGATE.search("".join(words)):
        words = [LONE_SURROGATE.sub("\ufffd", w) for w in words]
    return words


def encode(
    sentences: Sequence[Sequence[str]],
    tokenizer,
    label_map: LabelMap | None = None,
    tags: Sequence[Sequence[str]] | None = None,
    max_len: int = 512,
    stride: int | None = DEFAULT_STRIDE,
    casing: bool = False,
    warn: bool = True,
    context: int = 0,
    surroundings: Sequence[Surrounding] | None = None,
) -> tuple[list[Window], TruncationReport]:
    """Tokenize pre-split sentences into windows; see the module docstring.

    With ``context`` > 0 and ``surroundings`` (the words before and after each sentence in
    its document, :func:`nerkit.encoding.context.surrounding`), a sentence that fits in one
    window gets up to ``context`` pieces of them on each side, whole words only, unlabelled.
    """
    check_max_len(max_len)
    check_stride(stride, allow_none=True)
    check_context(context)
    if not context or surroundings is None:
        surroundings = None
    elif len(surroundings) != len(sentences):
        raise ConfigError(f"{len(sentences)} sentences but {len(surroundings)} surroundings; give one per sentence")
    if tags is not None and label_map is None:
        raise ConfigError("encode() needs a label_map to turn tags into label ids")
    content = max_len - 2  # room for [CLS] and [SEP]
    if stride is not None:
        # More than half a window of overlap would make windows advance by less than they repeat.
        stride = min(stride, content // 2)
    # One batched call to the Rust tokenizer, without special tokens: windows add their own.
    spans = [(0, len(s)) for s in sentences]  # where each sentence's own words are in what is tokenized
    if surroundings is not None:
        spans = [(len(before), len(before) + len(s)) for s, (before, _) in zip(sentences, surroundings)]
        sentences_read = [[*before, *s, *after] for s, (before, after) in zip(sentences, surroundings)]
    else:
        sentences_read = sentences
    batch = (
        tokenizer(
            [tokenizable(s) for s in sentences_read], is_split_into_words=True, add_special_tokens=False,
            truncation=False, return_attention_mask=False, return_token_type_ids=False,  # a third of the call's time
        )
        if len(sentences)
        else None
    )  # fmt: skip
    has_trailing = label_map is not None and label_map.trailing_tag
    trailing_id = label_map.label2id[label_map.trailing_tag] if has_trailing else IGNORE
    special = (tokenizer.cls_token_id, tokenizer.sep_token_id)
    windows: list[Window] = []
    report = TruncationReport()
    for i in range(len(sentences)):
        pieces, before, after = _Pieces.of(batch, i, sentences_read[i], casing, spans[i])
        label_ids = None
        if tags is not None:
            word_labels = np.asarray(label_map.encode(tags[i], where=f"sentence {i + 1}: "), dtype=np.int64)
            label_ids = np.where(pieces.is_first, word_labels[pieces.wids] if pieces.n else 0, trailing_id)
        bounds = _bounds(pieces, content, stride, report, i, tags[i] if tags is not None else None)
        if pieces.n <= content and (before.n or after.n):
            room = min(context, (content - pieces.n) // 2)
            windows.append(_with_context(_window(i, pieces, label_ids, bounds[0], special), before, after, room))
        else:
            windows += [_window(i, pieces, label_ids, bound, special) for bound in bounds]
    if warn and report.dropped_anything:
        warnings.warn(str(report), stacklevel=2)
    return windows, report


@dataclass
class _Pieces:
    """One sentence's word pieces: ids, the word each belongs to, which start a word, shapes."""

    ids: np.ndarray
    wids: np.ndarray
    is_first: np.ndarray
    type_ids: np.ndarray
    words: int

    @property
    def n(self) -> int:
        return len(self.ids)

    @classmethod
    def of(
        cls, batch, i: int, words: Sequence[str], casing: bool, span: tuple[int, int]
    ) -> tuple["_Pieces", "_Pieces", "_Pieces"]:
        """The pieces of ``words[span[0]:span[1]]`` (the sentence), and of the words before and after it."""
        ids = np.asarray(batch["input_ids"][i], dtype=np.int64)
        wids = np.asarray([-1 if w is None else w for w in batch.word_ids(i)], dtype=np.int64)
        n = len(ids)
        is_first = np.zeros(n, dtype=bool)
        if n:
            is_first[0] = True
            is_first[1:] = wids[1:] != wids[:-1]
        type_ids = np.zeros(n, dtype=np.int64)
        lo, hi = span
        if casing and n:
            # Only the sentence's first word gets the sentence-initial shapes; context words never do.
            shapes = [word_shape(w[:MAX_WORD_CHARS], first=(j == lo)) for j, w in enumerate(words)]
            shapes = np.asarray(shapes, dtype=np.int64)
            type_ids = shapes[wids]
        whole = cls(ids, wids, is_first, type_ids, len(words))
        if (lo, hi) == (0, len(words)):
            return whole, _NONE, _NONE
        a, b = np.searchsorted(wids, lo), np.searchsorted(wids, hi)  # word ids rise with the pieces
        return whole.part(a, b, lo, hi - lo), whole.part(0, a, 0, lo), whole.part(b, n, hi, len(words) - hi)

    def part(self, a: int, b: int, first_word: int, words: int) -> "_Pieces":
        """Pieces ``a:b``, with word ids counted from ``first_word``."""
        return _Pieces(self.ids[a:b], self.wids[a:b] - first_word, self.is_first[a:b], self.type_ids[a:b], words)


_NONE = _Pieces(*(np.zeros(0, dtype=np.int64) for _ in range(2)), np.zeros(0, dtype=bool), np.zeros(0, np.int64), 0)


def _with_context(window: Window, before: _Pieces, after: _Pieces, room: int) -> Window:
    """``window`` (a whole sentence) with up to ``room`` pieces of ``before`` and ``after`` around it, whole words only."""
    starts = np.flatnonzero(before.is_first)
    first = int(starts[starts >= before.n - room][0]) if room and (starts >= before.n - room).any() else before.n
    ends = np.append(np.flatnonzero(after.is_first), after.n)  # a word ends where the next begins
    last = int(ends[ends <= room][-1]) if after.n else 0
    left, right = slice(first, before.n), slice(0, last)
    nb, na = before.n - first, last

    def around(values: list, left_values, right_values) -> list:
        return [values[0], *left_values, *values[1:-1], *right_values, values[-1]]

    window.input_ids = around(window.input_ids, before.ids[left].tolist(), after.ids[right].tolist())
    window.type_ids = around(window.type_ids, before.type_ids[left].tolist(), after.type_ids[right].tolist())
    window.word_index = around(window.word_index, [-1] * nb, [-1] * na)
    if window.labels is not None:
        window.labels = around(window.labels, [IGNORE] * nb, [IGNORE] * na)
    window.context = (nb, na)
    return window


def _bounds(pieces: _Pieces, content: int, stride: int | None, report: TruncationReport, i: int, tags) -> list[tuple]:
    """``(start, end, owned from, owned to)`` in pieces for each window of one sentence."""
    n = pieces.n
    if n <= content:
        return [(0, n, 0, n)]
    if stride is None:
        kept = set(pieces.wids[:content][pieces.is_first[:content]].tolist())
        report.sentences += 1
        report.words += pieces.words - len(kept)
        if tags is not None:
            report.entities += sum(1 for _, s, e in tags_to_spans(tags) if e > len(kept))
        report.examples.append(i)
        return [(0, content, 0, content)]
    report.windows += 1
    starts = _window_starts(np.flatnonzero(pieces.is_first), n, content, stride)
    ends = [min(s + content, n) for s in starts]
    # Each piece is owned by the window where it is furthest from an edge: split overlaps in the middle.
    owned_from = [0] + [(ends[k - 1] + starts[k]) // 2 for k in range(1, len(starts))]
    owned_to = owned_from[1:] + [n]
    return list(zip(starts, ends, owned_from, owned_to))


def _window(i: int, pieces: _Pieces, label_ids, bound: tuple, special: tuple[int, int]) -> Window:
    start, end, own_from, own_to = bound
    cls, sep = special
    sl = slice(start, end)
    pos = np.arange(start, end)
    owned = pieces.is_first[sl] & (pos >= own_from) & (pos < own_to)
    word_index = np.where(owned, pieces.wids[sl], -1)
    window = Window(
        sentence=i,
        input_ids=[cls, *pieces.ids[sl].tolist(), sep],
        type_ids=[0, *pieces.type_ids[sl].tolist(), 0],
        word_index=[-1, *word_index.tolist(), -1],
    )
    if label_ids is not None:
        lab = label_ids[sl].copy()
        lab[pieces.is_first[sl] & ~owned] = IGNORE  # another window owns this word
        window.labels = [IGNORE, *lab.tolist(), IGNORE]
    return window
