"""Tests for nerkit.evaluation.scores: entity-level scores of tags against tags."""

import json

import pytest

import nerkit
from nerkit.errors import DataError
from nerkit.evaluation.scores import score


def test_hand_checked_scores():
    gold = [["I-PER", "I-PER", "O", "I-LOC"], ["I-ORG", "O"]]
    pred = [["I-PER", "I-PER", "O", "O"], ["I-ORG", "I-ORG"]]
    r = score(gold, pred)
    # gold: PER, LOC, ORG(1 word); predicted: PER (right), ORG over 2 words (wrong boundary)
    assert r.precision == pytest.approx(1 / 2)
    assert r.recall == pytest.approx(1 / 3)
    assert r.f1 == pytest.approx(0.4)
    assert r.per_type["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert r.per_type["LOC"]["recall"] == 0.0
    assert r.macro_f1 == pytest.approx((1 + 0 + 0) / 3)
    assert r.scheme == "IO" and r.mode == "default"


def test_strict_mode_is_named_and_differs_on_invalid_bio():
    gold = [["B-PER", "I-PER", "O"]]
    pred = [["I-PER", "I-PER", "O"]]  # lenient reading accepts this, strict BIO does not
    assert score(gold, pred).f1 == 1.0
    strict = score(gold, pred, mode="strict", scheme="BIO")
    assert strict.f1 == 0.0 and "strict mode" in str(strict)


def test_report_json_has_the_documented_keys():
    d = json.loads(score([["I-PER"]], [["I-PER"]]).to_json())
    assert {"f1", "precision", "recall", "per_type", "mode"} <= d.keys()


def test_no_sentences_is_an_error_not_a_seqeval_type_error(trained_tiny):
    with pytest.raises(DataError, match="no sentences to score"):
        score([], [])
    with pytest.raises(DataError, match="no sentences to score"):
        nerkit.evaluate(trained_tiny, nerkit.Dataset([], []))


def test_length_mismatch_is_an_error():
    with pytest.raises(DataError, match="sentence 1"):
        score([["O", "O"]], [["O"]])
