"""BERT's forward pass without transformers' machinery around it: the same arithmetic, less Python.

>>> import torch
>>> from transformers import BertConfig, BertForTokenClassification
>>> config = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
...                     intermediate_size=16, max_position_embeddings=16, num_labels=3)
>>> encoder = BertForTokenClassification(config).eval()
>>> supports(encoder)
True
>>> ids = torch.tensor([[2, 5, 6, 3], [2, 7, 3, 0]])
>>> mask, types = (ids > 0).long(), torch.zeros_like(ids)
>>> ours = logits(encoder, ids, mask, types)
>>> torch.equal(ours, encoder(input_ids=ids, attention_mask=mask, token_type_ids=types).logits)
True

Why: a training step of a small BERT on a CPU is mostly host work around small matrices.
``BertForTokenClassification.forward`` goes through decorators (output capture, config
defaults, renamed arguments), builds a 4D attention mask, looks the attention function up
in a registry for every layer and wraps every result in an output object. On the tiny BERT
of ``benchmarks/overhead.py`` that is a third of its forward pass. :func:`logits` runs the
same operations on the same parameters in the same order, with the model's own dropout and
activation modules, so it gives the same logits, the same gradients and, from the same seed,
the same dropout masks (``tests/modeling/test_bert.py`` checks all three against
transformers).

Only what it can reproduce exactly is taken: a ``BertForTokenClassification`` (BERT,
MiniLM, ...) whose attention is transformers' SDPA (the default) or nerkit's CPU-dropout
variant of it, with absolute positions, as an encoder (no decoder, no cross-attention, no
gradient checkpointing). :func:`supports` says so; anything else goes through transformers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["supports", "logits", "CPU_SDPA"]

CPU_SDPA = "nerkit_cpu_sdpa"  # the name nerkit.training.dropout registers its attention under


def supports(encoder: torch.nn.Module) -> bool:
    """Whether :func:`logits` computes exactly what ``encoder``'s own forward does."""
    from transformers.models.bert.modeling_bert import BertForTokenClassification

    if type(encoder) is not BertForTokenClassification:
        return False
    config = encoder.config
    layers = encoder.bert.encoder.layer
    return (
        config._attn_implementation in ("sdpa", CPU_SDPA)
        and not config.is_decoder
        and not config.add_cross_attention
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and not any(getattr(layer, "gradient_checkpointing", False) for layer in layers)
    )


def logits(
    encoder: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    token_type_ids: torch.Tensor | None = None,
) -> torch.Tensor:
    """``encoder(input_ids=..., attention_mask=..., token_type_ids=...).logits`` for a model :func:`supports` takes."""
    bert = encoder.bert
    emb = bert.embeddings
    batch, length = input_ids.shape
    if token_type_ids is None:
        token_type_ids = torch.zeros_like(input_ids)
    words = emb.word_embeddings
    x = F.embedding(input_ids, words.weight, words.padding_idx) + F.embedding(
        token_type_ids, emb.token_type_embeddings.weight
    )
    x = emb.dropout(_norm(x + emb.position_embeddings.weight[:length], emb.LayerNorm))
    # True where a piece may be attended to; broadcast over heads and queries as SDPA allows.
    allowed = attention_mask[:, None, None, :].bool()
    for layer in bert.encoder.layer:
        x = _layer(layer, x, allowed, batch, length)
    return encoder.classifier(encoder.dropout(x))


def _layer(layer, x: torch.Tensor, allowed: torch.Tensor, batch: int, length: int) -> torch.Tensor:
    att = layer.attention.self
    shape = (batch, length, att.num_attention_heads, att.attention_head_size)
    q = att.query(x).view(shape).transpose(1, 2)
    k = att.key(x).view(shape).transpose(1, 2)
    v = att.value(x).view(shape).transpose(1, 2)
    p = att.dropout.p if att.training else 0.0
    if p > 0 and x.device.type == "cpu":
        # As nerkit's CPU attention does while training (SDPA's own dropout path, written out):
        # the dropout module on the probabilities is the one nerkit.training.dropout swaps in.
        scores = torch.matmul(q, k.transpose(-2, -1)) * att.scaling
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        probs = att.dropout(torch.softmax(scores, dim=-1, dtype=torch.float32)).to(v.dtype)
        context = torch.matmul(probs, v)
    else:
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p, scale=att.scaling)
    context = context.transpose(1, 2).reshape(batch, length, -1)
    out = layer.attention.output
    x = _norm(out.dropout(out.dense(context)) + x, out.LayerNorm)
    hidden = layer.intermediate.intermediate_act_fn(layer.intermediate.dense(x))
    out = layer.output
    return _norm(out.dropout(out.dense(hidden)) + x, out.LayerNorm)


def _norm(x: torch.Tensor, norm: torch.nn.LayerNorm) -> torch.Tensor:
    return F.layer_norm(x, norm.normalized_shape, norm.weight, norm.bias, norm.eps)
