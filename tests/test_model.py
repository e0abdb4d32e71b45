import pytest
import torch
from transformers import AutoModelForTokenClassification

import nerkit
from nerkit.errors import ModelError
from nerkit.model import build, load_model, resolve_source, embedded_model_dir


def test_build_from_local_dir_sets_labels_and_casing(tiny_model_dir):
    m = build(str(tiny_model_dir), labels=["O", "I-PER", "I-LOC"])
    assert m.network.config.num_labels == 3
    assert m.casing  # the tiny tokenizer lowercases, so word shapes are on by default
    assert m.network.bert.embeddings.token_type_embeddings.num_embeddings == 7
    assert not build(str(tiny_model_dir), labels=["O"], casing=False).casing


def test_save_load_round_trip_gives_identical_predictions(trained_tiny, tiny_data, tmp_path):
    trained_tiny.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert again.label_map == trained_tiny.label_map and again.casing == trained_tiny.casing
    assert again.history == trained_tiny.history
    a = nerkit.predict(trained_tiny, tiny_data, probabilities=True)
    b = nerkit.predict(again, tiny_data, probabilities=True)
    assert a.tags == b.tags
    assert all(torch.allclose(torch.tensor(x), torch.tensor(y)) for x, y in zip(a.probabilities, b.probabilities))


def test_saved_dir_loads_in_plain_transformers(trained_tiny, tmp_path):
    trained_tiny.save(tmp_path / "m")
    plain = AutoModelForTokenClassification.from_pretrained(tmp_path / "m")
    assert plain.config.id2label == trained_tiny.label_map.id2label
    assert (tmp_path / "m" / "model.safetensors").exists()


def test_save_refuses_to_overwrite_without_permission(trained_tiny, tmp_path):
    trained_tiny.save(tmp_path / "m")
    with pytest.raises(ModelError, match="--overwrite"):
        trained_tiny.save(tmp_path / "m")
    trained_tiny.save(tmp_path / "m", overwrite=True)
    assert load_model(tmp_path / "m").label_map == trained_tiny.label_map


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


def test_fit_refuses_a_model_lacking_the_data_labels(trained_tiny):
    data = nerkit.Dataset(sentences=[["Obama"]], labels=[["I-FOO"]])
    with pytest.raises(ModelError, match="lack I-FOO"):
        nerkit.fit(data, trained_tiny, epochs=1, progress=False)
