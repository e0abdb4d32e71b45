"""A nerkit model as plain transformers runs it (custom code, ``trust_remote_code=True``).

This file is copied verbatim into every saved model directory, beside ``crf.py`` (nerkit's
CRF) and ``casing.py`` (its word shapes), so it needs only torch and transformers.

>>> import torch
>>> config = NerkitConfig(encoder_config={"model_type": "bert", "vocab_size": 20, "hidden_size": 8,
...     "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16,
...     "max_position_embeddings": 16, "type_vocab_size": 7, "num_labels": 3},
...     use_crf=True, id2label={0: "O", 1: "I-LOC", 2: "I-PER"})
>>> model = NerkitForTokenClassification(config).eval()
>>> ids = torch.tensor([[2, 5, 6, 3]])
>>> tuple(model(input_ids=ids, token_type_ids=torch.tensor([[0, 2, 1, 0]])).logits.shape)
(1, 4, 3)
>>> [name for name, _ in model.named_children()]
['encoder', 'crf']

The weights are nerkit's network as it trains it (``encoder.*``: the transformers token
classifier, ``crf.*``: the CRF), so its ``state_dict`` is the saved ``model.safetensors``.
The model's answers need nerkit's input: ``token_type_ids`` carry each word piece's word
shape when ``config.casing`` (see ``casing.py``), and the tags of a sentence are its words'
Viterbi path when ``config.use_crf``. The ``token-classification`` pipeline registered
with the model (``pipeline_nerkit.py``) does both; calling the model on a tokenizer's
output alone gives the logits of a model without casing.
"""

from __future__ import annotations

import torch
from transformers import AutoModelForTokenClassification, PreTrainedModel
from transformers.modeling_outputs import TokenClassifierOutput

from .configuration_nerkit import NerkitConfig
from .crf import LinearChainCRF

__all__ = ["NerkitForTokenClassification"]


class NerkitForTokenClassification(PreTrainedModel):
    """The encoder's token classifier (``encoder``) and, if trained with one, the CRF (``crf``)."""

    config_class = NerkitConfig
    base_model_prefix = "encoder"
    main_input_name = "input_ids"

    def __init__(self, config: NerkitConfig):
        super().__init__(config)
        self.encoder = AutoModelForTokenClassification.from_config(config.encoder_config)
        self.crf = LinearChainCRF(config.num_labels) if config.use_crf else None
        self.post_init()

    def _init_weights(self, module):
        # The encoder initialises its own modules; the CRF starts at zeros (its __init__).
        # Every weight is then read from the saved file.
        pass

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **kwargs):
        """The encoder's logits per word piece (and its loss when ``labels`` are given)."""
        out = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, labels=labels, **kwargs
        )
        return TokenClassifierOutput(loss=out.loss, logits=out.logits)

    @torch.no_grad()
    def decode(self, word_scores, counts):
        """Tag ids of words: ``word_scores`` (words x tags, log-probabilities of each word's
        first piece, sentences back to back, ``counts`` words each); Viterbi with the CRF,
        else the best tag of each word."""
        if self.crf is None:
            return word_scores.argmax(axis=1)
        return self.crf.decode_sentences(word_scores, counts)
