"""Tests for nerkit.evaluation.evaluate: a model scored on tagged data."""

import pytest

import nerkit
from nerkit.errors import DataError
from nerkit.evaluation.evaluate import evaluate
from nerkit.parallel.group import Context


def test_evaluate_rejects_tags_the_model_does_not_know(trained_tiny):
    data = nerkit.Dataset(sentences=[["Obama"]], labels=[["I-FOO"]])
    with pytest.raises(DataError, match="I-FOO"):
        nerkit.evaluate(trained_tiny, data)


def test_evaluate_reports_loss_and_scores(trained_tiny, tiny_data):
    r = nerkit.evaluate(trained_tiny, tiny_data)
    assert r.loss is not None and r.loss > 0
    assert r.f1 > 0.6  # the tiny model has learned its own training data


def test_single_process_evaluate_is_the_plain_one(trained_tiny, tiny_data):
    assert (
        evaluate(trained_tiny, tiny_data, ctx=Context()).to_dict() == nerkit.evaluate(trained_tiny, tiny_data).to_dict()
    )
