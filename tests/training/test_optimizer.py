"""The optimizer's groups, and Update: torch's clip and fused AdamW step, with less around them."""

import copy

import pytest
import torch
from transformers import BertConfig, BertForTokenClassification

from nerkit.errors import ConfigError
from nerkit.modeling.store import build
from nerkit.training.clipping import clip_divisor, clip_gradients
from nerkit.training.config import TrainConfig
from nerkit.training.optimizer import CRF_LR_FACTOR, Update, build_optimizer


def test_layer_decay_gives_each_layer_a_fraction_of_the_rate_above_it(tiny_model_dir):
    network = build(str(tiny_model_dir), labels=["O", "I-PER"], crf=True).network  # 2 layers
    rate = {}
    for group in build_optimizer(network, TrainConfig(lr=1e-3, layer_decay=0.5)).param_groups:
        for p in group["params"]:
            rate[id(p)] = group["lr"]
    by_name = {name: rate[id(p)] for name, p in network.named_parameters()}
    assert by_name["encoder.classifier.weight"] == pytest.approx(1e-3)
    assert by_name["encoder.bert.encoder.layer.1.output.dense.weight"] == pytest.approx(5e-4)
    assert by_name["encoder.bert.encoder.layer.0.attention.self.query.bias"] == pytest.approx(2.5e-4)
    assert by_name["encoder.bert.embeddings.word_embeddings.weight"] == pytest.approx(1.25e-4)
    assert by_name["crf.transitions"] == pytest.approx(1e-3 * CRF_LR_FACTOR)
    alike = build_optimizer(network, TrainConfig(lr=1e-3, layer_decay=1.0)).param_groups
    assert len(alike) == 3 and {g["lr"] for g in alike[:2]} == {1e-3}  # decay, no decay, CRF
    with pytest.raises(ConfigError, match="layer_decay"):
        TrainConfig(layer_decay=0)


def _bert(seed=0):
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16, num_labels=3)  # fmt: skip
    return BertForTokenClassification(config).eval()  # no dropout: both runs see the same gradients


def _groups(model, fused=True):
    """Layer-decay-like groups: a rate and a weight decay per layer and kind."""
    groups = {}
    for name, p in model.named_parameters():
        depth = 0 if "embeddings" in name else 1 + sum(f".layer.{i}." in name for i in range(2)) * (
            1 + int(".layer.1." in name))  # fmt: skip
        groups.setdefault((p.ndim < 2, depth), []).append(p)
    listed = [
        {"params": ps, "lr": 1e-2 * 0.5**d, "weight_decay": 0.0 if nd else 0.01} for (nd, d), ps in groups.items()
    ]
    return torch.optim.AdamW(listed, lr=1e-2, fused=fused, foreach=None if fused else True)


def _backward(model, step, scale):
    g = torch.Generator().manual_seed(step)
    ids = torch.randint(0, 50, (3, 7), generator=g)
    (model(input_ids=ids, labels=torch.randint(0, 3, (3, 7), generator=g)).loss * scale).backward()


def _torch_steps(model, optimizer, steps, max_norm, scale):
    for step in range(steps):
        _backward(model, step, scale)
        if max_norm:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)


@pytest.mark.parametrize("max_norm, scale", [(1.0, 1.0), (1e-3, 1.0), (0.0, 1.0), (1.0, 1e-4)])
def test_update_gives_torchs_weights_and_state(max_norm, scale):
    """Clipped hard, around the norm, not at all, and a gradient well under the limit."""
    ours, theirs = _bert(), _bert()
    mine, torchs = _groups(ours), _groups(theirs)
    update = Update(mine, max_norm)
    for step in range(6):
        _backward(ours, step, scale)
        update()
        mine.zero_grad(set_to_none=True)
    _torch_steps(theirs, torchs, 6, max_norm, scale)
    assert update._lists is not None  # the fast path ran (after torch's first step)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
        sa, sb = mine.state[a], torchs.state[b]
        assert float(sa["step"]) == float(sb["step"]) == 6
        torch.testing.assert_close(sa["exp_avg_sq"], sb["exp_avg_sq"], rtol=1e-4, atol=1e-10)
    moved = [float((a - b).detach().abs().max()) for a, b in zip(ours.parameters(), _bert().parameters())]
    assert max(moved) > 1e-3  # the weights did move


def test_a_loaded_state_is_listed_again():
    """A resumed run loads the optimizer's state after its lists were made: the new tensors are used."""
    model, reference = _bert(), _bert()
    optimizer, torchs = _groups(model), _groups(reference)
    update = Update(optimizer, 1.0)
    _torch_steps(reference, torchs, 3, 1.0, 1.0)
    for step in range(3):
        _backward(model, step, 1.0)
        update()
        optimizer.zero_grad(set_to_none=True)
    saved = copy.deepcopy(optimizer.state_dict())
    weights = copy.deepcopy(model.state_dict())
    for step in range(3, 5):  # steps that the load below throws away
        _backward(model, step, 1.0)
        update()
        optimizer.zero_grad(set_to_none=True)
    model.load_state_dict(weights)
    optimizer.load_state_dict(saved)
    for step in range(3, 6):
        _backward(model, step, 1.0)
        update()
        optimizer.zero_grad(set_to_none=True)
    for step in range(3, 6):
        _backward(reference, step, 1.0)
        torch.nn.utils.clip_grad_norm_(reference.parameters(), 1.0)
        torchs.step()
        torchs.zero_grad(set_to_none=True)
    for a, b in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_other_optimizers_and_missing_gradients_take_torchs_path():
    ours, theirs = _bert(), _bert()
    mine, torchs = _groups(ours, fused=False), _groups(theirs, fused=False)
    update = Update(mine, 1.0)
    for step in range(3):
        _backward(ours, step, 1.0)
        update()
        mine.zero_grad(set_to_none=True)
    _torch_steps(theirs, torchs, 3, 1.0, 1.0)
    assert update._lists is None
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)  # the very same calls
    # A parameter without a gradient: torch's step skips it, and so does the update.
    w, v = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.AdamW([w, v], lr=0.1, fused=True)
    update = Update(optimizer, 1.0)
    for _ in range(2):
        w.grad, v.grad = torch.tensor([3.0, 4.0]), torch.tensor([1.0, 1.0])
        update()
    w.grad, v.grad = torch.tensor([3.0, 4.0]), None
    update()
    assert float(optimizer.state[w]["step"]) == 3 and float(optimizer.state[v]["step"]) == 2


def test_clip_gradients_and_the_divisor_agree():
    a, b = _bert(), _bert()
    _backward(a, 0, 1.0)
    _backward(b, 0, 1.0)
    grads = [p.grad for p in a.parameters()]
    divisor = clip_divisor(grads, 0.01)
    total = clip_gradients(list(b.parameters()), 0.01)
    assert float(divisor) == pytest.approx((float(total) + 1e-6) / 0.01, rel=1e-6)  # clip_grad_norm_'s epsilon
    for g, p in zip(grads, b.parameters()):
        torch.testing.assert_close(g / divisor, p.grad, rtol=1e-6, atol=0)
    assert float(clip_divisor(grads, 1e9)) == 1.0
