"""Tests for nerkit.modeling.model: a NerModel saved, loaded again, and kept from overwriting."""

import json

import pytest
import torch
from transformers import AutoModelForTokenClassification

import nerkit
from nerkit.errors import ModelError
from nerkit.modeling.store import load_model


def test_save_load_round_trip_gives_identical_predictions(trained_tiny, tiny_data, tmp_path):
    trained_tiny.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert again.label_map == trained_tiny.label_map and again.casing == trained_tiny.casing
    assert again.history == trained_tiny.history
    a = nerkit.predict(trained_tiny, tiny_data, probabilities=True)
    b = nerkit.predict(again, tiny_data, probabilities=True)
    assert a.tags == b.tags
    assert all(torch.allclose(torch.tensor(x), torch.tensor(y)) for x, y in zip(a.probabilities, b.probabilities))


def test_saved_dir_loads_in_plain_transformers_only_with_its_custom_code(trained_tiny, tmp_path):
    # Without the custom code the casing features and the CRF would be dropped silently (issue 12),
    # so plain loading must refuse, naming the flag; tests/modeling/test_portable.py loads it with the flag.
    trained_tiny.save(tmp_path / "m")
    with pytest.raises(ValueError, match="trust_remote_code=True"):
        AutoModelForTokenClassification.from_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert {int(k): v for k, v in config["id2label"].items()} == trained_tiny.label_map.id2label
    assert (tmp_path / "m" / "model.safetensors").exists()


def test_save_refuses_to_overwrite_without_permission(trained_tiny, tmp_path):
    trained_tiny.save(tmp_path / "m")
    with pytest.raises(ModelError, match="--overwrite"):
        trained_tiny.save(tmp_path / "m")
    trained_tiny.save(tmp_path / "m", overwrite=True)
    assert load_model(tmp_path / "m").label_map == trained_tiny.label_map
