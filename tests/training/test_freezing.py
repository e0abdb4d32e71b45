"""freeze_word_embeddings: the word-piece table stays pretrained, the rest learns, and the network is given back."""

import pytest
import torch

import nerkit
from nerkit.errors import ConfigError
from nerkit.training.config import TrainConfig
from nerkit.training.prepare import prepare_model

from .helpers import OPTIONS


def _fit(tiny_data, tiny_model_dir, frozen):
    model = prepare_model(tiny_data, str(tiny_model_dir), TrainConfig())
    before = {name: p.detach().clone() for name, p in model.network.named_parameters()}
    nerkit.fit(tiny_data, model, **OPTIONS, freeze_word_embeddings=frozen)
    after = dict(model.network.named_parameters())
    return before, after, model


def test_frozen_word_embeddings_stay_and_the_rest_learns(tiny_data, tiny_model_dir):
    before, after, model = _fit(tiny_data, tiny_model_dir, True)
    words = "encoder.bert.embeddings.word_embeddings.weight"
    assert torch.equal(after[words], before[words])
    for name in ("encoder.bert.embeddings.position_embeddings.weight", "encoder.bert.embeddings.token_type_embeddings.weight",
                 "encoder.classifier.weight", "encoder.bert.encoder.layer.0.attention.self.query.weight"):  # fmt: skip
        assert not torch.equal(after[name], before[name]), name
    assert all(p.requires_grad for p in model.network.parameters())  # given back: a later fit trains them
    assert model.train_config["freeze_word_embeddings"] is True  # saved with the model, like every option


def test_frozen_by_default_and_learning_when_asked(tiny_data, tiny_model_dir):
    assert TrainConfig().freeze_word_embeddings is True  # issue 14, rule 10
    before, after, _ = _fit(tiny_data, tiny_model_dir, False)
    words = "encoder.bert.embeddings.word_embeddings.weight"
    assert not torch.equal(after[words], before[words])


def test_the_option_is_a_bool():
    with pytest.raises(ConfigError, match="freeze_word_embeddings must be True or False"):
        TrainConfig(freeze_word_embeddings="yes")
