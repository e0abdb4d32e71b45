"""nerkit.data.spans: character spans to word tags and back, for any text; every bad span refused."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerkit.data.spans import SpanError, tag_text, text_spans
from nerkit.text.words import split_words
from text.strategies import any_text


@st.composite
def text_with_spans(draw):
    """Any text, and spans on some of its words (whole words, never overlapping)."""
    text = draw(any_text)
    words = split_words(text)
    cuts = sorted(draw(st.sets(st.integers(0, len(words)), max_size=8)))
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        if b > a and draw(st.booleans()):
            spans.append((words[a].start, words[b - 1].end, draw(st.sampled_from(["PER", "LOC", "ORG"]))))
    return text, spans


@settings(max_examples=300, deadline=None)
@given(text_with_spans())
def test_spans_to_tags_to_spans_gives_the_spans_back(case):
    text, spans = case
    sentences = tag_text(text, spans)
    assert [w for words, _ in sentences for w in words] == [w.text for w in split_words(text)]
    assert all(len(words) == len(tags) for words, tags in sentences)
    assert text_spans(text, sentences) == spans


def test_adjacent_entities_of_one_type_stay_apart():
    text = "gave Mary John books"
    sentences = tag_text(text, [(5, 9, "PER"), (10, 14, "PER")])
    assert sentences == [(["gave", "Mary", "John", "books"], ["O", "B-PER", "B-PER", "O"])]
    assert text_spans(text, sentences) == [(5, 9, "PER"), (10, 14, "PER")]


def test_spaces_at_the_edges_of_a_span_are_left_out_and_duplicates_are_one():
    text = "in  Paris  today"
    assert tag_text(text, [(3, 11, "LOC"), (3, 11, "LOC")]) == [(["in", "Paris", "today"], ["O", "B-LOC", "O"])]


def test_a_sentence_boundary_inside_an_entity_is_not_cut():
    text = "He joined Yahoo! Inc. in May. It rained."
    sentences = tag_text(text, [(10, 21, "ORG")])
    assert [words for words, _ in sentences] == [
        ["He", "joined", "Yahoo", "!", "Inc.", "in", "May", "."],
        ["It", "rained", "."],
    ]
    assert tag_text(text, [])[0][0] == ["He", "joined", "Yahoo", "!"]  # without the entity it is cut there


@pytest.mark.parametrize(
    "spans, problem",
    [
        ([(0, 5, "LOC")], "ends inside the word 'Parisian'"),
        ([(1, 8, "LOC")], "starts inside the word 'Parisian'"),
        ([(0, 8, "LOC"), (9, 13, "X"), (0, 13, "Y")], "overlap"),
        ([(0, 8, "LOC"), (0, 8, "ORG")], "overlap"),
        ([(0, 99, "LOC")], "outside the text of 13 characters"),
        ([(5, 5, "LOC")], "outside the text of 13 characters or empty"),
        ([(-1, 3, "LOC")], "outside the text"),
        ([(8, 9, "LOC")], "covers no word"),
        ([(0, 8, "O")], "the label is a tag"),
        ([(0, 8, "B-LOC")], "the label is a tag"),
        ([(0, 8, "Big City")], "without spaces"),
        ([(0, 8, "")], "non-empty string"),
        ([(0, 8, 3)], "non-empty string"),
        ([(0.0, 8, "LOC")], "whole numbers"),
        ([(True, 8, "LOC")], "whole numbers"),
        ([(0, 8)], "is not [start, end, label]"),
    ],
)
def test_bad_spans_are_refused_with_the_reason(spans, problem):
    with pytest.raises(SpanError, match=None) as info:
        tag_text("Parisian food", spans)
    assert problem in str(info.value)
