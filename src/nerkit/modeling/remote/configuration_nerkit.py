"""The configuration of a nerkit model as plain transformers reads it (custom code, ``trust_remote_code=True``).

This file is copied verbatim into every saved model directory, so it imports only
transformers: a user without nerkit loads the model with it.

>>> config = NerkitConfig(encoder_config={"model_type": "bert", "hidden_size": 8, "num_attention_heads": 2},
...                       casing=True, id2label={0: "O", 1: "I-PER"})
>>> config.model_type, config.encoder_config.model_type, config.encoder_config.hidden_size, config.casing
('nerkit', 'bert', 8, True)
>>> NerkitConfig.from_dict(config.to_dict()).encoder_config.hidden_size
8

``model_type`` is ``"nerkit"``, which transformers knows only through this file, so loading
the directory without ``trust_remote_code=True`` fails with transformers' own message
naming that flag, instead of silently giving a model without casing and CRF.
"""

from __future__ import annotations

from transformers import AutoConfig, PretrainedConfig

__all__ = ["NerkitConfig"]


class NerkitConfig(PretrainedConfig):
    """The encoder's own configuration (``encoder_config``) and what nerkit adds around it.

    ``casing``: word shapes are fed as token-type ids; ``use_crf``: a CRF decodes the words;
    ``tags``: the real tags, in id order (a recipe's trailing-piece class follows them in
    ``id2label`` but never tags a word); ``label_scheme``/``output_scheme``: the scheme of
    the classes and the one entities are read in; ``max_len``, ``stride``, ``precision``:
    how nerkit tags (windows of word pieces, their overlap, bf16 where native).
    """

    model_type = "nerkit"
    sub_configs = {"encoder_config": AutoConfig}

    def __init__(
        self,
        encoder_config: dict | PretrainedConfig | None = None,
        casing: bool = False,
        use_crf: bool = False,
        tags: list[str] | None = None,
        label_scheme: str = "IO",
        output_scheme: str = "IO",
        max_len: int = 512,
        stride: int = 32,
        precision: str = "auto",
        context: int = 0,
        consistency: bool = False,
        **kwargs,
    ):
        if isinstance(encoder_config, dict):
            encoder_config = dict(encoder_config)
            encoder_config = AutoConfig.for_model(encoder_config.pop("model_type", "bert"), **encoder_config)
        self.encoder_config = encoder_config
        self.casing = casing
        self.use_crf = use_crf
        self.tags = list(tags) if tags is not None else None
        self.label_scheme = label_scheme
        self.output_scheme = output_scheme
        self.max_len = max_len
        self.stride = stride
        self.precision = precision
        self.context = context
        self.consistency = consistency  # one type per name within a text (False in configs saved before it)
        super().__init__(**kwargs)
        if self.tags is None:
            self.tags = [self.id2label[i] for i in range(self.num_labels)]
