"""nerkit.inference.predict: tags for pre-split sentences, in input order, with the tiny model."""

import importlib
import random

import numpy as np
import pytest
import torch

import nerkit
from nerkit.errors import ConfigError, DataError, ModelError
from nerkit.inference.predict import predict_in_pieces

# The module, not the function nerkit.inference re-exports under the same name.
predict_module = importlib.import_module("nerkit.inference.predict")


def test_results_come_back_in_input_order(trained_tiny, tiny_data):
    batched = nerkit.predict(trained_tiny, tiny_data, batch_size=3).tags
    single = [nerkit.predict(trained_tiny, [s], batch_size=1).tags[0] for s in tiny_data.sentences]
    assert batched == single
    assert [len(t) for t in batched] == [len(s) for s in tiny_data.sentences]


def test_probabilities_and_scores(trained_tiny, tiny_data):
    # With the CRF (on by default) a word's tag is the best *sequence*'s, not always the
    # word's most probable tag; its score is the classifier's probability of that tag.
    p = nerkit.predict(trained_tiny, tiny_data, probabilities=True)
    index = trained_tiny.label_map.label2id
    for probs, scores, tags in zip(p.probabilities, p.scores, p.tags):
        assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
        assert np.allclose([probs[w, index[t]] for w, t in enumerate(tags)], scores)
    assert p.loss is not None  # gold tags were given


def test_without_crf_each_tag_is_the_most_probable(tiny_model_dir, tiny_data):
    model = nerkit.fit(
        tiny_data, str(tiny_model_dir), crf=False, epochs=3, batch_size=4, lr=5e-3, progress=False, max_len=64
    )
    # Name consistency (on by default) may retag a word on purpose: the argmax is the model's own decoding.
    p = nerkit.predict(model, tiny_data, probabilities=True, consistency=False)
    for probs, scores, tags in zip(p.probabilities, p.scores, p.tags):
        assert np.allclose(probs.max(axis=1), scores)
        assert [model.label_map.tags[i] for i in probs.argmax(axis=1)] == tags


def test_no_loss_without_gold(trained_tiny):
    assert nerkit.predict(trained_tiny, [["Obama"]]).loss is None


def test_sentences_longer_than_the_window_get_every_word_tagged(trained_tiny):
    words = ["Obama", "visited", "Paris", "."] * 60  # far longer than max_len 64
    tags = nerkit.predict(trained_tiny, [words]).tags[0]
    assert len(tags) == len(words)
    # the tiny model tags its training words consistently wherever they fall in the sentence
    assert tags[-4:] == tags[:4] and tags[:4][0] == "I-PER"


def test_words_without_pieces_and_empty_sentences(trained_tiny):
    p = nerkit.predict(trained_tiny, [["\u200b", "Obama"], []])
    assert p.tags[0][0] == "O" and len(p.tags[0]) == 2 and p.tags[1] == []


def test_no_sentences_give_no_tags(trained_tiny):
    p = nerkit.predict(trained_tiny, [], probabilities=True)
    assert p.tags == [] and p.scores == [] and p.probabilities == [] and p.loss is None


def test_lone_surrogates_are_tagged_like_replacement_characters(trained_tiny):
    # A lone surrogate is a legal str (and legal JSON) but the Rust tokenizer rejects it.
    odd = nerkit.predict(trained_tiny, [["\ud800Obama", "visited", "Paris\udfff"]], probabilities=True)
    plain = nerkit.predict(trained_tiny, [["\ufffdObama", "visited", "Paris\ufffd"]], probabilities=True)
    assert odd.tags == plain.tags and len(odd.tags[0]) == 3
    assert np.allclose(odd.probabilities[0], plain.probabilities[0])


# ------------------------------------------------ the fast paths (from the old tests/test_speed_paths.py)
# No test here times anything; benchmarks/speed.py measures speed side by side.


def test_prediction_tokenizes_once_and_runs_in_inference_mode(trained_tiny, tiny_data, monkeypatch):
    calls, modes = [], []
    tokenizer = trained_tiny.tokenizer
    original = type(tokenizer).__call__

    def counting(self, *args, **kwargs):
        calls.append([len(sequence) for sequence in args[0]] if args else None)
        return original(self, *args, **kwargs)

    hook = trained_tiny.network.register_forward_pre_hook(
        lambda module, args: modes.append(torch.is_inference_mode_enabled())
    )
    monkeypatch.setattr(type(tokenizer), "__call__", counting)
    try:
        tags = nerkit.predict(trained_tiny, tiny_data.sentences * 5, batch_size=4).tags
    finally:
        hook.remove()
    # One batched call for all sentences, with each distinct word once (a word's pieces do not
    # depend on its neighbours, and the call is a tenth as long as one with every sentence).
    assert len(calls) == 1 and sum(calls[0]) == len({w for s in tiny_data.sentences for w in s})
    assert len(modes) == 10 and all(modes)  # 40 sentences in batches of 4, all under inference_mode
    assert tags == nerkit.predict(trained_tiny, tiny_data.sentences).tags * 5


