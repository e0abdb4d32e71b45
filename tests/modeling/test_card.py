"""The model card written at save: data, licence, settings, scores per type, limitations, usage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.cli_errors import error_line

import nerkit
from nerkit.modeling.card import NEW_CARD_FILE, card_is_generated
from nerkit.modeling.upgrade import upgrade

FIXTURE = Path(__file__).parent.parent / "fixtures" / "model-format-1"
EVALUATION = {
    "precision": 0.8,
    "recall": 0.7,
    "f1": 0.7467,
    "macro_precision": 0.75,
    "macro_recall": 0.65,
    "macro_f1": 0.69,
    "per_type": {
        "LOC": {"precision": 0.9, "recall": 0.8, "f1": 0.8471, "support": 10},
        "PER": {"precision": 0.6, "recall": 0.5, "f1": 0.5455, "support": 4},
    },
    "support": 14,
    "mode": "default",
    "scheme": "IO",
    "extra": {"test_sentences": 7},
}


@pytest.fixture
def wikigold_model(trained_tiny):
    trained_tiny.train_config.update({"data": "wikigold", "test_fraction": 0.5, "split_by": "sentence"})
    yield trained_tiny
    for key in ("data", "test_fraction", "split_by"):
        trained_tiny.train_config.pop(key, None)


def test_the_card_holds_data_licence_settings_scores_limitations_and_usage(wikigold_model, tmp_path):
    directory = wikigold_model.save(tmp_path / "m", evaluation=EVALUATION)
    card = (directory / "README.md").read_text()
    assert "license: cc-by-4.0" in card and "CC BY 4.0" in card and "Balasuriya" in card  # data and attribution
    assert "`wikigold`" in card and "50% held out for testing" in card
    assert f"| `epochs` | `{wikigold_model.train_config['epochs']}` |" in card  # the TrainConfig
    assert "| LOC | 0.9000 | 0.8000 | 0.8471 | 10 |" in card and "| PER | 0.6000 | 0.5000 | 0.5455 | 4 |" in card
    assert "| **micro avg** | 0.8000 | 0.7000 | 0.7467 | 14 |" in card and "(7 sentences)" in card
    assert "uncased" in card and "IO tags" in card and "English Wikipedia" in card  # limitations that hold
    assert (
        "trust_remote_code=True" in card and "nerkit.Tagger.load" in card and 'pipeline("token-classification"' in card
    )
    assert json.loads((directory / "test_report.json").read_text()) == EVALUATION
    assert card_is_generated(card)


def test_a_model_saved_without_evaluation_says_so(trained_tiny, tmp_path):
    card = (trained_tiny.save(tmp_path / "m") / "README.md").read_text()
    assert "saved without a held-out evaluation" in card and "| **micro avg**" not in card
    assert "licence of this data is not recorded" in card or "Not recorded" in card
    assert not (tmp_path / "m" / "test_report.json").exists()


def test_an_edited_card_is_kept_and_the_new_one_written_beside_it(trained_tiny, tmp_path):
    directory = trained_tiny.save(tmp_path / "m")
    edited = (directory / "README.md").read_text().replace("# Named-entity", "# My tagger\n\n# Named-entity")
    (directory / "README.md").write_text(edited)
    with pytest.warns(UserWarning, match="edited, so it is kept"):
        trained_tiny.save(directory, overwrite=True, evaluation=EVALUATION)
    assert (directory / "README.md").read_text() == edited
    assert "| LOC | 0.9000" in (directory / NEW_CARD_FILE).read_text()


def test_an_untouched_card_is_replaced(trained_tiny, tmp_path):
    directory = trained_tiny.save(tmp_path / "m")
    trained_tiny.save(directory, overwrite=True, evaluation=EVALUATION)
    assert "| LOC | 0.9000" in (directory / "README.md").read_text() and not (directory / NEW_CARD_FILE).exists()


def test_upgrade_rewrites_an_old_directory_keeping_answers_report_and_other_files(tmp_path):
    old = shutil.copytree(FIXTURE, tmp_path / "old")
    (old / "test_report.json").write_text(json.dumps(EVALUATION))
    (old / "notes.txt").write_text("mine")
    sentences = [["Barack", "Obama", "visited", "Paris", "."]]
    before = nerkit.predict(nerkit.load_model(old), sentences, probabilities=True, precision="fp32")
    upgrade(old)
    assert json.loads((old / "config.json").read_text())["model_type"] == "nerkit"
    assert (old / "notes.txt").read_text() == "mine" and "| LOC | 0.9000" in (old / "README.md").read_text()
    after = nerkit.predict(nerkit.load_model(old), sentences, probabilities=True, precision="fp32")
    assert after.tags == before.tags
    assert abs(after.probabilities[0] - before.probabilities[0]).max() < 1e-6


def test_upgrade_of_a_missing_directory_is_one_line(capsys, tmp_path):
    line = error_line(capsys, ["upgrade", "--model", str(tmp_path / "nothing")])
    assert "does not exist" in line
