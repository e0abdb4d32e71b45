"""Batches of windows: padded tensors, and the order windows are batched in.

>>> length_grouped_batches([5, 9, 7, 3], batch_size=2, seed=1)   # similar lengths together
[[1, 2], [0, 3]]
>>> list(sorted_batches([5, 9, 7, 3], batch_size=8, max_tokens=18))   # longest first, at most 18 padded pieces
[[1, 2], [0, 3]]
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from .windows import IGNORE, Window

__all__ = ["Batch", "collate", "length_grouped_batches", "sorted_batches"]


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
