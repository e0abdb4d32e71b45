"""Tests for nerkit.encoding.windows: words to word pieces, labels aligned, long sentences in windows."""

import pytest
from transformers import AutoTokenizer

from nerkit.encoding.casing import word_shape
from nerkit.encoding.windows import IGNORE, encode
from nerkit.errors import ConfigError, DataError
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


def test_a_tag_count_unlike_the_word_count_is_refused(tokenizer):
    # With flat arrays a missing or extra tag would silently shift every later label.
    lm = create_label_map(["O", "I-PER"], trailing_tag=None)
    for tags in ([["O"], ["O"]], [["O"], ["O", "O", "O"]]):
        with pytest.raises(DataError, match="sentence 2 has 2 words but .* tags; give one tag per word"):
            encode([["Tim"], ["Tim", "Lee"]], tokenizer, lm, tags)


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
            windows = list(windows)  # Window objects, to number as in the batch
            for w in windows:
                w.sentence = i
            alone += windows
        assert list(together) == alone
        assert any(w.context != (0, 0) for w in together) == bool(context)


TRICKY = [
    ["Café", "naïve", "東京都", "co-op", "U.S.A.", "", "  ", "x" * 1500, "don't", "🙂ok", "\u200b", "a\tb"],
    ["co-op", "Café", "bad\ud800surrogate", "(", "Paris", ")", "Paris"],
]


def _bpe_tokenizer():
    """A tiny byte-level BPE (RoBERTa's kind), trained here: pieces depend on a prefix space."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    from nerkit.encoding.windows import tokenizable

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([" ".join(tokenizable(s)) for s in TRICKY] * 5 + ["Paris is in France ."], vocab_size=300,
                            special_tokens=["<s>", "</s>", "<pad>", "<unk>"])  # fmt: skip
    return PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, cls_token="<s>", sep_token="</s>",
                                   pad_token="<pad>", unk_token="<unk>", add_prefix_space=True)  # fmt: skip


@pytest.mark.parametrize("kind", ["wordpiece", "bpe"])
def test_each_word_gets_the_pieces_it_gets_in_its_sentence(tokenizer, kind):
    # encode() tokenizes each distinct word once; the pieces must be those the tokenizer gives
    # the whole pre-split sentence (with a word cut to MAX_WORD_CHARS and surrogates replaced).
    from nerkit.encoding.windows import tokenizable

    tok = tokenizer if kind == "wordpiece" else _bpe_tokenizer()
    windows, _ = encode(TRICKY, tok, max_len=512)
    for sentence, window in zip(TRICKY, windows):
        whole = tok(tokenizable(sentence), is_split_into_words=True, add_special_tokens=False)
        assert window.input_ids[1:-1] == whole["input_ids"]
        starts = [k for k, w in enumerate(whole.word_ids()) if k == 0 or w != whole.word_ids()[k - 1]]
        assert [k - 1 for k, i in enumerate(window.word_index) if i >= 0] == starts


def test_windows_read_as_a_list_and_back(tokenizer):
    from nerkit.encoding.windows import Windows

    lm = create_label_map(["O", "I-LOC"], trailing_tag=None)
    sentences = [["Paris", "is", "nice"] * 6, ["Berlin"], []]
    tags = [["I-LOC", "O", "O"] * 6, ["I-LOC"], []]
    windows, _ = encode(sentences, tokenizer, lm, tags, max_len=12, stride=2)
    listed = list(windows)
    assert len(listed) == len(windows) > len(sentences) and windows[-1] == listed[-1] and windows[1:3] == listed[1:3]
    assert list(Windows.of(listed)) == listed
    assert windows.labelled().tolist() == [sum(x != IGNORE for x in w.labels) for w in listed]
    assert list(windows + Windows.of(listed[:2])) == listed + listed[:2]
