"""The network: a transformers token classifier and, as a part of its own, the CRF.

>>> import torch
>>> from transformers import BertConfig, BertForTokenClassification
>>> config = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
...                     intermediate_size=16, max_position_embeddings=16, num_labels=3)
>>> network = TokenClassifier(BertForTokenClassification(config), LinearChainCRF(3))
>>> ids = torch.tensor([[2, 5, 6, 3]])
>>> out = network(ids, torch.ones_like(ids), torch.zeros_like(ids), labels=torch.tensor([[-100, 1, 2, -100]]))
>>> tuple(out.logits.shape), out.loss.ndim                 # logits per piece; the CRF's loss per word
((1, 4, 3), 0)
>>> [name for name, _ in network.named_children()]
['encoder', 'crf']

With a CRF the loss is the CRF's negative log-likelihood of the gold tags of the words;
without one it is the encoder's own cross-entropy over the labelled pieces. Either way the
model's arithmetic is one ``forward``, so DistributedDataParallel, ``torch.compile`` and
``state_dict`` see all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..encoding.casing import N_SHAPES
from . import bert
from .crf import LinearChainCRF

__all__ = ["TokenClassifier", "Output", "enable_casing", "max_positions"]


@dataclass
class Output:
    logits: torch.Tensor  # batch x pieces x classes
    loss: torch.Tensor | None = None


class TokenClassifier(torch.nn.Module):
    """``encoder`` (a transformers ``...ForTokenClassification``) and an optional ``crf``."""

    def __init__(self, encoder: torch.nn.Module, crf: LinearChainCRF | None = None):
        super().__init__()
        self.encoder = encoder
        self.crf = crf

    @property
    def config(self):
        return self.encoder.config

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, input_ids, attention_mask, token_type_ids, labels=None, words: int | None = None) -> Output:
        """``words``: the most labelled pieces in a row of ``labels``, if known (spares the CRF a read-back)."""
        own_loss = labels is not None and self.crf is None  # the encoder's cross-entropy over labelled pieces
        if bert.supports(self.encoder):  # the same arithmetic as the encoder's forward, less Python
            logits = bert.logits(self.encoder, input_ids, attention_mask, token_type_ids)
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1)) if own_loss else None
        else:
            out = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                labels=labels if own_loss else None,
            )  # fmt: skip
            logits, loss = out.logits, out.loss
        if labels is None or own_loss:
            return Output(logits, loss)
        # The CRF's sequence likelihood replaces the per-piece cross-entropy; it sums many
        # small numbers, so it runs in fp32 whatever precision the encoder ran in.
        with torch.autocast(logits.device.type, enabled=False):
            return Output(logits, self.crf.nll(logits, labels, words=max(1, words) if words is not None else None))


def max_positions(config) -> int:
    """The most word pieces the model's position embeddings cover."""
    return int(getattr(config, "max_position_embeddings", 512) or 512)


def enable_casing(encoder: torch.nn.Module) -> bool:
    """Give an uncased model word shapes through its token-type embeddings.

    The table grows to one row per shape, each initialised from the pretrained type-0 row,
    so training starts from exactly the pretrained model and learns what casing adds.
    Returns False for models without token-type embeddings (no casing then).
    """
    base = getattr(encoder, "base_model", encoder)
    emb = getattr(getattr(base, "embeddings", None), "token_type_embeddings", None)
    if emb is None:
        return False
    if emb.num_embeddings < N_SHAPES:
        new = torch.nn.Embedding(N_SHAPES, emb.embedding_dim).to(emb.weight.device, emb.weight.dtype)
        with torch.no_grad():
            new.weight.copy_(emb.weight[0].expand(N_SHAPES, -1))
        base.embeddings.token_type_embeddings = new
        encoder.config.type_vocab_size = N_SHAPES
    return True
