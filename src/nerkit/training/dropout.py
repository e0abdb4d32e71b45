"""Dropout for training on a CPU: the same regularisation, a third of the cost.

>>> import torch
>>> from nerkit.training.dropout import cpu_dropout
>>> _ = torch.manual_seed(0)
>>> x = torch.ones(100_000)
>>> y = cpu_dropout(x, 0.1)
>>> round(float((y == 0).float().mean()), 2)          # about a tenth of the values dropped
0.1
>>> round(float(y.max()), 4)                           # the rest scaled up, so the mean stays the same
1.1111
>>> torch.equal(cpu_dropout(x, 0.0), x)
True

Why: torch's CPU dropout draws one Mersenne-Twister number per element (``bernoulli_``), then
divides and multiplies in two more passes. Fine-tuning the embedded MiniLM on a CPU spent a
fifth of every step there (20 dropouts a step: the attention probabilities and the hidden
states of six layers), and a tiny model almost half of its forward pass. Here one 64-bit draw
gives four 16-bit numbers, each compared with a threshold: the kept share is
``1 - round(p * 65536) / 65536`` (0.899994 for p = 0.1) and the scale is exactly its inverse,
so the expected value is unchanged. Seeded by ``torch.manual_seed`` like any torch draw.

:func:`fast_dropout` applies this to a network while it trains on a CPU: its ``nn.Dropout``
modules are swapped for :class:`CpuDropout` and its attention (transformers' ``sdpa``) runs
through :func:`attention`, which does what SDPA's own dropout path does (scores, softmax,
dropout, weighted sum) with this dropout; everything is put back when training ends. On a GPU
nothing changes: its dropout is already cheap (and :func:`cpu_dropout` hands any non-CPU
tensor to torch's own).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["cpu_dropout", "CpuDropout", "attention", "fast_dropout", "ATTENTION"]

ATTENTION = "nerkit_cpu_sdpa"  # the name this module's attention is registered under in transformers
_LEVELS = 65536  # 16-bit draws: p is honoured to 1/65536


def cpu_dropout(x: torch.Tensor, p: float) -> torch.Tensor:
    """Zero each element of ``x`` with probability ``p`` (to 1/65536) and scale the rest by the inverse of the kept share."""
    if p <= 0:
        return x
    if x.device.type != "cpu":
        return torch.nn.functional.dropout(x, p, training=True)
    drop = round(p * _LEVELS)
    if drop >= _LEVELS:
        return x * 0.0
    n = x.numel()
    # random_(-2**63, None) fills all 64 bits (random_() alone leaves the sign bit 0), so each
    # word holds four uniform 16-bit numbers: one draw for four elements.
    words = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-(2**63), None)
    keep = words.view(torch.int16)[:n].view(x.shape).ge(drop - _LEVELS // 2)
    # One tensor of 0 or 1/keep-share, made in place: the forward and the backward are one
    # multiplication each.
    return x * keep.to(x.dtype).mul_(_LEVELS / (_LEVELS - drop))


class CpuDropout(torch.nn.Dropout):
    """``nn.Dropout`` with :func:`cpu_dropout` while training (the same module otherwise)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        return cpu_dropout(x, self.p)


def attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling=None, **kwargs):
    """transformers' SDPA attention, with :func:`cpu_dropout` on the attention probabilities while training on a CPU.

    Without dropout, or anything but a plain encoder's attention (causal, grouped keys, a
    position bias, soft-capping, a GPU), it is SDPA itself.
    """
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    plain = (
        dropout > 0
        and query.device.type == "cpu"
        and not getattr(module, "is_causal", False)
        and getattr(module, "num_key_value_groups", 1) == 1
        and kwargs.get("position_bias") is None
        and kwargs.get("softcap") is None
        and key.shape[-2] == value.shape[-2]
    )
    if not plain:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    if scaling is None:
        scaling = query.shape[-1] ** -0.5
    scores = torch.matmul(query, key.transpose(-2, -1)) * scaling
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:  # True: may attend
            scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
        else:  # additive
            scores = scores + attention_mask
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32)
    probs = cpu_dropout(probs, dropout).to(value.dtype)
    return torch.matmul(probs, value).transpose(1, 2).contiguous(), None


def _register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface

    AttentionInterface.register(ATTENTION, attention)
    AttentionMaskInterface.register(ATTENTION, ALL_MASK_ATTENTION_FUNCTIONS["sdpa"])  # SDPA's masks, as SDPA gets


@contextlib.contextmanager
def fast_dropout(network: torch.nn.Module) -> Iterator[None]:
    """While the block runs, ``network`` (on a CPU) drops out with :func:`cpu_dropout`; afterwards it is as it was."""
    if next(network.parameters()).device.type != "cpu":
        yield
        return
    swapped = []
    for parent in list(network.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is torch.nn.Dropout:
                fast = CpuDropout(child.p, child.inplace)
                fast.train(child.training)
                setattr(parent, name, fast)
                swapped.append((parent, name, child))
    configs = {id(c): c for m in network.modules() if (c := getattr(m, "config", None)) is not None}
    configs = [c for c in configs.values() if getattr(c, "_attn_implementation", None) == "sdpa"]
    if configs:
        _register()
    for config in configs:
        config._attn_implementation = ATTENTION
    try:
        yield
    finally:
        for config in configs:
            config._attn_implementation = "sdpa"
        for parent, name, child in swapped:
            child.train(getattr(parent, name).training)
            setattr(parent, name, child)
