"""Gradient clipping by total norm: ``torch.nn.utils.clip_grad_norm_``'s arithmetic, less of its per-step cost.

>>> import torch
>>> w = torch.nn.Parameter(torch.zeros(2))
>>> w.grad = torch.tensor([3.0, 4.0])                # norm 5
>>> float(clip_gradients([w], 1.0))                  # the norm before clipping, as torch returns it
5.0
>>> [round(x, 4) for x in w.grad.tolist()]          # scaled to norm 1
[0.6, 0.8]
>>> w.grad = torch.tensor([0.3, 0.4])                # norm 0.5: below the limit, left as it is
>>> float(clip_gradients([w], 1.0)), torch.equal(w.grad, torch.tensor([0.3, 0.4]))
(0.5, True)

Why not ``clip_grad_norm_(network.parameters(), limit)`` itself: on every call it walks the
modules for the parameters, groups the gradients by device and dtype, moves each gradient's norm
to the first device one by one, and always multiplies every gradient by the clamped coefficient
(on a GPU, deciding whether to multiply would make the host wait for the norm). A tiny model's
step spent a tenth of its time there (benchmarks/overhead.py). Here the parameters are listed
once by the caller; when every gradient shares one device and dtype (nerkit's networks: fp32
weights, bf16 only under autocast) the same torch kernels run in the same order, with nothing
around them; on the CPU, where the norm is already on the host, a multiplication by exactly
1.0 is skipped. The norm and the clipped gradients are the same, bit for bit, as
``clip_grad_norm_``'s (tests/training/test_clipping.py); anything else is handed to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["clip_divisor", "clip_gradients"]


@torch.no_grad()
def clip_gradients(parameters: Sequence[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``parameters`` (a list, not a generator) to a total 2-norm of at most ``max_norm``.

    Returns the total norm before clipping (like ``clip_grad_norm_``).
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    first = grads[0]
    if first.is_sparse or any(g.device != first.device or g.dtype != first.dtype or g.is_sparse for g in grads):
        return torch.nn.utils.clip_grad_norm_(parameters, max_norm)
    # clip_grad_norm_'s arithmetic for one (device, dtype) group: per-tensor norms, their norm,
    # then the coefficient clamped to 1.0.
    total = _total_norm(grads)
    coef = torch.clamp(float(max_norm) / (total + 1e-6), max=1.0)
    if first.device.type == "cpu" and float(coef) == 1.0:
        return total  # multiplying by exactly 1.0 would change nothing
    torch._foreach_mul_(grads, coef)
    return total


@torch.no_grad()
def clip_divisor(grads: Sequence[torch.Tensor], max_norm: float) -> torch.Tensor:
    """What to divide ``grads`` by to clip them to a total 2-norm of ``max_norm``: 1.0 when within it.

    For an optimizer that divides as it reads (the fused AdamW's ``grad_scale``), so the clip
    costs no pass of its own over the gradients. The same norm as :func:`clip_gradients`; the
    clipped gradients agree with its to rounding (a division by the reciprocal of its factor).
    The gradients must share one device and dtype.

    >>> g = [torch.tensor([3.0, 4.0])]
    >>> round(float(clip_divisor(g, 1.0)), 4), float(clip_divisor(g, 10.0))
    (5.0, 1.0)
    """
    return torch.clamp((_total_norm(grads) + 1e-6) / float(max_norm), min=1.0)


def _total_norm(grads: Sequence[torch.Tensor]) -> torch.Tensor:
    """The 2-norm of all of ``grads`` together, as clip_grad_norm_ computes it for one device and dtype."""
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, 2.0)), 2.0)
