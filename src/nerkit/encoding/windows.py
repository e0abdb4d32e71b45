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

from ..errors import ConfigError, DataError
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
    "Windows",
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


@dataclass
class Windows:
    """Every window's word pieces back to back, as numpy arrays: what :func:`encode` returns.

    It reads as a sequence of :class:`Window` (``windows[k]``, ``len``, iteration; each a copy:
    changing it leaves the arrays as they are), while
    batches are cut straight out of its arrays (:class:`nerkit.encoding.batches.WindowTable`),
    with no Python list per window: on a GPU, prediction's speed is the host's work per
    sentence.

    >>> windows = Windows.of([Window(0, [2, 7, 3], [0, 0, 0], [-1, 0, -1]), Window(1, [2, 3], [0, 0], [-1, -1])])
    >>> windows.sizes.tolist(), windows[1].input_ids
    ([3, 2], [2, 3])
    """

    input_ids: np.ndarray
    type_ids: np.ndarray
    word_index: np.ndarray
    labels: np.ndarray | None
    starts: np.ndarray  # per window: the offset of its first piece
    sizes: np.ndarray  # per window: its number of pieces
    sentence: np.ndarray  # per window: its sentence
    context: np.ndarray  # per window: pieces of document context before and after its sentence's own (n x 2)

    def __len__(self) -> int:
        return len(self.sizes)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[j] for j in range(len(self))[k]]
        k = range(len(self))[k]  # negative indices count from the end; out of range raises IndexError
        cells = slice(self.starts[k], self.starts[k] + self.sizes[k])
        labels = None if self.labels is None else self.labels[cells].tolist()
        return Window(int(self.sentence[k]), self.input_ids[cells].tolist(), self.type_ids[cells].tolist(),
                      self.word_index[cells].tolist(), labels, tuple(self.context[k].tolist()))  # fmt: skip

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def __add__(self, other: "Windows") -> "Windows":
        def joined(a, b):
            return None if a is None or b is None else np.concatenate([a, b])

        return Windows(
            *(np.concatenate([getattr(self, f), getattr(other, f)]) for f in ("input_ids", "type_ids", "word_index")),
            labels=joined(self.labels, other.labels),
            starts=np.concatenate([self.starts, other.starts + len(self.input_ids)]),
            sizes=np.concatenate([self.sizes, other.sizes]),
            sentence=np.concatenate([self.sentence, other.sentence]),
            context=np.concatenate([self.context, other.context]),
        )

    def labelled(self) -> np.ndarray:
        """Per window: how many of its pieces have a label (the pieces its loss is over)."""
        if self.labels is None:
            return np.zeros(len(self), dtype=np.int64)
        running = np.concatenate([[0], np.cumsum(self.labels != IGNORE)])
        return running[self.starts + self.sizes] - running[self.starts]

    def alone(self, rows: Sequence[int]) -> "Windows":
        """The windows ``rows`` without their document context (training drops it at random)."""
        rows = np.asarray(rows, dtype=np.int64)
        before, after = self.context[rows].T if len(rows) else (rows, rows)
        sizes = self.sizes[rows] - before - after
        window, column = _cells(sizes)
        last = column == sizes[window] - 1
        # [CLS] stays, the sentence's own pieces move past the context before it, [SEP] past both.
        shift = np.where(column > 0, before[window], 0) + np.where(last, after[window], 0)
        source = self.starts[rows][window] + column + shift
        return Windows(
            self.input_ids[source], self.type_ids[source], self.word_index[source],
            None if self.labels is None else self.labels[source],
            starts=np.cumsum(sizes) - sizes, sizes=sizes, sentence=self.sentence[rows],
            context=np.zeros((len(rows), 2), dtype=np.int64),
        )  # fmt: skip

    @classmethod
    def of(cls, windows: Sequence[Window]) -> "Windows":
        """Windows built one by one (as in tests and examples), as arrays."""
        sizes = np.fromiter((len(w.input_ids) for w in windows), dtype=np.int64, count=len(windows))

        def flat(name: str) -> np.ndarray:
            values = itertools.chain.from_iterable(getattr(w, name) for w in windows)
            return np.fromiter(values, dtype=np.int64, count=int(sizes.sum()))

        has_labels = bool(windows) and windows[0].labels is not None
        return cls(
            flat("input_ids"), flat("type_ids"), flat("word_index"), flat("labels") if has_labels else None,
            starts=np.cumsum(sizes) - sizes, sizes=sizes,
            sentence=np.fromiter((w.sentence for w in windows), dtype=np.int64, count=len(windows)),
            context=np.asarray([w.context for w in windows], dtype=np.int64).reshape(len(windows), 2),
        )  # fmt: skip


