"""CPU dropout: torch's dropout in distribution (kept share, scale, gradient), and a network given back as it was."""

import math

import pytest
import torch
from transformers import BertConfig, BertForTokenClassification
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from nerkit.training.dropout import ATTENTION, CpuDropout, attention, cpu_dropout, fast_dropout


def _tiny_bert():
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16, num_labels=3)  # fmt: skip
    return BertForTokenClassification(config)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_drops_the_share_asked_and_keeps_the_mean(p):
    torch.manual_seed(1)
    n = 1_000_000
    y = cpu_dropout(torch.ones(n), p)
    dropped_levels = round(p * 65536)
    scale = 65536 / (65536 - dropped_levels)
    values = torch.unique(y).tolist()
    assert len(values) == 2 and values[0] == 0.0 and values[1] == pytest.approx(scale)
    dropped = float((y == 0).double().mean())
    sigma = math.sqrt(p * (1 - p) / n)
    assert abs(dropped - p) < 5 * sigma  # binomial: a biased draw would be off by far more
    assert float(y.double().mean()) == pytest.approx(1.0, abs=5 * sigma * scale)


def test_elements_are_dropped_independently_of_their_neighbours():
    # Four elements share one 64-bit draw: their chunks must not move together.
    torch.manual_seed(2)
    y = cpu_dropout(torch.ones(400_000), 0.5).view(-1, 4) > 0
    both = float((y[:, 0] & y[:, 1]).double().mean())
    assert both == pytest.approx(0.25, abs=0.005)
    assert float(y[:, 3].double().mean()) == pytest.approx(0.5, abs=0.005)  # the word's top chunk too


def test_seeded_like_any_torch_draw():
    x = torch.randn(3, 5, 7)
    torch.manual_seed(3)
    a = cpu_dropout(x, 0.3)
    torch.manual_seed(3)
    b = cpu_dropout(x, 0.3)
    c = cpu_dropout(x, 0.3)
    assert torch.equal(a, b) and not torch.equal(b, c)


def test_gradient_is_the_same_mask_and_scale():
    torch.manual_seed(4)
    x = torch.randn(6, 9, requires_grad=True)
    y = cpu_dropout(x, 0.25)
    y.sum().backward()
    factor = torch.where(y == 0, 0.0, y / x.detach())
    assert torch.allclose(x.grad, factor)


def test_zero_and_one():
    x = torch.randn(4, 4)
    assert cpu_dropout(x, 0.0) is x
    assert torch.equal(cpu_dropout(x, 1.0), torch.zeros_like(x))


def test_bf16_stays_bf16():
    x = torch.randn(8, 8, dtype=torch.bfloat16)
    assert cpu_dropout(x, 0.1).dtype == torch.bfloat16


def test_module_is_plain_dropout_outside_training():
    module = CpuDropout(0.5)
    x = torch.randn(10)
    module.eval()
    assert module(x) is x
    module.train()
    assert (module(torch.ones(1000)) == 0).any()


def _qkv(batch=2, heads=2, length=5, dim=4):
    torch.manual_seed(5)
    return [torch.randn(batch, heads, length, dim) for _ in range(3)]


def test_attention_without_dropout_is_sdpa():
    module = _tiny_bert().bert.encoder.layer[0].attention.self
    q, k, v = _qkv()
    mask = torch.ones(2, 1, 5, 5, dtype=torch.bool)
    mask[1, ..., 3:] = False
    ours, _ = attention(module, q, k, v, mask, dropout=0.0, scaling=0.5)
    theirs, _ = sdpa_attention_forward(module, q, k, v, mask, dropout=0.0, scaling=0.5)
    assert torch.equal(ours, theirs)


def test_attention_with_dropout_is_the_textbook_formula():
    module = _tiny_bert().bert.encoder.layer[0].attention.self
    q, k, v = _qkv()
    mask = torch.ones(2, 1, 5, 5, dtype=torch.bool)
    mask[1, ..., 3:] = False  # the second row's last two keys are padding
    torch.manual_seed(6)
    ours, weights = attention(module, q, k, v, mask, dropout=0.2, scaling=0.5)
    assert weights is None
    scores = (q @ k.transpose(-2, -1) * 0.5).masked_fill(~mask, float("-inf"))
    torch.manual_seed(6)
    probs = cpu_dropout(torch.softmax(scores, dim=-1), 0.2)
    expected = (probs @ v).transpose(1, 2)
    assert ours.shape == expected.shape == (2, 5, 2, 4)
    assert torch.allclose(ours, expected, atol=1e-6)
    # Padding never leaks in: other values at the masked keys change nothing.
    v2 = v.clone()
    v2[1, :, 3:] = 100.0
    torch.manual_seed(6)
    again, _ = attention(module, q, k, v2, mask, dropout=0.2, scaling=0.5)
    assert torch.equal(again, ours)


def test_network_uses_it_while_training_and_is_given_back_unchanged():
    model = _tiny_bert()
    originals = [m for m in model.modules() if type(m) is torch.nn.Dropout]
    assert (
        len(originals) == 8
    )  # the embeddings', three per layer (attention probabilities, attention output, feed-forward), the classifier's
    ids = torch.randint(0, 50, (2, 6))
    model.eval()
    before = model(input_ids=ids).logits
    with fast_dropout(model):
        assert not any(type(m) is torch.nn.Dropout for m in model.modules())
        assert sum(isinstance(m, CpuDropout) for m in model.modules()) == len(originals)
        assert model.config._attn_implementation == ATTENTION
        assert torch.equal(model(input_ids=ids).logits, before)  # in eval mode nothing is dropped
        model.train()
        out = model(input_ids=ids, labels=torch.randint(0, 3, (2, 6)))
        out.loss.backward()
        assert torch.isfinite(out.loss)
        assert not torch.equal(out.logits, before)
    assert [m for m in model.modules() if type(m) is torch.nn.Dropout] == originals
    assert all(m.training for m in originals)  # the mode set inside carries back
    assert model.config._attn_implementation == "sdpa"


def test_network_is_given_back_after_an_error():
    model = _tiny_bert()
    with pytest.raises(RuntimeError), fast_dropout(model):
        raise RuntimeError("boom")
    assert not any(isinstance(m, CpuDropout) for m in model.modules())
    assert model.config._attn_implementation == "sdpa"


def test_fit_gives_back_the_network_as_it_was(trained_tiny):
    network = trained_tiny.network
    assert not any(isinstance(m, CpuDropout) for m in network.modules())
    assert any(type(m) is torch.nn.Dropout for m in network.modules())
    assert network.config._attn_implementation == "sdpa"
