"""Tests for nerkit.encoding.windows: words to word pieces, labels aligned, long sentences in windows."""

import pytest
from transformers import AutoTokenizer

from nerkit.encoding.casing import word_shape
from nerkit.encoding.windows import IGNORE, encode
from nerkit.errors import ConfigError
from nerkit.labels import create_label_map


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return AutoTokenizer.from_pretrained(tiny_model_dir)


def test_first_pieces_carry_labels_and_trailing_pieces_are_ignored(tokenizer):
    lm = create_label_map(["O", "I-PER"], trailing_tag=None)
    windows, report = encode([["Obama", "xyz"]], tokenizer, lm, [["I-PER", "O"]], max_len=32)
    (w,) = windows
    pieces = tokenizer.convert_ids_to_tokens(w.input_ids)
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    assert pieces[1] == "obama" and pieces[2:5] == ["x", "##y", "##z"]
    assert w.word_index == [-1, 0, 1, -1, -1, -1]
    assert w.labels == [IGNORE, 1, 0, IGNORE, IGNORE, IGNORE]
    assert not report.dropped_anything


def test_recipe_mode_tags_trailing_pieces_x(tokenizer):
    lm = create_label_map(["O", "I-PER"], trailing_tag="X")
    windows, _ = encode([["xyz"]], tokenizer, lm, [["I-PER"]], max_len=32)
    x = lm.label2id["X"]
    assert windows[0].labels == [IGNORE, 1, x, x, IGNORE]


def _long_sentence(n):
    words = [["Obama", "visited", "Paris", "xyz"][i % 4] for i in range(n)]
    tags = [["I-PER", "O", "I-LOC", "O"][i % 4] for i in range(n)]
    return words, tags


def test_long_sentences_are_windowed_and_every_word_owned_once(tokenizer):
    lm = create_label_map(["O", "I-PER", "I-LOC"], trailing_tag=None)
    words, tags = _long_sentence(50)  # ~100 pieces, far over max_len 16
    windows, report = encode([words], tokenizer, lm, [tags], max_len=16, stride=4)
    assert len(windows) > 5 and report.windows == 1 and not report.dropped_anything
    owned = [i for w in windows for i in w.word_index if i >= 0]
    assert sorted(owned) == list(range(50))
    for w in windows:
        assert len(w.input_ids) <= 16
        for i, lab in zip(w.word_index, w.labels):
            if i >= 0:
                assert lab == lm.label2id[tags[i]]


def test_truncation_is_counted_and_warned(tokenizer):
    lm = create_label_map(["O", "I-PER", "I-LOC"], trailing_tag=None)
    words, tags = _long_sentence(40)
    with pytest.warns(UserWarning, match=r"dropped \d+ words and \d+ entities"):
        windows, report = encode([words, ["Paris"]], tokenizer, lm, [tags, ["I-LOC"]], max_len=16, stride=None)
    assert len(windows) == 2
    kept = sum(1 for i in windows[0].word_index if i >= 0)
    assert report.words == 40 - kept and report.sentences == 1
    # entities are single words here: every dropped PER/LOC word is a dropped entity
    assert report.entities == sum(1 for t in tags[kept:] if t != "O")


def test_max_len_below_8_is_refused(tokenizer):
    with pytest.raises(ConfigError, match="max_len must be at least 8"):
        encode([["a"]], tokenizer, max_len=4)


def test_casing_puts_shapes_in_type_ids(tokenizer):
    windows, _ = encode([["Paris", "xyz"]], tokenizer, max_len=32, casing=True)
    assert windows[0].type_ids == [0, word_shape("Paris", True), 1, 1, 1, 0]


@pytest.mark.parametrize("max_len", [32, 10])
def test_a_batch_is_encoded_as_each_sentence_alone(tokenizer, max_len):
    # All sentences' pieces are worked out together (one array each, with offsets); each
    # sentence's windows must still be exactly those it gets on its own, whatever its neighbours.
    from nerkit.encoding.context import surrounding

    sentences = [
        ["Obama", "visited", "Paris", "."],
        [],
        ["GOOGLE", "xyz", "Berlin", "iPhone", "1997", "The", "city", "long", "sentence", "word", "Merkel"],
        ["The", "Olympics"],
        ["x" * 40, "London"],
    ]
    tags = [["I-PER", "O", "I-LOC", "O"], [], ["I-ORG", "O", "I-LOC", "O", "O", "O", "O", "O", "O", "O", "I-PER"],
            ["O", "I-MISC"], ["O", "I-LOC"]]  # fmt: skip
    lm = create_label_map(["O", "I-PER", "I-LOC", "I-ORG", "I-MISC"], trailing_tag="X")
    docs = [0, 0, 0, 1, 1]
    for context in (0, 3):
        around = surrounding(sentences, docs, context, None) if context else None
        options = dict(max_len=max_len, casing=True, context=context, warn=False)
        together, _ = encode(sentences, tokenizer, lm, tags, surroundings=around, **options)
        alone = []
        for i in range(len(sentences)):
            windows, _ = encode(
                [sentences[i]], tokenizer, lm, [tags[i]], surroundings=around and [around[i]], **options
            )
            for w in windows:
                w.sentence = i
            alone += windows
        assert together == alone
        assert any(w.context != (0, 0) for w in together) == bool(context)
