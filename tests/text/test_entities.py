"""Tests for nerkit.text.entities: mapping word tags back to entities with character offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerkit.errors import DataError
from nerkit.text.entities import entities_from_word_tags
from nerkit.text.words import split_words

from .strategies import any_text

# --- entities_from_word_tags -------------------------------------------------------

SENTENCE = "Barack Obama met Angela Merkel in Berlin"


def _entities(tags, scores=None, text=SENTENCE):
    return entities_from_word_tags(text, split_words(text), tags, scores)


def _summary(entities):
    return [(e["label"], e["text"]) for e in entities]


def test_entities_bio():
    tags = ["B-PER", "I-PER", "O", "B-PER", "I-PER", "O", "B-LOC"]
    entities = _entities(tags)
    assert entities == [
        {"text": "Barack Obama", "label": "PER", "start": 0, "end": 12, "score": None},
        {"text": "Angela Merkel", "label": "PER", "start": 17, "end": 30, "score": None},
        {"text": "Berlin", "label": "LOC", "start": 34, "end": 40, "score": None},
    ]


def test_entities_io_end_of_sentence_and_types():
    tags = ["I-PER", "I-PER", "O", "I-PER", "I-PER", "I-ORG", "I-LOC"]
    assert _summary(_entities(tags)) == [
        ("PER", "Barack Obama"),
        ("PER", "Angela Merkel"),
        ("ORG", "in"),
        ("LOC", "Berlin"),
    ]


def test_entities_bio_adjacent_same_type():
    tags = ["B-PER", "B-PER", "O", "B-PER", "I-PER", "O", "O"]
    assert _summary(_entities(tags)) == [("PER", "Barack"), ("PER", "Obama"), ("PER", "Angela Merkel")]


def test_entities_bioes():
    tags = ["B-PER", "E-PER", "O", "S-PER", "S-PER", "O", "S-LOC"]
    assert _summary(_entities(tags)) == [
        ("PER", "Barack Obama"),
        ("PER", "Angela"),
        ("PER", "Merkel"),
        ("LOC", "Berlin"),
    ]


def test_entities_scores_are_rounded_means():
    tags = ["B-PER", "I-PER", "O", "O", "O", "O", "B-LOC"]
    scores = [0.9, 0.8, 0.99, 0.99, 0.99, 0.99, 0.123456]
    entities = _entities(tags, scores)
    assert [e["score"] for e in entities] == [0.85, 0.1235]


def test_entities_span_punctuation_and_offsets():
    text = "In 1997, the U.S. Navy (USN) said so."
    words = split_words(text)
    tags = ["O"] * len(words)
    tags[[w.text for w in words].index("U.S.")] = "B-ORG"
    tags[[w.text for w in words].index("Navy")] = "I-ORG"
    tags[[w.text for w in words].index("USN")] = "B-ORG"
    entities = entities_from_word_tags(text, words, tags)
    assert [(e["text"], e["start"], e["end"]) for e in entities] == [("U.S. Navy", 13, 22), ("USN", 24, 27)]


def test_entities_length_mismatch():
    with pytest.raises(DataError, match="one tag per word"):
        _entities(["O"])
    with pytest.raises(DataError, match="score"):
        _entities(["O"] * 7, [0.5])


def test_entities_all_outside():
    assert _entities(["O"] * 7) == []
    assert entities_from_word_tags("", [], []) == []


TAGS = st.sampled_from(["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "I-ORG"])


@settings(max_examples=300, deadline=None)
@given(st.data(), any_text)
def test_random_tags_give_exact_entity_slices(data, text):
    words = split_words(text)
    tags = data.draw(st.lists(TAGS, min_size=len(words), max_size=len(words)))
    scores = data.draw(st.lists(st.floats(0, 1), min_size=len(words), max_size=len(words)))
    entities = entities_from_word_tags(text, words, tags, scores)
    previous_end = 0
    for e in entities:
        assert set(e) == {"text", "label", "start", "end", "score"}
        assert text[e["start"] : e["end"]] == e["text"]
        assert e["start"] < e["end"]
        assert e["start"] >= previous_end
        assert e["label"] in {"PER", "LOC", "ORG"}
        assert 0 <= e["score"] <= 1
        assert any(w.start == e["start"] for w in words)
        assert any(w.end == e["end"] for w in words)
        previous_end = e["end"]
    if any(t != "O" for t in tags):
        assert entities
