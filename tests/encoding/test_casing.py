"""Tests for nerkit.encoding.casing: word shapes."""

from nerkit.encoding.casing import SHAPES, word_shape


def test_word_shapes():
    assert [SHAPES[word_shape(w)] for w in ["paris", "Paris", "NASA", "iPhone", "1997", ","]] == [
        "lower",
        "title",
        "upper",
        "mixed",
        "digit",
        "other",
    ]
    assert SHAPES[word_shape("The", first=True)] == "initial-title"
