"""A model directory written before the layered restructure still loads and answers the same.

tests/fixtures/model-format-1 was saved by nerkit at commit ff06e66 (a tiny BERT with casing
features, a CRF, and BIO classes for IO data); the .expected.json beside it holds that
version's fp32 tags, probabilities and loss on the tiny sentences.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import nerkit

FIXTURE = Path(__file__).parent.parent / "fixtures" / "model-format-1"
EXPECTED = json.loads(FIXTURE.with_name("model-format-1.expected.json").read_text())


@pytest.fixture(scope="module")
def old_model():
    return nerkit.load_model(FIXTURE)


def test_an_old_model_directory_loads_with_its_settings(old_model):
    assert old_model.output_scheme == "IO" and old_model.label_scheme == "BIO"
    assert old_model.casing and old_model.crf is not None
    assert old_model.inference == nerkit.InferenceOptions()  # saved before inference options were: the defaults
    assert len(old_model.history) == 30


def test_an_old_model_gives_the_tags_probabilities_and_loss_it_gave_before(old_model):
    data = nerkit.Dataset(EXPECTED["sentences"], EXPECTED["gold"])
    got = nerkit.predict(old_model, data, probabilities=True, precision="fp32")
    assert got.tags == EXPECTED["tags"]
    assert got.loss == pytest.approx(EXPECTED["loss"], rel=1e-6)
    for mine, theirs in zip(got.probabilities, EXPECTED["probabilities"]):
        np.testing.assert_allclose(mine, np.asarray(theirs), atol=1e-6)


def test_an_old_model_saved_again_keeps_its_answers(old_model, tmp_path):
    old_model.save(tmp_path / "again")
    meta = json.loads((tmp_path / "again" / "nerkit.json").read_text())
    assert meta["scheme"] == "IO" and meta["train_scheme"] == "BIO" and "inference" in meta
    again = nerkit.load_model(tmp_path / "again")
    data = nerkit.Dataset(EXPECTED["sentences"], EXPECTED["gold"])
    assert nerkit.predict(again, data, precision="fp32").tags == EXPECTED["tags"]


def test_the_fixture_is_untouched_by_loading(tmp_path):
    copy = shutil.copytree(FIXTURE, tmp_path / "copy")
    nerkit.load_model(copy)
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in FIXTURE.iterdir())
