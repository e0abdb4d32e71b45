"""Document-level consistency in prediction: tags in any scheme, rescored words, and where it is applied."""

import importlib

import numpy as np
import pytest

import nerkit
from nerkit.data import Dataset
from nerkit.errors import ConfigError
from nerkit.inference.consistency import consistent_prediction, consistent_tags
from nerkit.modeling.options import InferenceOptions

predict_module = importlib.import_module("nerkit.inference.predict")

S = [["Ada", "Lovelace", "wrote", "."], ["Ada", "Lovelace", "died", "."]]


def test_tags_in_bio_and_bioes_are_written_in_their_scheme():
    bio = [["B-PER", "I-PER", "O", "O"], ["O", "O", "O", "O"]]
    assert consistent_tags(S, bio, [0, 0], "BIO")[1] == ["B-PER", "I-PER", "O", "O"]
    bioes = [["B-PER", "E-PER", "O", "O"], ["O", "O", "O", "O"]]
    assert consistent_tags(S, bioes, [0, 0], "BIOES")[1] == ["B-PER", "E-PER", "O", "O"]


def test_no_documents_no_change():
    tags = [["I-PER", "I-PER", "O", "O"], ["O", "O", "O", "O"]]
    assert consistent_tags(S, tags, None) == tags


def test_a_changed_word_is_scored_with_the_models_probability_of_its_new_tag():
    names = ["O", "I-PER", "I-LOC"]
    tags = [["I-PER", "I-PER", "O", "O"], ["O", "O", "O", "O"]]
    scores = [[0.9, 0.8, 0.99, 0.99], [0.6, 0.7, 0.95, 0.98]]
    probs = [
        np.full((4, 3), 1 / 3),
        np.array([[0.6, 0.3, 0.1], [0.7, 0.2, 0.1], [0.95, 0.03, 0.02], [0.98, 0.01, 0.01]]),
    ]
    fixed, rescored = consistent_prediction(S, tags, scores, probs, [0, 0], names, "IO")
    assert fixed[1] == ["I-PER", "I-PER", "O", "O"]
    assert rescored[1] == pytest.approx([0.3, 0.2, 0.95, 0.98])  # P(I-PER) where the tag changed
    assert rescored[0] == scores[0]


def _fixed_model_output(monkeypatch, model, tags_by_sentence):
    """Make the network's decoding return ``tags_by_sentence`` (probability 0.6 for each chosen tag)."""
    names = model.label_map.tags

    def assemble(_model, _scores, counts):
        tags = [list(tags_by_sentence[i]) for i in range(len(counts))]
        every = []
        for t in tags:
            rows = np.full((len(t), len(names)), 0.4 / (len(names) - 1), dtype=np.float32)
            for w, tag in enumerate(t):
                rows[w, names.index(tag)] = 0.6
            every.append(rows)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        return tags, [[0.6] * len(t) for t in tags], np.concatenate(every), offsets

    monkeypatch.setattr(predict_module, "_assemble", assemble)


def test_predict_makes_a_datasets_documents_consistent(monkeypatch, trained_tiny):
    per = next(t for t in trained_tiny.label_map.tags if t != "O")
    data = Dataset([list(s) for s in S] * 2, None, doc_ids=[0, 0, 1, 1])
    model_says = [[per, per, "O", "O"], ["O"] * 4, ["O"] * 4, ["O"] * 4]
    _fixed_model_output(monkeypatch, trained_tiny, model_says)
    p = nerkit.predict(trained_tiny, data)
    assert p.tags[1] == [per, per, "O", "O"]  # same document as the tagged name
    assert p.tags[2:] == [["O"] * 4, ["O"] * 4]  # another document
    other = 0.4 / (len(trained_tiny.label_map.tags) - 1)  # what the model gave the new tag there
    assert p.scores[1] == pytest.approx([other, other, 0.6, 0.6])
    off = nerkit.predict(trained_tiny, data, consistency=False)
    assert off.tags == model_says
    plain = nerkit.predict(trained_tiny, data.sentences)  # a list of sentences: no documents known
    assert plain.tags == model_says
    given = nerkit.predict(trained_tiny, data.sentences, documents=[5, 5, 6, 6])
    assert given.tags == p.tags


@pytest.mark.parametrize("consistency", [True, False])
def test_documents_must_match_the_sentences(trained_tiny, consistency):
    with pytest.raises(ConfigError, match="2 sentences but 3 document ids"):
        nerkit.predict(trained_tiny, S, documents=[0, 0, 1], consistency=consistency)
    with pytest.raises(ConfigError, match="2 sentences but 1 document ids"):
        predict_module.predict_in_pieces(trained_tiny, S, documents=[0], consistency=consistency)


def test_the_option_is_a_bool():
    with pytest.raises(ConfigError, match="consistency must be True or False"):
        InferenceOptions(consistency="yes")
    assert InferenceOptions().consistency is True
    assert InferenceOptions.from_dict({"context": 0}).consistency is True  # models saved before it get it too
