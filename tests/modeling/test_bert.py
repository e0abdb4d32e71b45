"""Tests for nerkit.modeling.bert: BERT's forward without transformers' machinery, checked against transformers."""

import pytest
import torch
from transformers import BertConfig, BertForTokenClassification, DistilBertConfig, DistilBertForTokenClassification

from nerkit.modeling import bert
from nerkit.modeling.crf import LinearChainCRF
from nerkit.modeling.network import TokenClassifier, enable_casing
from nerkit.training.dropout import fast_dropout


def tiny_bert(seed=0, **overrides) -> BertForTokenClassification:
    options = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
                   max_position_embeddings=64, num_labels=4, pad_token_id=0) | overrides  # fmt: skip
    torch.manual_seed(seed)
    return BertForTokenClassification(BertConfig(**options))


def inputs(batch=3, length=9, seed=1, types=2):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 50, (batch, length), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0  # padding, as length-grouped batches have
    mask[2, 2:] = 0
    ids[mask == 0] = 0
    return ids, mask, torch.randint(0, types, (batch, length), generator=g) * mask


def labels_for(ids, mask, seed=2):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, ids.shape, generator=g)
    return labels.masked_fill(mask == 0, -100)


def transformers_logits(encoder, ids, mask, types):
    return encoder(input_ids=ids, attention_mask=mask, token_type_ids=types).logits


def test_eval_logits_are_transformers_to_the_bit():
    encoder = tiny_bert().eval()
    enable_casing(encoder)  # the casing table nerkit grows is an ordinary token-type table
    ids, mask, types = inputs(types=5)
    with torch.no_grad():
        assert torch.equal(bert.logits(encoder, ids, mask, types), transformers_logits(encoder, ids, mask, types))
        # No token types: zeros, as transformers assumes.
        assert torch.equal(bert.logits(encoder, ids, mask), transformers_logits(encoder, ids, mask, None))


def test_gradients_are_transformers_to_the_bit():
    encoder = tiny_bert().eval()  # no dropout: the gradient is a function of the weights alone
    ids, mask, types = inputs()
    ids[0, 3] = 0  # a padding id inside the text: its embedding row gets no gradient in either
    labels = labels_for(ids, mask)
    grads = []
    for forward in (bert.logits, transformers_logits):
        encoder.zero_grad(set_to_none=True)
        logits = forward(encoder, ids, mask, types)
        torch.nn.functional.cross_entropy(logits.view(-1, 4), labels.view(-1)).backward()
        grads.append({name: p.grad.clone() for name, p in encoder.named_parameters() if p.grad is not None})
    ours, theirs = grads
    assert ours.keys() == theirs.keys() and len(ours) == len(list(encoder.parameters()))
    for name in ours:
        assert torch.equal(ours[name], theirs[name]), name
    assert not ours["bert.embeddings.word_embeddings.weight"][0].any()


def test_training_draws_the_same_dropout_masks_as_transformers_under_nerkits_cpu_dropout():
    encoder = tiny_bert(hidden_dropout_prob=0.3, attention_probs_dropout_prob=0.3).train()
    ids, mask, types = inputs()
    with fast_dropout(encoder):
        torch.manual_seed(5)
        ours = bert.logits(encoder, ids, mask, types)
        torch.manual_seed(5)
        theirs = transformers_logits(encoder, ids, mask, types)
        torch.manual_seed(6)
        other = bert.logits(encoder, ids, mask, types)
    assert torch.equal(ours, theirs)
    assert not torch.equal(ours, other)  # dropout is on: another seed, other masks


def test_bf16_autocast_gives_transformers_logits():
    # Forced bf16 runs everywhere (slowly where the CPU has no bf16): the tiny model keeps it short.
    encoder = tiny_bert().eval()
    ids, mask, types = inputs()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        ours, theirs = bert.logits(encoder, ids, mask, types), transformers_logits(encoder, ids, mask, types)
    assert ours.dtype == theirs.dtype == torch.bfloat16
    assert torch.equal(ours, theirs)


def test_what_it_cannot_reproduce_goes_through_transformers():
    assert bert.supports(tiny_bert())
    assert not bert.supports(tiny_bert(attn_implementation="eager"))  # eager attention: other arithmetic
    assert not bert.supports(tiny_bert(is_decoder=True))
    checkpointed = tiny_bert()
    # transformers 5.2x renamed it; older 5.x have only the first name
    enable = (
        getattr(checkpointed, "activation_checkpointing_enable", None) or checkpointed.gradient_checkpointing_enable
    )
    enable()
    assert not bert.supports(checkpointed)
    distil = DistilBertConfig(vocab_size=50, dim=16, n_layers=1, n_heads=2, hidden_dim=24, num_labels=4)
    assert not bert.supports(DistilBertForTokenClassification(distil))


def test_the_network_takes_this_path_for_bert_and_transformers_otherwise(monkeypatch):
    ids, mask, types = inputs()
    labels = labels_for(ids, mask)
    for crf in (None, LinearChainCRF(4)):
        network = TokenClassifier(tiny_bert(), crf).eval()
        with torch.no_grad():
            own = network.encoder(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels)
            loss = own.loss if crf is None else crf.nll(own.logits, labels)
            # transformers' forward is not called at all for a BERT this module reproduces ...
            monkeypatch.setattr(network.encoder, "forward", lambda *a, **k: pytest.fail("transformers' forward ran"))
            out = network(ids, mask, types, labels=labels)
        assert torch.equal(out.logits, own.logits) and torch.equal(out.loss, loss)
    # ... and is for one it cannot (eager attention), with the same loss as the encoder's own.
    eager = TokenClassifier(tiny_bert(attn_implementation="eager")).eval()
    with torch.no_grad():
        out = eager(ids, mask, types, labels=labels)
        own = eager.encoder(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels)
    assert torch.equal(out.loss, own.loss)
    sdpa = TokenClassifier(tiny_bert()).eval()
    with torch.no_grad():
        lean = sdpa(ids, mask, types, labels=labels)
    assert torch.allclose(lean.logits, out.logits, atol=1e-5)  # eager and SDPA agree to rounding
