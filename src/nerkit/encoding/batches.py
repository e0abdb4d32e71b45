"""Batches of windows: padded tensors, and the order windows are batched in.

>>> from nerkit.encoding.windows import Window
>>> table = WindowTable.build([Window(0, [2, 7, 3], [0, 0, 0], [-1, 0, -1]), Window(1, [2, 3], [0, 0], [-1, -1])])
>>> gather(table, [1, 0], pad_id=0).input_ids.tolist()   # windows 1 and 0, padded to the longer
[[2, 3, 0], [2, 7, 3]]
>>> length_grouped_batches([5, 9, 7, 3], batch_size=2, seed=1)   # similar lengths together
[[1, 2], [0, 3]]
>>> list(sorted_batches([5, 9, 7, 3], batch_size=8, max_tokens=18))   # longest first, at most 18 padded pieces
[[1, 2], [0, 3]]

Why a table: training and prediction turn the windows into tensors once (:class:`WindowTable`,
the word pieces of all windows back to back, on the model's device) and cut each batch out
of it with a few indexing operations (:func:`gather`), instead of building small tensors
window by window on every step; the host then only decides which windows go together.
:func:`cut` does that for many batches at once (:func:`gather_many`: the same few operations
for 64 batches as for one), so a step on a tiny model or a fast GPU does not wait for them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch

from .windows import IGNORE, Window, Windows

CUT_AHEAD = 64  # batches cut out of a table together (their tensors are held until they are used)

__all__ = [
    "Batch",
    "WindowTable",
    "collate",
    "cut",
    "gather",
    "gather_many",
    "length_grouped_batches",
    "sorted_batches",
]


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


@dataclass
class WindowTable:
    """All windows' pieces back to back (one tensor per field, on the model's device), and where each window starts.

    ``lengths`` stays a Python list as well, so the width of a batch is known on the host
    without reading a tensor back from a GPU.
    """

    input_ids: torch.Tensor
    type_ids: torch.Tensor
    word_index: torch.Tensor
    labels: torch.Tensor | None
    # Per window, on the host (where gather_many works out each batch's cells): the offset of
    # its first piece, and its number of pieces.
    starts: np.ndarray
    sizes: np.ndarray
    sentence: torch.Tensor  # per window: its sentence
    lengths: list[int]

    @classmethod
    def build(cls, windows: Windows | Sequence[Window]) -> "WindowTable":
        """The table of ``windows`` (as :func:`~nerkit.encoding.windows.encode` gives them, or a list), on the CPU."""
        if not isinstance(windows, Windows):
            windows = Windows.of(windows)
        return cls(
            input_ids=torch.from_numpy(windows.input_ids),
            type_ids=torch.from_numpy(windows.type_ids),
            word_index=torch.from_numpy(windows.word_index),
            labels=None if windows.labels is None else torch.from_numpy(windows.labels),
            starts=windows.starts,
            sizes=windows.sizes,
            sentence=torch.from_numpy(windows.sentence),
            lengths=windows.sizes.tolist(),
        )

    def to(self, device: torch.device) -> "WindowTable":
        """The table on ``device`` (on a GPU: copied once, from pinned memory, without waiting)."""
        moved = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, torch.Tensor) and value.device != device:
                if device.type == "cuda":
                    value = value.pin_memory()
                value = value.to(device, non_blocking=True)
            moved[f.name] = value
        return WindowTable(**moved)


def gather(table: WindowTable, idx: Sequence[int], pad_id: int, pad_to: int | None = None) -> Batch:
    """The windows ``idx`` of ``table`` as a batch padded to its longest member (or to ``pad_to``)."""
    return gather_many(table, [idx], pad_id, pad_to)[0]


def gather_many(
    table: WindowTable, batches: Sequence[Sequence[int]], pad_id: int, pad_to: int | None = None
) -> list[Batch]:
    """Each of ``batches`` (lists of windows of ``table``) as :func:`gather` makes it, all cut out together.

    Where each padded cell comes from is worked out on the host (the lengths are known there),
    then each field is taken from the table by one indexing operation on its device for all
    the batches, and split into views: a handful of operations however many batches, which
    is what lets a training epoch cut its batches ahead of its steps.
    """
    if not batches:
        return []
    counts = np.fromiter((len(b) for b in batches), dtype=np.int64, count=len(batches))
    rows = np.fromiter((i for b in batches for i in b), dtype=np.int64, count=int(counts.sum()))
    lengths, starts = table.sizes, table.starts
    if pad_to:
        widths = np.full(len(batches), pad_to, dtype=np.int64)
    else:  # each batch as wide as its longest window
        widths = np.maximum.reduceat(lengths[rows], np.cumsum(counts) - counts) if len(rows) else counts
    row_width = np.repeat(widths, counts)
    row_of_cell = np.repeat(rows, row_width)
    column = np.arange(len(row_of_cell)) - np.repeat(np.cumsum(row_width) - row_width, row_width)
    inside_host = column < lengths[row_of_cell]
    device = table.input_ids.device
    where = _to(torch.from_numpy(np.where(inside_host, starts[row_of_cell] + column, 0)), device)
    inside = _to(torch.from_numpy(inside_host), device)
    outside = ~inside

    def take(flat: torch.Tensor, fill: int) -> torch.Tensor:
        return flat[where].masked_fill_(outside, fill) if flat.numel() else torch.full_like(where, fill)

    cells = (counts * widths).tolist()
    columns = {
        "input_ids": take(table.input_ids, pad_id),
        "attention_mask": inside.long(),
        "token_type_ids": take(table.type_ids, 0),
        "word_index": take(table.word_index, -1),
    }
    if table.labels is not None:
        columns["labels"] = take(table.labels, IGNORE)
    parts = {name: value.split(cells) for name, value in columns.items()}
    sentences = table.sentence[_to(torch.from_numpy(rows), device)].split(counts.tolist())
    out = []
    for k, (n, width) in enumerate(zip(counts.tolist(), widths.tolist())):
        shaped = {name: value[k].view(n, width) for name, value in parts.items()}
        labels = shaped.pop("labels", None)
        out.append(Batch(**shaped, sentence=sentences[k], labels=labels))
    return out


def cut(
    table: WindowTable, batches: Iterable[Sequence[int]], pad_id: int, pad_to: int | None = None, ahead: int = CUT_AHEAD
) -> Iterator[Batch]:
    """:func:`gather` for each of ``batches`` in turn, ``ahead`` batches cut at a time by :func:`gather_many`."""
    batches = iter(batches)
    while chunk := list(itertools.islice(batches, ahead)):
        yield from gather_many(table, chunk, pad_id, pad_to)


def _to(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    if device.type == "cuda":
        # From pinned memory: a copy from pageable memory would first wait for the GPU's queue.
        return x.pin_memory().to(device, non_blocking=True)
    return x if device.type == "cpu" else x.to(device)


def collate(windows: Windows | Sequence[Window], pad_id: int, pad_to: int | None = None) -> Batch:
    """Pad to the longest window in the batch (or to ``pad_to``, the recipe's fixed padding)."""
    return gather(WindowTable.build(windows), range(len(windows)), pad_id, pad_to)


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
