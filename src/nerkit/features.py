"""Word pieces for pre-split words: tokenization, label alignment, windows and batches.

A sentence of words becomes one or more *windows* of word pieces. Each window knows, for
every piece, which word it starts (so word-level tags and piece-level logits line up) and,
when gold tags are given, the label id the loss should see there.

>>> from nerkit.labels import create_label_map
>>> lm = create_label_map(["O", "I-PER"], trailing_tag=None)
>>> windows, report = encode([["Tim", "Berners-Lee"]], tokenizer, lm, [["I-PER", "I-PER"]])  # doctest: +SKIP
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
"""

from __future__ import annotations

import random
import re
import warnings
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np
import torch

from .errors import ConfigError
from .labels import LabelMap, tags_to_spans

IGNORE = -100  # torch.nn.CrossEntropyLoss's ignore_index, the Hugging Face convention
MIN_MAX_LEN = 8

# Word shapes, fed to the model through its token-type embeddings. An uncased model
# (such as the embedded MiniLM) never sees capital letters; this gives them back.
SHAPES = ("other", "lower", "title", "upper", "mixed", "digit", "initial-title")
N_SHAPES = len(SHAPES)


def word_shape(word: str, first: bool = False) -> int:
    """A small casing category for a word.

    >>> [SHAPES[word_shape(w)] for w in ["paris", "Paris", "NASA", "iPhone", "1997", ","]]
    ['lower', 'title', 'upper', 'mixed', 'digit', 'other']
    >>> SHAPES[word_shape("The", first=True)]   # a capital that only marks a sentence start
    'initial-title'
    """
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return 5 if any(c.isdigit() for c in word) else 0
    if all(c.islower() for c in letters):
        return 1
    if letters[0].isupper() and all(not c.isupper() for c in letters[1:]):
        return 6 if first else 2
    if all(c.isupper() for c in letters):
        return 3 if len(letters) > 1 else (6 if first else 2)
    return 4


@dataclass
class Window:
    """The model's view of (part of) one sentence."""

    sentence: int  # index of the sentence in the encoded input
    input_ids: list[int]
    type_ids: list[int]
    word_index: list[int]  # per piece: index of the word this piece starts and this window owns, else -1
    labels: list[int] | None = None  # per piece: the loss target (IGNORE where there is none)


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


def _tokenizable(words: Sequence[str]) -> list[str]:
    words = list(words)
    if LONE_SURROGATE.search("".join(words)):
        words = [LONE_SURROGATE.sub("\ufffd", w) for w in words]
    return words


