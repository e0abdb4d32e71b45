"""nerkit.inference.tagger: raw text to entities with the tiny offline model: offsets, batching,
long inputs, schemes."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nerkit
from nerkit.errors import ConfigError, DataError, ModelError
from nerkit.inference.tagger import Tagger
from nerkit.labels import tags_to_spans
from nerkit.text.sentences import sentence_spans
from nerkit.text.words import split_words


@pytest.fixture(scope="module")
def tagger(trained_tiny):
    return Tagger(trained_tiny)


def expected_entities(model, words):
    """(label, text) of each entity predict() finds in pre-split words."""
    tags = nerkit.predict(model, [words]).tags[0]
    return [(label, " ".join(words[a:b])) for label, a, b in tags_to_spans(tags)]


def check_offsets(text, entities):
    for e in entities:
        assert set(e) >= {"text", "label", "start", "end", "score"}
        assert text[e["start"] : e["end"]] == e["text"]
        assert 0 <= e["start"] < e["end"] <= len(text)
        assert 0 <= e["score"] <= 1


def test_a_text_gives_the_entities_of_its_words(tagger, trained_tiny):
    text = "Barack Obama visited Paris."
    entities = tagger(text)
    check_offsets(text, entities)
    words = [w.text for w in split_words(text)]
    assert words == ["Barack", "Obama", "visited", "Paris", "."]
    assert [(e["label"], e["text"]) for e in entities] == expected_entities(trained_tiny, words)
    assert ("PER", "Barack Obama") in [(e["label"], e["text"]) for e in entities]  # the tiny model learned this


def test_offsets_survive_odd_spacing_and_unicode(tagger):
    text = "\u00a0\u00a0🙂 Angela  Merkel\tmet\u200bObama in\n\nBerlin ."
    entities = tagger(text)
    check_offsets(text, entities)
    assert any(e["text"] == "Berlin" for e in entities)


def test_a_list_of_texts_gives_a_list_per_text_in_order(tagger):
    texts = ["Obama visited Paris.", "", "Google opened an office in London.", "   "]
    batched = tagger(texts)
    assert len(batched) == 4
    assert batched == [tagger(t) for t in texts]
    assert batched[1] == [] and batched[3] == []
    assert tagger([]) == []


def test_pre_split_words(tagger, trained_tiny):
    sentences = [["Angela", "Merkel", "met", "Obama", "in", "Berlin", "."], [], ["Paris"]]
    results = tagger(sentences)
    assert len(results) == 3 and results[1] == []
    for words, entities in zip(sentences, results):
        text = " ".join(words)
        check_offsets(text, entities)
        for e in entities:
            assert " ".join(words[e["word_start"] : e["word_end"]]) == e["text"]
        if words:
            assert [(e["label"], e["text"]) for e in entities] == expected_entities(trained_tiny, words)


def test_a_100k_character_document_is_tagged_to_its_end(tagger):
    sentence = "Obama visited Paris. "
    text = sentence * (100_000 // len(sentence) + 1)
    assert len(text) > 100_000
    one = tagger(sentence)
    assert one, "the tiny model finds entities in its training words"
    entities = tagger(text)
    check_offsets(text, entities)
    assert len(entities) == len(one) * text.count(sentence)
    # The last sentence's entities are there, the same as in a text of that sentence alone.
    last = len(text) - len(sentence)
    assert [(e["start"] - last, e["label"]) for e in entities[-len(one) :]] == [(e["start"], e["label"]) for e in one]


@pytest.mark.parametrize("stride", [0, 8, 32])
def test_a_sentence_longer_than_the_window_is_tagged_in_windows(trained_tiny, stride):
    # No sentence-ending punctuation: one sequence of 2,000 words, far over max_len (64 pieces).
    unit = "Obama visited Paris and "
    text = unit * 500
    tagger = Tagger(trained_tiny, stride=stride)
    words = [w.text for w in split_words(text)]
    assert sentence_spans(text, split_words(text)) == [(0, len(words))]
    entities = tagger(text)
    check_offsets(text, entities)
    assert [(e["label"], e["text"]) for e in entities] == expected_entities(trained_tiny, words)
    assert entities[-1]["end"] > len(text) - len(unit)  # an entity in the very last words


def test_tagging_whole_texts_without_sentence_splitting(trained_tiny):
    text = "Obama visited Paris. Merkel met Google staff in Berlin."
    entities = Tagger(trained_tiny, sentences=False)(text)
    check_offsets(text, entities)
    assert [(e["label"], e["text"]) for e in entities] == expected_entities(
        trained_tiny, [w.text for w in split_words(text)]
    )


@pytest.mark.parametrize(
    "tags",
    [
        ["I-PER", "I-PER", "O", "I-LOC", "O"],  # IO
        ["B-PER", "I-PER", "O", "B-LOC", "O"],  # BIO
        ["B-PER", "E-PER", "O", "S-LOC", "O"],  # BIOES
    ],
)
def test_entities_are_assembled_from_any_scheme(trained_tiny, monkeypatch, tags):
    tagger = Tagger(trained_tiny)
    monkeypatch.setattr(
        tagger, "_predict", lambda sentences, around=None, documents=None: ([tags], [[0.5, 0.7, 0.9, 0.8, 0.9]])
    )
    text = "Barack Obama visited Paris."
    assert tagger(text) == [
        {"text": "Barack Obama", "label": "PER", "start": 0, "end": 12, "score": 0.6},
        {"text": "Paris", "label": "LOC", "start": 21, "end": 26, "score": 0.8},
    ]


def test_iob1_and_bioes_keep_adjacent_entities_apart(trained_tiny, monkeypatch):
    tagger = Tagger(trained_tiny)
    text = "Paris London Berlin"
    for tags in (["I-LOC", "B-LOC", "I-LOC"], ["S-LOC", "B-LOC", "E-LOC"]):
        monkeypatch.setattr(tagger, "_predict", lambda s, around=None, documents=None, tags=tags: ([tags], [[1.0] * 3]))
        assert [e["text"] for e in tagger(text)] == ["Paris", "London Berlin"]


# Any Unicode, surrogates and controls included, mixed with words the tiny model tags.
_chars = st.characters(exclude_categories=())
_pieces = st.sampled_from(
    ["Obama", "Paris", "Barack", "Merkel", "Google", ".", " ", "\n", "'s", "U.S.", "-", "\u0301", "\ud800", "\x00"]
)
_texts = st.lists(st.one_of(st.text(_chars, max_size=8), _pieces), max_size=40).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_texts)
def test_any_string_gives_entities_that_slice_the_text(tagger, text):
    entities = tagger(text)
    check_offsets(text, entities)
    assert [e["start"] for e in entities] == sorted(e["start"] for e in entities)
    assert all(a["end"] <= b["start"] for a, b in zip(entities, entities[1:]))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.text(_chars, min_size=1, max_size=6), max_size=12))
def test_any_pre_split_words_give_entities_that_slice_the_joined_text(tagger, words):
    (entities,) = tagger([words])
    check_offsets(" ".join(words), entities)


def test_bad_input_names_the_problem(tagger, tmp_path):
    with pytest.raises(DataError, match="pass a str"):
        tagger(42)
    with pytest.raises(DataError, match="item 1"):
        tagger(["a text", ["words"]])
    with pytest.raises(DataError, match="sentence 0 word 1"):
        tagger([["Paris", 3]])
    with pytest.raises(ConfigError, match="stride"):
        Tagger(tagger.model, stride=-1)
    with pytest.raises(ConfigError, match="batch_size"):
        Tagger(tagger.model, batch_size=0)
    with pytest.raises(ModelError, match="does not exist"):
        Tagger.load(tmp_path / "no-model")


def test_a_tagger_needs_a_model_and_lists_where_lists_are_due(tagger, tmp_path):
    with pytest.raises(ModelError, match="Tagger needs a NerModel, got a NoneType"):
        Tagger(None)
    with pytest.raises(ModelError, match=r"load it first: nerkit.load_model\('runs/m'\)"):
        Tagger("runs/m")
    with pytest.raises(ConfigError, match="options= takes an InferenceOptions"):
        Tagger(tagger.model, options={"stride": 8})
    # A str where a list is due was tagged one character at a time (five texts, or words, for "Paris").
    with pytest.raises(DataError, match=r"tag_texts\(\) takes a list of texts, got a str; .*tag_texts\(\[text\]\)"):
        tagger.tag_texts("Paris")
    with pytest.raises(DataError, match="sentence 0 is a str, not a list of words"):
        tagger.tag_words(["Paris", "is"])
    with pytest.raises(DataError, match="got a NoneType"):
        tagger.tag_words(None)
    assert tagger.tag_texts(["Paris"]) == [tagger("Paris")]


def test_load_and_labels(trained_tiny, tmp_path):
    trained_tiny.save(tmp_path / "m")
    loaded = Tagger.load(tmp_path / "m", batch_size=8)
    assert loaded.labels == ["LOC", "MISC", "ORG", "PER"]
    text = "Merkel spoke to Google staff."
    assert loaded(text) == Tagger(trained_tiny)(text)
    assert nerkit.Tagger is Tagger


def test_sentences_must_be_a_bool(trained_tiny):
    # Any truthy value was taken as True.
    with pytest.raises(ConfigError, match="sentences must be True"):
        Tagger(trained_tiny, sentences="no")