def _cells(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows of ``sizes`` cells back to back: each cell's row, and its column in the row."""
    row = np.repeat(np.arange(len(sizes)), sizes)
    return row, np.arange(len(row)) - (np.cumsum(sizes) - sizes)[row]


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
) -> tuple[Windows, TruncationReport]:
    """Tokenize pre-split sentences into windows; see the module docstring.

    With ``context`` > 0 and ``surroundings`` (the words before and after each sentence in
    its document, :func:`nerkit.encoding.context.surrounding`), a sentence that fits in one
    window gets up to ``context`` pieces of them on each side, whole words only, unlabelled.

    All sentences are worked out together, as flat arrays: the work per sentence in Python
    is a few list lengths, whatever the options; only a sentence longer than one window is
    cut into its windows on its own.
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
    sizes = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
    if surroundings is None:
        read, lo, sizes_read = sentences, np.zeros(len(sentences), dtype=np.int64), sizes
    else:  # each sentence is read with the words around it; its own start at lo
        read = [itertools.chain(before, s, after) for s, (before, after) in zip(sentences, surroundings)]
        lo = np.fromiter((len(before) for before, _ in surroundings), dtype=np.int64, count=len(sentences))
        sizes_read = sizes + lo + np.fromiter((len(a) for _, a in surroundings), dtype=np.int64, count=len(sentences))
    every = _Tokens.of(tokenizer, read, sizes_read, lo, lo + sizes, casing)
    own_lo, own_hi = (every.offsets[:-1], every.offsets[1:]) if surroundings is None else every.own(lo, lo + sizes)
    labels = None
    if tags is not None:
        labels = _piece_labels(every, label_map, tags, sizes, lo, own_lo, own_hi)
    report = TruncationReport()
    plan = _Plan(own_lo, own_hi, lo=own_lo, hi=own_hi)  # one window per sentence, its own pieces
    n = own_hi - own_lo
    if surroundings is not None:  # a sentence that fits in one window gets context in the room left
        plan.widen(every, np.where(n <= content, np.minimum(context, (content - n) // 2), 0))
    for i in np.flatnonzero(n > content).tolist():
        pieces = slice(own_lo[i], own_hi[i])
        bounds = _bounds(every.is_first[pieces], every.wids[pieces] - lo[i], int(sizes[i]), content, stride,
                         report, i, tags[i] if tags is not None else None)  # fmt: skip
        plan.split(i, [tuple(own_lo[i] + b for b in bound) for bound in bounds])
    if warn and report.dropped_anything:
        warnings.warn(str(report), stacklevel=2)
    return plan.windows(every, labels, (tokenizer.cls_token_id, tokenizer.sep_token_id), lo), report


# Distinct words tokenized per sequence of one call: each word is tokenized on its own either
# way, and sequences of this size keep the tokenizer's threads busy and its length warning quiet.
_WORDS_PER_CALL = 256


def _pieces_of_words(tokenizer, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The word pieces of each of ``words`` (distinct): all ids back to back, and each word's count.

    A fast tokenizer given pre-split words normalises, pre-tokenizes and tokenizes each word
    apart from the others (the Rust ``encode_single_sequence`` merges one encoding per word),
    so a word's pieces do not depend on the words around it, and each distinct word is
    tokenized once however often it occurs: a tenth of the time of tokenizing the sentences.
    """
    if not words:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    groups = [tokenizable(words[k : k + _WORDS_PER_CALL]) for k in range(0, len(words), _WORDS_PER_CALL)]
    batch = tokenizer(
        groups, is_split_into_words=True, add_special_tokens=False, truncation=False,
        return_attention_mask=False, return_token_type_ids=False,  # a third of the call's time
    )  # fmt: skip
    ids = np.fromiter(itertools.chain.from_iterable(batch["input_ids"]), dtype=np.int64)
    word_ids = (np.asarray(batch.word_ids(g), dtype=np.int64) for g in range(len(groups)))
    counts = np.concatenate([np.bincount(w, minlength=len(group)) for w, group in zip(word_ids, groups)])
    return ids, counts