def test_results_in_input_order_whatever_the_lengths(trained_tiny, tiny_data):
    # Shuffle sentences of different lengths (some repeated to many times their length):
    # sorting by length inside predict must not leak into the output order.
    rng = random.Random(5)
    sentences = [s * rng.choice([1, 3, 9]) for s in tiny_data.sentences * 3]
    rng.shuffle(sentences)
    together = nerkit.predict(trained_tiny, sentences, batch_size=5).tags
    alone = [nerkit.predict(trained_tiny, [s]).tags[0] for s in sentences]
    assert together == alone


def test_in_pieces_gives_predicts_tags_for_ordinary_input(trained_tiny, tiny_data):
    sentences = [*tiny_data.sentences, []]
    whole = nerkit.predict(trained_tiny, sentences, precision="fp32")
    pieces = predict_in_pieces(trained_tiny, sentences, precision="fp32")
    assert pieces.tags == whole.tags
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(pieces.scores, whole.scores))


def test_in_pieces_bounds_each_call_and_cuts_long_sentences(trained_tiny, tiny_data, monkeypatch):
    calls = []
    real = predict_module.predict

    def counting(model, sentences, **options):
        calls.append([len(s) for s in sentences])
        return real(model, sentences, **options)

    monkeypatch.setattr(predict_module, "predict", counting)
    monkeypatch.setattr(predict_module, "PIECE_WORDS", 12)
    monkeypatch.setattr(predict_module, "MAX_SENTENCE_WORDS", 4)
    long = [w for s in tiny_data.sentences for w in s]  # one sentence of every word
    sentences = [tiny_data.sentences[0], long, tiny_data.sentences[1]]
    got = predict_in_pieces(trained_tiny, sentences, precision="fp32")
    assert all(sum(c) <= 12 for c in calls) and max(n for c in calls for n in c) <= 4
    assert [len(t) for t in got.tags] == [len(s) for s in sentences]
    # Each part is tagged as a sentence of its own: the long one is its 4-word parts' tags, in order.
    parts = [long[a : a + 4] for a in range(0, len(long), 4)]
    expected = real(trained_tiny, parts, precision="fp32").tags
    assert got.tags[1] == [t for part in expected for t in part]
    first = real(trained_tiny, [sentences[0][:4], sentences[0][4:]], precision="fp32").tags
    assert got.tags[0] == first[0] + first[1]


@pytest.mark.parametrize(
    "data, match",
    [
        (["Paris is lovely"], r"sentence 0 is a str, not a list of words.*Tagger"),  # was tagged letter by letter
        ("Paris is lovely", r"got a str.*\[\['Paris', 'is', 'lovely'\]\]"),
        (None, "got a NoneType"),
        ([None], "sentence 0 is a NoneType"),
        ([["Paris"], ["a", 2]], "sentence 1 word 1 is a int, not a str"),
        ([[None]], "sentence 0 word 0 is a NoneType"),
        ([[["Paris"]]], "sentence 0 word 0 is a list"),
    ],
)
def test_data_that_is_not_sentences_of_words_is_one_clear_error(trained_tiny, data, match):
    with pytest.raises(DataError, match=match):
        nerkit.predict(trained_tiny, data)
    assert nerkit.predict(trained_tiny, (w for w in [("Paris", ".")])).tags[0][0] == "I-LOC"  # any iterables do


def test_a_model_or_options_of_the_wrong_kind_are_refused(trained_tiny, tiny_data, tmp_path):
    with pytest.raises(ModelError, match="predict.. needs a NerModel, got a NoneType; load one with"):
        nerkit.predict(None, [["Paris"]])
    with pytest.raises(ModelError, match=r"got a str; load it first: nerkit.load_model\('runs/m'\)"):
        nerkit.predict("runs/m", [["Paris"]])
    with pytest.raises(ModelError, match="needs a NerModel"):
        nerkit.evaluate(None, tiny_data)
    with pytest.raises(ConfigError, match=r"options= takes an InferenceOptions, got a dict"):
        nerkit.predict(trained_tiny, [["Paris"]], options={"stride": 8})
    with pytest.raises(ConfigError, match="max_tokens must be a whole number"):
        nerkit.predict(trained_tiny, [["Paris"]], max_tokens=True)
