"""A linear-chain CRF's log partition function, with its gradient from forward-backward marginals.

>>> import torch
>>> em = torch.zeros(1, 2, 2, requires_grad=True)     # 1 row, 2 words, 2 tags, all scores 0
>>> mask = torch.ones(1, 2, dtype=torch.bool)
>>> zero = torch.zeros(2)
>>> log_z = log_partition(em, mask, zero, zero, torch.zeros(2, 2))
>>> round(float(log_z[0]), 4), round(float(torch.log(torch.tensor(4.0))), 4)   # 4 equally likely paths
(1.3863, 1.3863)
>>> log_z.sum().backward()
>>> em.grad.tolist()                                  # the gradient is each word's tag marginal
[[[0.5, 0.5], [0.5, 0.5]]]

``log Z = log sum over all tag paths of exp(score)``, per row, for the CRF's negative
log-likelihood. Autograd through the forward algorithm records every position's
operations and replays them backwards: on a small model that loop cost as much as the
transformer itself (benchmarks/overhead.py, RESULTS.md issue 11). Here the forward pass
computes the forward (alpha) and backward (beta) scores in one loop over positions, both
directions at once (a batch of twice the rows), with no autograd; the gradient is then the
posterior marginals, all positions at once:

- d log Z / d emission[t, j] = P(tag_t = j)
- d log Z / d transition[i, j] = sum over t of P(tag_t-1 = i, tag_t = j)
- d log Z / d start[j] = P(tag_0 = j), d log Z / d end[j] = P(last tag = j)

Each position is one small matrix product (the log-space matrix form: a step's scores less
their largest, exponentiated; the state kept as probabilities that sum to 1 plus a log
scale), three operations instead of ``logsumexp``'s ten. It runs in float64, where a step's
sum, at least e^-(spread of the transition scores), cannot underflow (on MPS, which has no
float64, in float32: transition scores must then stay within about 80 of each other). alpha
and beta are then taken back to log space, still float64, and the marginals computed from
them. Value and gradients equal the per-position ``logsumexp`` algorithm under autograd to
float noise, closer to its float64 result than its float32 one, and enumeration of every
path (tests/modeling/test_partition.py). Rows are left-aligned (``mask`` marks each
row's words); past a row's end the step is the identity (stay on the same tag at score 0),
which carries alpha and beta through unchanged.
"""

from __future__ import annotations

import torch

__all__ = ["log_partition"]


def log_partition(em, mask, start, end, transitions) -> torch.Tensor:
    """log Z per row, (B,), for emissions ``em`` (B, W, T), left-aligned words ``mask`` (B, W) with W >= 1."""
    with torch.autocast(em.device.type, enabled=False):  # float32 in, whatever the caller's autocast
        return _LogPartition.apply(em, mask, start, end, transitions)


def _steps(em: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor) -> torch.Tensor:
    """Score of each move into positions 1..W-1, (B, W-1, T, T) [from, to]: transition plus the
    emission of the tag moved to; past a row's end the identity (0 to stay, -inf to change)."""
    n = transitions.shape[0]
    stay = torch.full((n, n), float("-inf"), device=em.device, dtype=em.dtype).fill_diagonal_(0.0)
    inside = mask[:, 1:, None, None]
    return torch.where(inside, transitions + em[:, 1:].unsqueeze(2), stay)


def _forward_backward(em, mask, start, end, transitions):
    """alpha and beta (B, W, T), the steps (B, W-1, T, T) and log Z (B,), all in the wide dtype."""
    rows, width, _ = em.shape
    steps = _steps(em, mask, transitions)
    wide = torch.float32 if em.device.type == "mps" else torch.float64  # (MPS has no float64)
    # The log-space matrix form (see the module docstring): a step's sum is at least
    # e^-(spread of the transition scores), far inside float64's range.
    shift = steps.amax(dim=(2, 3), keepdim=True)  # (B, W-1, 1, 1)
    factors = torch.exp((steps - shift).to(wide))
    # One loop for both directions: rows 0..B-1 run alpha forwards through the steps, rows
    # B..2B-1 run beta backwards through the same steps transposed (and taken last first).
    factors = torch.cat([factors.transpose(0, 1), factors.transpose(2, 3).flip(1).transpose(0, 1)], dim=1)
    first = torch.cat([start + em[:, 0], end.expand(rows, -1)]).to(wide)  # (2B, T)
    p = torch.softmax(first, dim=1).unsqueeze(1)  # (2B, 1, T)
    probs, sums = [p], []
    for factor in factors.unbind(0):
        q = torch.bmm(p, factor)
        total = q.sum(2, keepdim=True)
        p = q / total
        probs.append(p)
        sums.append(total)
    scale = torch.logsumexp(first, dim=1, keepdim=True)  # (2B, 1): log of the first state's sum
    if sums:
        shifts = shift.view(rows, width - 1)
        step_scale = torch.cat(sums, dim=1).view(2 * rows, width - 1).log() + torch.cat([shifts, shifts.flip(1)])
        scale = torch.cat([scale, scale + step_scale.cumsum(1)], dim=1)  # (2B, W)
    # Kept wide: alpha and beta grow with the sentence, and the marginals are differences of them.
    both = torch.cat(probs, dim=1).log() + scale.unsqueeze(-1)
    alpha, beta = both[:rows], both[rows:].flip(1)
    log_z = torch.logsumexp(alpha[:, -1] + end.to(wide), dim=1)  # past a row's end alpha stays on its last word's
    return alpha, beta, steps.to(wide), log_z


class _LogPartition(torch.autograd.Function):
    @staticmethod
    def forward(ctx, em, mask, start, end, transitions):
        em = em.masked_fill(~mask.unsqueeze(-1), 0.0)  # whatever lies past a row's end takes no part
        alpha, beta, steps, log_z = _forward_backward(em, mask, start, end, transitions)
        ctx.save_for_backward(mask, end, alpha, beta, steps, log_z)
        return log_z.to(em.dtype)

    @staticmethod
    def backward(ctx, grad):
        mask, end, alpha, beta, steps, log_z = ctx.saved_tensors
        scale = grad.to(alpha.dtype).unsqueeze(1)  # (B, 1): each row's share of the loss
        weight = mask.to(alpha.dtype) * scale  # (B, W)
        node = torch.exp(alpha + beta - log_z[:, None, None])  # P(tag_t = j), (B, W, T)
        g_em = node * weight.unsqueeze(-1)
        g_start = (node[:, 0] * scale).sum(0)
        g_end = (torch.exp(alpha[:, -1] + end - log_z[:, None]) * scale).sum(0)
        g_trans = None  # one word per row: no transition took part (autograd leaves its gradient alone)
        if steps.shape[1]:
            # P(tag_t-1 = i, tag_t = j) for t = 1..W-1; the identity steps past a row's end give -inf: 0.
            edge = torch.exp(alpha[:, :-1].unsqueeze(3) + steps + beta[:, 1:].unsqueeze(2) - log_z[:, None, None, None])
            g_trans = (edge * weight[:, 1:, None, None]).sum((0, 1)).to(grad.dtype)
        return g_em.to(grad.dtype), None, g_start.to(grad.dtype), g_end.to(grad.dtype), g_trans
