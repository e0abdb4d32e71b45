"""Tests for nerkit.encoding.context and document context in encode(): neighbours' pieces, unlabelled."""

import pytest
from transformers import AutoTokenizer

from nerkit.encoding.context import check_context, check_context_dropout, surrounding
from nerkit.encoding.windows import IGNORE, encode
from nerkit.errors import ConfigError
from nerkit.labels import create_label_map

SENTENCES = [["Obama", "visited", "Paris", "."], ["Merkel", "met", "Obama", "."], ["London", "is", "a", "city", "."]]
TAGS = [["I-PER", "O", "I-LOC", "O"], ["I-PER", "O", "I-PER", "O"], ["I-LOC", "O", "O", "O", "O"]]


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="module")
def label_map():
    return create_label_map(["O", "I-PER", "I-LOC"], trailing_tag=None)


def test_surrounding_takes_words_across_sentences_of_one_document_only():
    sentences = [["a", "b"], ["c"], ["d", "e", "f"], ["g"]]
    around = surrounding(sentences, documents=["x", "x", "x", "y"], words=2)
    assert around[0] == ([], ["c", "d"])
    assert around[1] == (["a", "b"], ["d", "e"])
    assert around[2] == (["b", "c"], [])  # the document ends; "g" is another one
    assert around[3] == ([], [])


def test_positions_order_a_documents_sentences():
    # A random split lists a document's sentences out of order; positions put them back.
    sentences = [["third"], ["first"], ["second"]]
    around = surrounding(sentences, documents=[0, 0, 0], words=1, positions=[2, 0, 1])
    assert around == [(["second"], []), ([], ["second"]), (["first"], ["third"])]


def test_no_context_and_bad_values():
    assert surrounding([["a"], ["b"]], [0, 0], words=0) == [([], []), ([], [])]
    with pytest.raises(ConfigError, match="one per sentence"):
        surrounding([["a"], ["b"]], [0], words=2)
    for bad in (-1, 1.5, True, "8"):
        with pytest.raises(ConfigError, match="--context"):
            check_context(bad)
    for bad in (-0.1, 1.5, "x"):
        with pytest.raises(ConfigError, match="context_dropout"):
            check_context_dropout(bad)
    assert check_context(0) == 0 and check_context_dropout(1) == 1.0


def _pieces(tokenizer, words):
    return tokenizer(words, is_split_into_words=True, add_special_tokens=False)["input_ids"]


def test_context_pieces_surround_the_sentence_unlabelled(tokenizer, label_map):
    around = surrounding(SENTENCES, [0, 0, 0], words=50)
    plain, _ = encode(SENTENCES, tokenizer, label_map, TAGS, max_len=64)
    windows, _ = encode(SENTENCES, tokenizer, label_map, TAGS, max_len=64, context=50, surroundings=around)
    middle = windows[1]
    before, after = middle.context
    assert before == len(_pieces(tokenizer, SENTENCES[0])) and after == len(_pieces(tokenizer, SENTENCES[2]))
    n = len(middle.input_ids)
    assert middle.input_ids[1 : 1 + before] == _pieces(tokenizer, SENTENCES[0])
    assert middle.input_ids[n - 1 - after : n - 1] == _pieces(tokenizer, SENTENCES[2])
    # Only the sentence's own words are labelled and indexed: context is read, never tagged or scored.
    for k in [*range(1, 1 + before), *range(n - 1 - after, n - 1)]:
        assert middle.word_index[k] == -1 and middle.labels[k] == IGNORE
    assert [i for i in middle.word_index if i >= 0] == [0, 1, 2, 3]
    # Without its context, each window is exactly the window encoded without any.
    assert [w.alone() for w in windows] == list(plain)
    assert list(windows.alone(range(len(windows)))) == list(plain)  # all at once, as training drops context


def test_context_is_cut_to_whole_words_and_to_the_room_in_the_window(tokenizer, label_map):
    sentences = [["xyz", "Paris"], ["Obama"], ["xyz", "Berlin"]]  # "xyz" is three pieces in the tiny vocabulary
    around = surrounding(sentences, [0, 0, 0], words=5)
    windows, _ = encode(sentences, tokenizer, max_len=32, context=2, surroundings=around)
    ids = windows[1].input_ids
    assert windows[1].context == (1, 0)  # "Paris" before; "xyz" after would be cut inside the word
    assert ids[1:2] == _pieces(tokenizer, ["Paris"])
    roomy, _ = encode(sentences, tokenizer, max_len=32, context=8, surroundings=around)
    assert roomy[1].context == (4, 4)
    # A window of 8 has room for the sentence's one piece and (8 - 2 - 1) // 2 = 2 on each side.
    tight, _ = encode(sentences, tokenizer, max_len=8, context=8, surroundings=around)
    assert tight[1].context == (1, 0) and len(tight[1].input_ids) == 4


def test_a_sentence_over_one_window_gets_windows_without_context(tokenizer, label_map):
    long = [["Obama", "visited", "Paris", "xyz"][i % 4] for i in range(40)]
    sentences = [["Paris", "."], long, ["Obama", "."]]
    around = surrounding(sentences, [0, 0, 0], words=8)
    windows, _ = encode(sentences, tokenizer, max_len=16, stride=4, context=8, surroundings=around)
    middle = [w for w in windows if w.sentence == 1]
    assert len(middle) > 1 and all(w.context == (0, 0) for w in middle)
    assert sorted(i for w in middle for i in w.word_index if i >= 0) == list(range(40))
    assert windows[0].context != (0, 0) and windows[-1].context != (0, 0)


def test_casing_shapes_mark_only_the_sentences_first_word_as_initial(tokenizer):
    sentences = [["Paris", "is", "a", "city"], ["Obama", "visited"]]
    around = surrounding(sentences, [0, 0], words=4)
    alone, _ = encode(sentences, tokenizer, casing=True)
    windows, _ = encode(sentences, tokenizer, casing=True, context=8, surroundings=around)
    assert [w.alone() for w in windows] == list(alone)  # the sentence's own shapes do not change
    before = windows[1].context[0]
    assert windows[1].type_ids[1] != alone[0].type_ids[1]  # "Paris" as context is not sentence-initial
    assert windows[1].type_ids[1 + before] == alone[1].type_ids[1]


def test_surroundings_must_match_the_sentences(tokenizer):
    with pytest.raises(ConfigError, match="one per sentence"):
        encode(SENTENCES, tokenizer, context=4, surroundings=[([], [])])
