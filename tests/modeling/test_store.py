"""Tests for nerkit.modeling.store: building a model from pretrained weights, loading a saved one."""

import pytest

from nerkit.errors import ModelError
from nerkit.modeling.store import build, embedded_model_dir, load_model, resolve_source


def test_build_from_local_dir_sets_labels_and_casing(tiny_model_dir):
    m = build(str(tiny_model_dir), labels=["O", "I-PER", "I-LOC"])
    assert m.network.config.num_labels == 3
    assert m.casing  # the tiny tokenizer lowercases, so word shapes are on by default
    assert m.network.encoder.bert.embeddings.token_type_embeddings.num_embeddings == 7
    assert not build(str(tiny_model_dir), labels=["O"], casing=False).casing


def test_missing_model_dir_names_the_fix(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "nope")
    with pytest.raises(ModelError, match="does not exist"):
        resolve_source("./no/such/model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no config.json"):
        load_model(tmp_path / "empty")


def test_presets_and_embedded_resolve():
    assert resolve_source("bert-base-cased") == "bert-base-cased"
    assert resolve_source(None) == str(embedded_model_dir())
    assert (embedded_model_dir() / "config.json").exists()


@pytest.mark.parametrize("directory", [None, 5])
def test_load_model_needs_a_path(directory):
    with pytest.raises(ModelError, match="takes a model folder's path"):
        load_model(directory)
