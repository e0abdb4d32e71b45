"""The CRF's log partition function and its marginal gradient, against the per-position algorithm and enumeration."""

import itertools

import pytest
import torch

from nerkit.modeling.crf import LinearChainCRF
from nerkit.modeling.partition import log_partition


def _per_position(em, mask, start, end, transitions):
    """The forward algorithm as the CRF ran it before (one position at a time, under autograd)."""
    n = transitions.shape[0]
    stay = torch.full((n, n), float("-inf")).fill_diagonal_(0.0)
    alpha = start + em[:, 0]
    for t in range(1, em.shape[1]):
        step = torch.where(mask[:, t, None, None], transitions, stay)
        alpha = torch.logsumexp(alpha.unsqueeze(2) + step + em[:, t].unsqueeze(1), dim=1)
    return torch.logsumexp(alpha + end, dim=1)


def _per_position_nll(crf, logits, labels):
    """LinearChainCRF.nll as it was before: the gold score and alpha position by position."""
    select = labels != -100
    em = torch.zeros(logits.shape[0], int(select.sum(1).max()), logits.shape[-1])
    tags = torch.zeros(em.shape[:2], dtype=torch.long)
    mask = torch.zeros(em.shape[:2], dtype=torch.bool)
    for r in range(logits.shape[0]):
        k = int(select[r].sum())
        em[r, :k], tags[r, :k], mask[r, :k] = logits[r, select[r]], labels[r, select[r]], True
    emitted = em.gather(2, tags.unsqueeze(2)).squeeze(2)
    gold = crf.start[tags[:, 0]] + emitted[:, 0]
    for t in range(1, em.shape[1]):
        gold = gold + (crf.transitions[tags[:, t - 1], tags[:, t]] + emitted[:, t]) * mask[:, t]
    last = tags[torch.arange(em.shape[0]), (mask.sum(1) - 1).clamp_min(0)]
    log_z = _per_position(em, mask, crf.start, crf.end, crf.transitions)
    return ((log_z - gold - crf.end[last]) * mask[:, 0]).sum() / mask.sum().clamp_min(1)


def _inputs(seed, rows=4, width=6, tags=4, lengths=(6, 3, 1, 0), scale=3.0, spread=1.0):
    g = torch.Generator().manual_seed(seed)
    em = (torch.randn(rows, width, tags, generator=g) * scale).requires_grad_()
    mask = torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]
    params = [(torch.randn(*s, generator=g) * spread).requires_grad_() for s in [(tags,), (tags,), (tags, tags)]]
    return em, mask, params


def _grads(fn, em, params, weights):
    value = fn(em, *params)
    grads = torch.autograd.grad((value * weights).sum(), [em, *params], allow_unused=True)
    return value.detach(), grads


@pytest.mark.parametrize(
    "seed, scale, spread",
    [(0, 3.0, 1.0), (1, 3.0, 1.0), (2, 3.0, 1.0), (6, 200.0, 1.0), (7, 3.0, 60.0), (8, 100.0, 100.0)],
)  # the last three: confident logits far apart, transition scores far apart (nothing underflows)
def test_value_and_gradients_equal_the_per_position_algorithm(seed, scale, spread):
    em, mask, params = _inputs(seed, width=12, lengths=(12, 7, 1, 0), scale=scale, spread=spread)
    weights = torch.rand(em.shape[0], generator=torch.Generator().manual_seed(seed + 10)) + 0.5
    new, new_grads = _grads(lambda e, *p: log_partition(e, mask, *p), em, params, weights)
    assert new.dtype == em.dtype and all(g.dtype == em.dtype and torch.isfinite(g).all() for g in new_grads)
    assert new_grads[0][~mask].abs().sum() == 0  # past a row's end: no gradient

    def old(e, *p):
        return _per_position(e.masked_fill(~mask[..., None], 0), mask, *p)

    # The per-position algorithm in float64 is the reference; in float32 it is what ran before.
    wide = [x.detach().double().requires_grad_() for x in (em, *params)]
    reference, reference_grads = _grads(old, wide[0], wide[1:], weights.double())
    before, before_grads = _grads(old, em, params, weights)
    torch.testing.assert_close(new.double(), reference, rtol=1e-6, atol=1e-5)
    for ours, theirs, ref in zip(new_grads, before_grads, reference_grads):
        torch.testing.assert_close(ours.double(), ref, rtol=1e-5, atol=1e-5)
        assert (ours.double() - ref).abs().max() <= (theirs.double() - ref).abs().max() + 1e-6  # no less exact


@pytest.mark.parametrize("seed", [3, 4])
def test_log_z_and_tag_marginals_equal_enumeration(seed):
    em, mask, (start, end, trans) = _inputs(seed, rows=2, width=4, tags=3, lengths=(4, 2))
    log_z = log_partition(em, mask, start, end, trans)
    (em_grad,) = torch.autograd.grad(log_z.sum(), [em])
    for r, n in enumerate(mask.sum(1).tolist()):
        paths = list(itertools.product(range(3), repeat=n))
        scores = torch.stack([  # every path's score, by enumeration
            start[p[0]] + end[p[-1]] + sum(em[r, t, p[t]] for t in range(n)) + sum(trans[p[t - 1], p[t]] for t in range(1, n))
            for p in paths
        ])  # fmt: skip
        scores = scores.detach()
        assert float(log_z[r].detach()) == pytest.approx(float(torch.logsumexp(scores, 0)), rel=1e-5)
        probs = torch.softmax(scores, 0)
        for t in range(n):
            marginal = [float(sum(probs[i] for i, p in enumerate(paths) if p[t] == j)) for j in range(3)]
            assert em_grad[r, t].tolist() == pytest.approx(marginal, abs=1e-5)


def test_one_word_per_row_leaves_the_transitions_out():
    em, mask, (start, end, trans) = _inputs(5, rows=3, width=1, tags=3, lengths=(1, 1, 0))
    log_z = log_partition(em, mask, start, end, trans)
    grads = torch.autograd.grad(log_z.sum(), [em, start, end, trans], allow_unused=True)
    assert grads[3] is None  # as under the per-position algorithm: no step, no transition
    old = _per_position(em.masked_fill(~mask[..., None], 0), mask, start, end, trans)
    torch.testing.assert_close(log_z, old)


@pytest.mark.parametrize("seed", [0, 1])
def test_nll_and_its_gradients_equal_the_per_position_nll(seed):
    torch.manual_seed(seed)
    crf = LinearChainCRF(5)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    logits = (torch.randn(3, 9, 5) * 2).requires_grad_()
    labels = torch.randint(0, 5, (3, 9))
    labels[:, 0] = labels[0, 4] = labels[1, 2:] = labels[2, :] = -100  # ragged rows; row 2 has no word
    new = crf.nll(logits, labels)
    new_grads = torch.autograd.grad(new, [logits, *crf.parameters()])
    old = _per_position_nll(crf, logits, labels)
    old_grads = torch.autograd.grad(old, [logits, *crf.parameters()])
    torch.testing.assert_close(new, old, rtol=1e-5, atol=1e-6)
    for a, b in zip(new_grads, old_grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