def encode(
    sentences: Sequence[Sequence[str]],
    tokenizer,
    label_map: LabelMap | None = None,
    tags: Sequence[Sequence[str]] | None = None,
    max_len: int = 512,
    stride: int | None = 32,
    casing: bool = False,
    warn: bool = True,
) -> tuple[list[Window], TruncationReport]:
    """Tokenize pre-split sentences into windows; see the module docstring."""
    check_max_len(max_len)
    if tags is not None and label_map is None:
        raise ConfigError("encode() needs a label_map to turn tags into label ids")
    content = max_len - 2  # room for [CLS] and [SEP]
    if stride is not None:
        if stride < 0:
            raise ConfigError(f"stride (the overlap of windows) must be 0 or more word pieces, got {stride}")
        # More than half a window of overlap would make windows advance by less than they repeat.
        stride = min(stride, content // 2)
    # One batched call to the Rust tokenizer, without special tokens: windows add their own.
    batch = tokenizer(
        [_tokenizable(s) for s in sentences], is_split_into_words=True, add_special_tokens=False, truncation=False
    ) if len(sentences) else None
    trailing_id = label_map.label2id[label_map.trailing_tag] if label_map is not None and label_map.trailing_tag else IGNORE
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    windows: list[Window] = []
    report = TruncationReport()
    for i, words in enumerate(sentences):
        ids = np.asarray(batch["input_ids"][i], dtype=np.int64)
        wids = np.asarray([-1 if w is None else w for w in batch.word_ids(i)], dtype=np.int64)
        n = len(ids)
        is_first = np.zeros(n, dtype=bool)
        if n:
            is_first[0] = True
            is_first[1:] = wids[1:] != wids[:-1]
        first_pieces = np.flatnonzero(is_first)
        label_ids = None
        if tags is not None:
            word_labels = np.asarray(label_map.encode(tags[i], where=f"sentence {i + 1}: "), dtype=np.int64)
            label_ids = np.where(is_first, word_labels[wids] if n else 0, trailing_id)
        type_ids = np.zeros(n, dtype=np.int64)
        if casing and n:
            shapes = np.asarray([word_shape(w, first=(j == 0)) for j, w in enumerate(words)], dtype=np.int64)
            type_ids = shapes[wids]
        if n <= content:
            bounds = [(0, n, 0, n)]
        elif stride is None:
            bounds = [(0, content, 0, content)]
            kept = set(wids[:content][is_first[:content]].tolist())
            lost_words = len(words) - len(kept)
            report.sentences += 1
            report.words += lost_words
            if tags is not None:
                report.entities += sum(1 for _, s, e in tags_to_spans(tags[i]) if e > len(kept))
            report.examples.append(i)
        else:
            report.windows += 1
            starts = _window_starts(first_pieces, n, content, stride)
            ends = [min(s + content, n) for s in starts]
            # Each piece is owned by the window where it is furthest from an edge: split overlaps in the middle.
            owned_from = [0] + [(ends[k - 1] + starts[k]) // 2 for k in range(1, len(starts))]
            owned_to = owned_from[1:] + [n]
            bounds = list(zip(starts, ends, owned_from, owned_to))
        for start, end, own_from, own_to in bounds:
            sl = slice(start, end)
            owned = is_first[sl].copy()
            pos = np.arange(start, end)
            owned &= (pos >= own_from) & (pos < own_to)
            word_index = np.where(owned, wids[sl], -1)
            window = Window(
                sentence=i,
                input_ids=[cls, *ids[sl].tolist(), sep],
                type_ids=[0, *type_ids[sl].tolist(), 0],
                word_index=[-1, *word_index.tolist(), -1],
            )
            if label_ids is not None:
                lab = label_ids[sl].copy()
                lab[is_first[sl] & ~owned] = IGNORE  # another window owns this word
                window.labels = [IGNORE, *lab.tolist(), IGNORE]
            windows.append(window)
    if warn and report.dropped_anything:
        warnings.warn(str(report), stacklevel=2)
    return windows, report


@dataclass
class Batch:
    """Padded tensors for a list of windows."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    token_type_ids: torch.Tensor
    word_index: torch.Tensor
    sentence: torch.Tensor
    labels: torch.Tensor | None

    def model_inputs(self, device, with_labels: bool = False) -> dict:
        inputs = {
            "input_ids": self.input_ids.to(device, non_blocking=True),
            "attention_mask": self.attention_mask.to(device, non_blocking=True),
            "token_type_ids": self.token_type_ids.to(device, non_blocking=True),
        }
        if with_labels and self.labels is not None:
            inputs["labels"] = self.labels.to(device, non_blocking=True)
        return inputs


def collate(windows: Sequence[Window], pad_id: int, pad_to: int | None = None) -> Batch:
    """Pad to the longest window in the batch (or to ``pad_to``, the recipe's fixed padding)."""
    length = pad_to or max(len(w.input_ids) for w in windows)
    b = len(windows)
    input_ids = torch.full((b, length), pad_id, dtype=torch.long)
    attention = torch.zeros((b, length), dtype=torch.long)
    type_ids = torch.zeros((b, length), dtype=torch.long)
    word_index = torch.full((b, length), -1, dtype=torch.long)
    has_labels = windows[0].labels is not None
    labels = torch.full((b, length), IGNORE, dtype=torch.long) if has_labels else None
    for r, w in enumerate(windows):
        n = len(w.input_ids)
        input_ids[r, :n] = torch.tensor(w.input_ids)
        attention[r, :n] = 1
        type_ids[r, :n] = torch.tensor(w.type_ids)
        word_index[r, :n] = torch.tensor(w.word_index)
        if has_labels:
            labels[r, :n] = torch.tensor(w.labels)
    sentence = torch.tensor([w.sentence for w in windows], dtype=torch.long)
    return Batch(input_ids, attention, type_ids, word_index, sentence, labels)


def length_grouped_batches(lengths: Sequence[int], batch_size: int, seed: int, group: bool = True) -> list[list[int]]:
    """Shuffled batches of similar-length examples, so padding costs almost nothing.

    Like Hugging Face's LengthGroupedSampler: shuffle, cut into mega-batches of 50
    batches, sort each by length, then shuffle the order of the batches, so training
    stays random while each batch is nearly padding-free.
    """
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if not group:
        return [order[k : k + batch_size] for k in range(0, len(order), batch_size)]
    mega = batch_size * 50
    batches = []
    for k in range(0, len(order), mega):
        chunk = sorted(order[k : k + mega], key=lambda i: -lengths[i])
        batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def sorted_batches(lengths: Sequence[int], batch_size: int, max_tokens: int | None = None) -> Iterator[list[int]]:
    """Batches for inference, longest first, optionally capped by padded size (tokens)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    k = 0
    while k < len(order):
        size = batch_size
        if max_tokens:
            size = max(1, min(batch_size, max_tokens // max(1, lengths[order[k]])))
        yield order[k : k + size]
        k += size
