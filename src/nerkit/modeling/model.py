"""A trained tagger: its network, tokenizer, tags and settings, and how it is saved.

>>> import nerkit
>>> model = nerkit.load_model("runs/wikigold")                # doctest: +SKIP
>>> model.label_map.tags, model.output_scheme, model.inference.stride   # doctest: +SKIP
(('O', 'I-LOC', 'I-MISC', 'I-ORG', 'I-PER'), 'IO', 32)
>>> model.save("runs/copy")                                     # doctest: +SKIP

A saved directory (format 2) is a transformers model with its own custom code
(:mod:`nerkit.modeling.portable`: ``config.json`` of ``model_type`` ``"nerkit"``,
``model.safetensors`` with the whole network, the code that runs it, the tokenizer), a
model card (``README.md``, :mod:`nerkit.modeling.card`), the held-out evaluation when
there was one (``test_report.json``), and ``nerkit.json`` with what nerkit reads: the label
map, the window length, casing, the tag schemes, the CRF's few numbers, the training
history and options, and the inference options. Every field saved there is marked
``saved`` below, so writing and reading the file cannot drift apart; a field missing from
an older file takes its default. Format 1 (a plain transformers ``config.json``) still loads.

>>> sorted(SAVED)
['casing', 'history', 'inference', 'label_scheme', 'max_len', 'output_scheme', 'train_config']
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

from ..errors import ConfigError, ModelError
from ..labels import LabelMap
from ..outputs import check_output_dir, done_with, temp_dir, temp_path
from .card import REPORT_FILE, write_card
from .options import InferenceOptions
from .portable import write_portable

__all__ = ["NerModel", "META_FILE", "FORMAT_VERSION", "read_meta", "holds_model", "check_save_target", "check_model"]

FORMAT_VERSION = 2  # 2: config.json of model_type nerkit with custom code (modeling/portable.py)
META_FILE = "nerkit.json"


def _saved(key: str | None = None, read=None) -> dict:
    """Field metadata: this field is written to nerkit.json under ``key`` (default: its name)
    and turned back into its type by ``read`` (default: as it is)."""
    return {"saved": True, "key": key, "read": read}


def _key(f) -> str:
    return f.metadata["key"] or f.name


@dataclass
class NerModel:
    """A token classifier with what nerkit needs to use it well.

    ``network`` is a :class:`~nerkit.modeling.network.TokenClassifier` (PyTorch) or an
    :class:`~nerkit.modeling.onnx.OnnxNetwork`; both answer ``network(input_ids=...,
    attention_mask=..., token_type_ids=...).logits`` and carry their CRF as ``.crf``.
    """

    network: Any
    tokenizer: Any
    label_map: LabelMap
    max_len: int = field(default=512, metadata=_saved(read=int))  # word pieces per window
    casing: bool = field(default=False, metadata=_saved(read=bool))  # word shapes fed as token types
    # The data's scheme: what predict() returns and evaluate() scores.
    output_scheme: str = field(default="IO", metadata=_saved("scheme"))
    # The scheme of the model's classes (TrainConfig.scheme); predictions are converted back.
    label_scheme: str | None = field(default=None, metadata=_saved("train_scheme"))
    history: list[dict] = field(default_factory=list, metadata=_saved())
    train_config: dict = field(default_factory=dict, metadata=_saved())
    inference: InferenceOptions = field(
        default_factory=InferenceOptions, metadata=_saved(read=InferenceOptions.from_dict)
    )

    def __post_init__(self) -> None:
        self.label_scheme = self.label_scheme or self.output_scheme

    @property
    def device(self) -> torch.device:
        return self.network.device

    @property
    def crf(self):
        """The CRF output layer, or None."""
        return self.network.crf

    @property
    def pad_id(self) -> int:
        return self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0

    def to(self, device) -> "NerModel":
        self.network.to(device)
        return self

    def meta(self) -> dict:
        """What nerkit.json holds."""
        meta: dict = {"format_version": FORMAT_VERSION, "label_map": self.label_map.to_dict()}
        for f in fields(self):
            if "saved" in f.metadata:
                value = getattr(self, f.name)
                meta[_key(f)] = value.to_dict() if hasattr(value, "to_dict") else value
        # Older readers take a missing train_scheme to mean "the data's scheme".
        meta["train_scheme"] = None if self.label_scheme == self.output_scheme else self.label_scheme
        meta["crf"] = self.crf.to_dict() if self.crf is not None else None
        return meta

    @staticmethod
    def fields_from_meta(meta: dict, max_len: int) -> dict:
        """The saved fields of a NerModel from a nerkit.json (``max_len``: the default window)."""
        values = {"max_len": max_len}
        for f in fields(NerModel):
            if "saved" in f.metadata and meta.get(_key(f)) is not None:
                read = f.metadata["read"] or (lambda value: value)
                values[f.name] = read(meta[_key(f)])
        return values

    def save(self, directory: str | os.PathLike, overwrite: bool = False, evaluation: dict | None = None) -> Path:
        """Write the model to ``directory`` atomically (a temporary folder, then a rename).

        ``evaluation`` (a held-out report, ``Report.to_dict()``) goes to ``test_report.json``
        and into the model card; see :func:`nerkit.modeling.card.write_card` for a card
        the user edited.
        """
        directory = check_save_target(directory, overwrite)
        tmp = temp_dir(directory)  # beside it, so the rename stays on one file system; stale ones removed
        try:
            write_portable(tmp, self)
            self.tokenizer.save_pretrained(tmp)
            (tmp / META_FILE).write_text(json.dumps(self.meta(), indent=2) + "\n")
            if evaluation is not None:
                (tmp / REPORT_FILE).write_text(json.dumps(evaluation, indent=2) + "\n")
            write_card(tmp, self, evaluation, previous=directory)
            _replace(directory, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            done_with(tmp)
        return directory


def _replace(directory: Path, new: Path) -> None:
    """Move ``new`` to ``directory``, replacing what is there."""
    if not directory.exists():
        new.rename(directory)
        return
    old = temp_path(directory)  # a killed run's leftover is removed by the next save (nerkit.outputs)
    directory.rename(old)
    new.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    done_with(old)


SAVED = [f.name for f in fields(NerModel) if "saved" in f.metadata]


def check_model(model, where: str) -> "NerModel":
    """``model`` if it is a NerModel; else a ModelError saying how to get one."""
    if isinstance(model, NerModel):
        return model
    if isinstance(model, (str, os.PathLike)):
        hint = f"load it first: nerkit.load_model({os.fspath(model)!r})"
    else:
        hint = "load one with nerkit.load_model('DIR') or train one with nerkit.fit(data)"
    raise ModelError(f"{where} needs a NerModel, got a {type(model).__name__}; {hint}")


def holds_model(directory: Path) -> bool:
    return directory.is_dir() and any((directory / f).exists() for f in (META_FILE, "config.json", "model.safetensors"))


def check_save_target(directory, overwrite: bool = False) -> Path:
    """``directory`` as a folder a model may be saved to: new, empty, or a model (with ``overwrite``).

    Saving replaces the whole folder, so a file or a folder of other files there is refused,
    never thrown away.
    """
    if not isinstance(directory, (str, os.PathLike)):
        raise ConfigError(f"save() takes a folder path (str or Path), got a {type(directory).__name__}")
    directory = check_output_dir(directory)
    if holds_model(directory):
        if not overwrite:
            raise ModelError(
                f"{directory} already holds a model; pass --overwrite (overwrite=True) or choose another --output"
            )
    elif directory.is_dir() and (others := sorted(p.name for p in directory.iterdir())):
        raise ConfigError(
            f"--output {directory} holds other files ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}) "
            "and saving a model replaces the whole folder; choose a new or empty folder"
        )
    return directory


def read_meta(directory: Path) -> dict:
    """The folder's nerkit.json ({} for a plain transformers model)."""
    if not (directory / META_FILE).exists():
        return {}
    meta = json.loads((directory / META_FILE).read_text())
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ModelError(f"{directory} was written by a newer nerkit (format {meta['format_version']}); upgrade nerkit")
    return meta
