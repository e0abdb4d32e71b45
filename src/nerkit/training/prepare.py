"""The model a training run starts from: a fresh one for the data's tags, or a given one checked.

>>> import nerkit
>>> data = nerkit.load("wikigold")
>>> model = prepare_model(data, None, TrainConfig(scheme="BIO"))      # doctest: +SKIP
>>> model.output_scheme, model.label_scheme                         # doctest: +SKIP
('IO', 'BIO')

The tag scheme is decided here and only here: the model learns ``TrainConfig.scheme``
(default: the data's own) and always answers in the data's scheme (predict() converts
back), so users and scores see the data's own tags.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from ..data.dataset import Dataset, unique_labels
from ..errors import ModelError
from ..labels import convert_scheme, create_label_map, detect_scheme
from ..modeling.model import NerModel
from ..modeling.store import build
from .config import TrainConfig, uses_crf

__all__ = ["prepare_model", "in_label_scheme"]


def in_label_scheme(data: Dataset, scheme: str) -> Dataset:
    """``data`` with its tags in ``scheme`` (the same object when they already are)."""
    if detect_scheme(data.labels) == scheme:
        return data
    return replace(data, labels=[convert_scheme(t, scheme) for t in data.labels])


def prepare_model(data: Dataset, model: NerModel | str | None, config: TrainConfig) -> NerModel:
    """A fresh model (``model`` a name, directory or None) whose classes cover ``data``'s tags,
    or ``model`` itself (a NerModel) after checking that it covers them."""
    if isinstance(model, NerModel):
        _check_covers(model, in_label_scheme(data, config.scheme or model.label_scheme))
        return model
    output_scheme = detect_scheme(data.labels)
    label_scheme = config.scheme or output_scheme
    trailing_tag = config.trailing_tag if config.trailing == "tag" else None
    label_map = create_label_map(unique_labels(in_label_scheme(data, label_scheme)), trailing_tag=trailing_tag)
    return build(
        model,
        label_map=label_map,
        casing=config.casing,
        max_len=config.max_len,
        device=config.device,
        crf=uses_crf(config),
        output_scheme=output_scheme,
        label_scheme=label_scheme,
    )


def _check_covers(model: NerModel, data: Dataset) -> None:
    if not isinstance(model.network, torch.nn.Module):  # e.g. an ONNX export (nerkit.modeling.onnx)
        raise ModelError(
            "this model only runs inference (an ONNX export); train the PyTorch model it was exported from"
        )
    missing = sorted(set(unique_labels(data)) - set(model.label_map.tags))
    if missing:
        raise ModelError(
            f"the model's labels ({', '.join(model.label_map.tags)}) lack {', '.join(missing)} found in the data; "
            "train a new model on this data instead"
        )
