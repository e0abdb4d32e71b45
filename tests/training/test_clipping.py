"""clip_gradients: the same norm and gradients as torch's clip_grad_norm_, bit for bit."""

import pytest
import torch
from transformers import BertConfig, BertForTokenClassification

from nerkit.training.clipping import clip_gradients


def _model_with_grads(scale: float):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16, num_labels=3)  # fmt: skip
    model = BertForTokenClassification(config)
    ids = torch.randint(0, 50, (2, 6))
    (model(input_ids=ids, labels=torch.randint(0, 3, (2, 6))).loss * scale).backward()
    return model


@pytest.mark.parametrize("max_norm", [1e-3, 1.0, 1e6])  # clipped hard, around the norm, not at all
def test_same_as_clip_grad_norm(max_norm):
    ours, theirs = _model_with_grads(1.0), _model_with_grads(1.0)
    total = clip_gradients(list(ours.parameters()), max_norm)
    expected = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm)
    assert torch.equal(total, expected)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a.grad, b.grad)
    if max_norm < 1:
        assert float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in ours.parameters()]))) < 2 * max_norm


def test_mixed_dtypes_and_missing_gradients_go_to_torch():
    a, c = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    b = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    a.grad, b.grad = torch.tensor([3.0, 4.0]), torch.tensor([0.0, 12.0], dtype=torch.float64)
    total = clip_gradients([a, b, c], 1.0)  # c has no gradient
    assert float(total) == pytest.approx(13.0)
    assert float(a.grad.norm() ** 2 + b.grad.norm() ** 2) == pytest.approx(1.0, rel=1e-5)
    assert c.grad is None
    assert float(clip_gradients([c], 1.0)) == 0.0
