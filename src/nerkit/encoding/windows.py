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

import itertools
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
    every = _Tokens.of(batch, sentences_read, casing, spans) if len(sentences) else None
    for i in range(len(sentences)):
        pieces, before, after = _Pieces.of(every, i, len(sentences_read[i]), spans[i])
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
class _Tokens:
    """Every sentence's word pieces back to back, worked out for all sentences at once.

    Per piece: its id, the word it belongs to (counted within its sentence), whether it starts
    that word, and its word's shape (0 without casing). ``offsets[i]`` is sentence ``i``'s first
    piece. Built with a few numpy operations over all sentences rather than a dozen per sentence.
    """

    ids: np.ndarray
    wids: np.ndarray
    is_first: np.ndarray
    type_ids: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, batch, sentences: Sequence[Sequence[str]], casing: bool, spans: Sequence[tuple[int, int]]) -> "_Tokens":
        counts = np.fromiter(map(len, batch["input_ids"]), dtype=np.int64, count=len(sentences))
        total = int(counts.sum())
        offsets = np.zeros(len(sentences) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        ids = np.fromiter(itertools.chain.from_iterable(batch["input_ids"]), dtype=np.int64, count=total)
        word_ids = itertools.chain.from_iterable(batch.word_ids(i) for i in range(len(sentences)))
        wids = np.fromiter((-1 if w is None else w for w in word_ids), dtype=np.int64, count=total)
        is_first = np.ones(total, dtype=bool)
        is_first[1:] = wids[1:] != wids[:-1]
        is_first[offsets[:-1][counts > 0]] = True  # a sentence's first piece starts a word
        type_ids = np.zeros(total, dtype=np.int64)
        if casing and total:
            type_ids = _shapes(sentences, spans)[_word_of_piece(sentences, counts, wids)]
        return cls(ids, wids, is_first, type_ids, offsets)


def _shapes(sentences: Sequence[Sequence[str]], spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Every word's shape, sentence after sentence; only a sentence's own first word gets the
    sentence-initial shapes (the words of its document context never do)."""
    sizes = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
    starts = np.cumsum(sizes) - sizes
    first = np.zeros(int(sizes.sum()) + 1, dtype=bool)  # one spare: an empty sentence's span may start at its end
    first[starts + np.fromiter((lo for lo, _ in spans), dtype=np.int64, count=len(spans))] = True
    words = itertools.chain.from_iterable(sentences)
    return np.fromiter(
        (word_shape(w[:MAX_WORD_CHARS], f) for w, f in zip(words, first.tolist())), dtype=np.int64, count=len(first) - 1
    )


def _word_of_piece(sentences: Sequence[Sequence[str]], counts: np.ndarray, wids: np.ndarray) -> np.ndarray:
    """Each piece's word as an index into all sentences' words back to back (a piece of no word: its sentence's last)."""
    sizes = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
    sentence = np.repeat(np.arange(len(sentences)), counts)
    return (np.cumsum(sizes) - sizes)[sentence] + np.where(wids >= 0, wids, sizes[sentence] - 1)


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
    def of(cls, every: "_Tokens", i: int, words: int, span: tuple[int, int]) -> tuple["_Pieces", "_Pieces", "_Pieces"]:
        """The pieces of sentence ``i``'s own words (``span`` of its ``words``), and of the words before and after them."""
        a, b = every.offsets[i], every.offsets[i + 1]
        wids = every.wids[a:b]
        whole = cls(every.ids[a:b], wids, every.is_first[a:b], every.type_ids[a:b], words)
        lo, hi = span
        if (lo, hi) == (0, words):
            return whole, _NONE, _NONE
        n = b - a
        a, b = np.searchsorted(wids, lo), np.searchsorted(wids, hi)  # word ids rise with the pieces
        return whole.part(a, b, lo, hi - lo), whole.part(0, a, 0, lo), whole.part(b, n, hi, words - hi)

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
    if (start, own_from) == (0, 0) and end == own_to == pieces.n:  # the whole sentence, owning all its words
        window = Window(
            sentence=i,
            input_ids=[cls, *pieces.ids.tolist(), sep],
            type_ids=[0, *pieces.type_ids.tolist(), 0],
            word_index=[-1, *np.where(pieces.is_first, pieces.wids, -1).tolist(), -1],
        )
        if label_ids is not None:
            window.labels = [IGNORE, *label_ids.tolist(), IGNORE]
        return window
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
