"""Tests for nerkit.modeling.model: a NerModel saved, loaded again, and kept from overwriting."""

import json

import pytest
import torch
from transformers import AutoModelForTokenClassification

import nerkit
from nerkit.errors import ConfigError, ModelError
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


def test_save_never_replaces_a_file_or_a_folder_of_other_files(trained_tiny, tmp_path):
    # Saving replaces the whole folder: a data file or a folder of the user's files there must be
    # refused with one line, and left as it was (it used to be moved aside and deleted).
    data = tmp_path / "train.conll"
    data.write_text("Paris I-LOC\n")
    with pytest.raises(ConfigError, match="is a file; give a folder"):
        trained_tiny.save(data)
    assert data.read_text() == "Paris I-LOC\n"
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("keep me")
    with pytest.raises(ConfigError, match=r"holds other files \(todo.txt\).*choose a new or empty folder"):
        trained_tiny.save(folder, overwrite=True)
    assert (folder / "todo.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "train.conll"]  # no temporaries left
    with pytest.raises(ConfigError, match="takes a folder path"):
        trained_tiny.save(None)
    (tmp_path / "empty").mkdir()
    assert load_model(trained_tiny.save(tmp_path / "empty")).label_map == trained_tiny.label_map
