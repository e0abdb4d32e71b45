"""Training with the pretrained word-piece embeddings left as they are.

>>> import torch
>>> from transformers import BertConfig, BertForTokenClassification
>>> encoder = BertForTokenClassification(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1,
...     num_attention_heads=2, intermediate_size=16, max_position_embeddings=16, num_labels=3))
>>> words = encoder.get_input_embeddings().weight
>>> with frozen_word_embeddings(encoder, True):
...     words.requires_grad
False
>>> words.requires_grad                             # given back as it was
True

Why: the word-piece table is most of a small model's weights (11.7M of the embedded MiniLM's
22.7M), and a few hundred training sentences touch a sliver of its rows. Trained, the whole
table gets a dense gradient, a clipping pass and an AdamW update on every step (an epoch of the
defaults took 18.29 s with it against 16.13 s frozen, medians, benchmarks/default_time.py);
frozen, none of that runs, and words seen only at prediction time keep the same footing as
those seen in training. Positions, the casing features (token types) and everything above the
embeddings still learn. It is the default (``TrainConfig.freeze_word_embeddings``) because it
also scored better: +0.0089 micro F1 on average over 5 folds by article of wikigold,
4 of 5 folds (issue 14's rule 10, benchmarks/RESULTS.md); ``--freeze-word-embeddings off``
trains the table as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["frozen_word_embeddings"]


@contextlib.contextmanager
def frozen_word_embeddings(network: torch.nn.Module, frozen: bool) -> Iterator[None]:
    """While the block runs, ``network``'s word-piece embeddings (if ``frozen``) get no gradient; afterwards
    they are as they were, so a later training of the same model is not frozen by surprise."""
    encoder = getattr(network, "encoder", network)
    table = encoder.get_input_embeddings() if frozen and hasattr(encoder, "get_input_embeddings") else None
    weight = getattr(table, "weight", None)
    if weight is None or not weight.requires_grad:
        yield
        return
    weight.requires_grad_(False)
    try:
        yield
    finally:
        weight.requires_grad_(True)