@dataclass
class _Tokens:
    """Every sentence's word pieces back to back, worked out for all sentences at once.

    Per piece: its id, the word it belongs to (counted within its sentence as read, context
    included), whether it starts that word, and its word's shape (0 without casing).
    ``offsets[i]`` is sentence ``i``'s first piece.
    """

    ids: np.ndarray
    wids: np.ndarray
    is_first: np.ndarray
    type_ids: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, tokenizer, read, sizes: np.ndarray, lo: np.ndarray, hi: np.ndarray, casing: bool) -> "_Tokens":
        """The pieces of the sentences ``read`` (``sizes`` words each, their own words ``lo:hi``)."""
        words = list(itertools.chain.from_iterable(read))
        distinct = {w: k for k, w in enumerate(dict.fromkeys(words))}  # in C: no Python loop per word
        word = np.fromiter(map(distinct.__getitem__, words), dtype=np.int64, count=len(words))
        distinct = list(distinct)
        ids, counts = _pieces_of_words(tokenizer, distinct)
        per_word = counts[word]
        piece_word, piece_column = _cells(per_word)  # each piece's word (of all words), its place in the word
        ids = ids[(np.cumsum(counts) - counts)[word][piece_word] + piece_column]
        sentence_start = np.cumsum(sizes) - sizes
        sentence_of_word = np.repeat(np.arange(len(sizes)), sizes)
        wids = (np.arange(len(word)) - sentence_start[sentence_of_word])[piece_word]
        ends = np.concatenate([[0], np.cumsum(per_word)])
        offsets = ends[np.concatenate([sentence_start, [len(word)]])]
        type_ids = np.zeros(len(ids), dtype=np.int64)
        if casing and len(ids):
            type_ids = _shapes(distinct, word, sentence_start + lo, hi > lo)[piece_word]
        return cls(ids, wids, piece_column == 0, type_ids, offsets)

    def own(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each sentence's own pieces (those of its words ``lo:hi``) start and end."""
        # Word ids rise within a sentence, so (sentence, word id) rises with the pieces: look the bounds up.
        width = int(max(self.wids.max(initial=0), hi.max(initial=0))) + 1
        key = np.repeat(np.arange(len(lo)), np.diff(self.offsets)) * width + self.wids
        first = np.arange(len(lo)) * width
        return np.searchsorted(key, first + lo), np.searchsorted(key, first + hi)


def _shapes(distinct: list[str], word: np.ndarray, first: np.ndarray, has_first: np.ndarray) -> np.ndarray:
    """Every word's shape; only the first of each sentence's own words (``first``, where it
    ``has_first``) gets the sentence-initial shapes (the words of document context never do)."""
    shapes = np.fromiter((word_shape(w[:MAX_WORD_CHARS], False) for w in distinct), dtype=np.int64, count=len(distinct))
    out = shapes[word]
    first = first[has_first]
    out[first] = [word_shape(distinct[w][:MAX_WORD_CHARS], True) for w in word[first].tolist()]
    return out


def _piece_labels(every: _Tokens, label_map: LabelMap, tags, sizes, lo, own_lo, own_hi) -> np.ndarray:
    """Per piece: the loss target of a sentence's own pieces (IGNORE for context pieces)."""
    for i, (t, n) in enumerate(zip(tags, sizes.tolist())):
        if len(t) != n:
            raise DataError(f"sentence {i + 1} has {n} words but {len(t)} tags; give one tag per word")
    encoded = (label_map.encode(t, where=f"sentence {i + 1}: ") for i, t in enumerate(tags))
    word_labels = np.fromiter(itertools.chain.from_iterable(encoded), dtype=np.int64, count=int(sizes.sum()))
    trailing_id = label_map.label2id[label_map.trailing_tag] if label_map.trailing_tag else IGNORE
    sentence, column = _cells(own_hi - own_lo)
    pieces = own_lo[sentence] + column
    first_word = (np.cumsum(sizes) - sizes - lo)[sentence]  # a sentence's word w is tag first_word + w of all tags
    labels = np.full(len(every.ids), IGNORE, dtype=np.int64)
    is_first = every.is_first[pieces]
    labels[pieces] = trailing_id
    labels[pieces[is_first]] = word_labels[first_word[is_first] + every.wids[pieces[is_first]]]
    return labels


@dataclass
class _Plan:
    """Which pieces of :class:`_Tokens` each window shows, and which it owns (tags).

    At first one window per sentence shows and owns the sentence's own pieces
    (``own_lo:own_hi``); :meth:`widen` shows document context around them, and :meth:`split`
    cuts a sentence longer than one window into several.
    """

    own_lo: np.ndarray  # per sentence
    own_hi: np.ndarray
    lo: np.ndarray  # per sentence: the pieces its one window shows
    hi: np.ndarray
    cuts: dict = field(default_factory=dict)  # sentence: (start, end, owned from, owned to) of each of its windows

    def widen(self, every: _Tokens, room: np.ndarray) -> None:
        """Up to ``room`` pieces of the context before and after each sentence's own, whole words only."""
        word_starts = np.flatnonzero(every.is_first)
        if not len(word_starts):
            return
        own_lo, own_hi = self.own_lo, self.own_hi
        # Before: from the first word start at most ``room`` pieces back, within what the sentence reads.
        k = np.searchsorted(word_starts, np.maximum(own_lo - room, every.offsets[:-1]))
        start = word_starts[np.minimum(k, len(word_starts) - 1)]
        self.lo = np.where((k < len(word_starts)) & (start < own_lo), start, own_lo)
        # After: to the last word end at most ``room`` pieces on (a word ends where the next begins).
        read_end = every.offsets[1:]
        k = np.searchsorted(word_starts, own_hi + room, side="right") - 1
        end = word_starts[np.maximum(k, 0)]
        self.hi = np.where(read_end - own_hi <= room, read_end, np.where((k >= 0) & (end > own_hi), end, own_hi))

    def split(self, i: int, bounds: list[tuple[int, int, int, int]]) -> None:
        """Sentence ``i`` in several windows (or one truncated), each ``(start, end, owned from, owned to)``."""
        self.cuts[i] = bounds

    def windows(self, every: _Tokens, labels: np.ndarray | None, special: tuple[int, int], lo: np.ndarray) -> Windows:
        """The windows planned, cut out of ``every`` piece (``lo``: each sentence's first own word, as read)."""
        sentence = np.arange(len(self.own_lo))
        shown, owned = np.stack([self.lo, self.hi]), np.stack([self.own_lo, self.own_hi])
        if self.cuts:
            per = np.ones(len(sentence), dtype=np.int64)
            per[list(self.cuts)] = [len(b) for b in self.cuts.values()]
            first = np.cumsum(per) - per
            sentence = np.repeat(sentence, per)
            shown, owned = shown[:, sentence], owned[:, sentence]
            for i, bounds in self.cuts.items():
                rows = slice(first[i], first[i] + len(bounds))
                shown[:, rows], owned[:, rows] = np.array(bounds, dtype=np.int64).T.reshape(2, 2, -1)
        sizes = shown[1] - shown[0] + 2  # [CLS] and [SEP] around the pieces shown
        window, column = _cells(sizes)
        inner = (column > 0) & (column < sizes[window] - 1)
        # Each cell's piece; [CLS] and [SEP] read one spare value past the last piece.
        piece = np.where(inner, shown[0][window] + column - 1, len(every.ids))

        def at(values: np.ndarray, spare) -> np.ndarray:
            return np.append(values, spare)[piece]

        is_first = at(every.is_first, False)
        is_owned = is_first & (piece >= owned[0][window]) & (piece < owned[1][window])
        cls, sep = special
        return Windows(
            input_ids=np.where(inner, at(every.ids, 0), np.where(column == 0, cls, sep)),
            type_ids=at(every.type_ids, 0),
            word_index=np.where(is_owned, at(every.wids, 0) - lo[sentence][window], -1),
            # A word's first piece in a window that does not own it is another window's to label.
            labels=None if labels is None else np.where(is_owned | ~is_first, at(labels, IGNORE), IGNORE),
            starts=np.cumsum(sizes) - sizes,
            sizes=sizes,
            sentence=sentence,
            context=np.stack([self.own_lo[sentence] - shown[0], shown[1] - self.own_hi[sentence]], axis=1).clip(0),
        )


def _bounds(is_first: np.ndarray, wids: np.ndarray, words: int, content: int, stride: int | None,
            report: TruncationReport, i: int, tags) -> list[tuple[int, int, int, int]]:  # fmt: skip
    """``(start, end, owned from, owned to)`` in pieces for each window of one sentence longer than
    ``content`` pieces (``is_first`` and ``wids`` per piece; ``words`` words)."""
    n = len(wids)
    if stride is None:
        kept = set(wids[:content][is_first[:content]].tolist())
        report.sentences += 1
        report.words += words - len(kept)
        if tags is not None:
            report.entities += sum(1 for _, s, e in tags_to_spans(tags) if e > len(kept))
        report.examples.append(i)
        return [(0, content, 0, content)]
    report.windows += 1
    starts = _window_starts(np.flatnonzero(is_first), n, content, stride)
    ends = [min(s + content, n) for s in starts]
    # Each piece is owned by the window where it is furthest from an edge: split overlaps in the middle.
    owned_from = [0] + [(ends[k - 1] + starts[k]) // 2 for k in range(1, len(starts))]
    owned_to = owned_from[1:] + [n]
    return list(zip(starts, ends, owned_from, owned_to))
