"""nerkit.evaluation.heldout: a model is scored on the test side its training held out, unless asked otherwise."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import nerkit
from cli_errors import error_line
from nerkit.cli import main
from nerkit.data import Dataset, split, subsample
from nerkit.errors import ConfigError, DataError
from nerkit.evaluation.heldout import held_out, record_split


def _data(n: int = 40, docs: int = 8) -> Dataset:
    sentences = [[f"w{i}", "x"] for i in range(n)]
    return Dataset(sentences, [["O", "I-PER"]] * n, [i * docs // n for i in range(n)], name="toy")


def _model(data: Dataset, source="toy.conll", fraction=0.5, by="sentence", seed=7, **more):
    record = record_split(data, source, fraction, by, **more)
    return SimpleNamespace(train_config={"seed": seed, **record})


def _words(data: Dataset) -> list[str]:
    return [s[0] for s in data.sentences]


@pytest.mark.parametrize("by", ["sentence", "document"])
def test_by_default_the_recorded_test_side_is_scored(by):
    data = _data()
    side = held_out(_model(data, by=by), data, source="toy.conll")
    train, test = split(data, test_fraction=0.5, seed=7, by=by)  # what training did
    assert _words(side.data) == _words(test)
    assert side.warning is None and side.trained_on == 0
    assert side.description == (
        f"scored the recorded test side of toy.conll: {len(test)} sentences (test_fraction 0.5, seed 7, split by {by})"
    )
    assert _words(nerkit.held_out(_model(data, by=by), data).data) == _words(test)


def test_the_data_is_recognised_by_its_words_whatever_its_name():
    data = _data()
    copy = Dataset([list(s) for s in data.sentences], [["B-PER", "O"]] * len(data), data.doc_ids, name="renamed")
    side = held_out(_model(data), copy, source="elsewhere/renamed.conll")
    assert len(side.data) == 20 and "recorded test side of elsewhere/renamed.conll" in side.description


def test_all_scores_everything_and_warns_how_much_was_trained_on():
    data = _data()
    side = held_out(_model(data), data, all=True)
    assert len(side.data) == 40 and side.trained_on == 20
    assert "trained on 20 of these 40 sentences" in side.warning and "(--all)" in side.description


def test_an_explicit_split_wins_and_its_overlap_with_training_is_counted():
    data = _data()
    same = held_out(_model(data), data, test_fraction=0.5, seed=7)  # the recorded split, spelt out
    assert same.trained_on == 0 and same.warning is None
    other = held_out(_model(data), data, test_fraction=0.25, seed=1)
    train, _ = split(data, test_fraction=0.5, seed=7)
    expected = len(set(_words(split(data, test_fraction=0.25, seed=1)[1])) & set(_words(train)))
    assert len(other.data) == 10 and other.trained_on == expected > 0
    assert f"trained on {expected} of these 10" in other.warning
    assert "test_fraction 0.25, seed 1, split by sentence" in other.description


def test_data_the_model_was_not_split_from_is_scored_whole():
    data, other = _data(), _data(12, 3)
    other.sentences[0] = ["something", "else"]
    side = held_out(_model(data), other, source="other.conll")
    assert len(side.data) == 12 and side.warning is None and side.trained_on is None
    assert "scored all of other.conll: 12 sentences (not the data it was trained on, toy.conll)" == side.description


def test_a_model_without_a_record_is_scored_on_all_and_says_it_cannot_tell():
    data = _data()
    side = held_out(SimpleNamespace(train_config={"seed": 100}), data, source="toy.conll")
    assert len(side.data) == 40 and "records no training data" in side.description
    asked = held_out(SimpleNamespace(train_config={}), data, test_fraction=0.5)
    assert _words(asked.data) == _words(split(data, test_fraction=0.5, seed=100)[1])


def test_a_model_trained_on_all_of_the_data_refuses_it_unless_all():
    data, test = _data(), _data(6, 2)
    model = _model(data, test_data=test, test_source="test.conll")
    with pytest.raises(ConfigError, match="trained on all of toy.conll .*pass --all"):
        held_out(model, data, source="toy.conll")
    assert held_out(model, data, all=True).trained_on == 40
    assert "the test data the model was trained with" in held_out(model, test, source="test.conll").description


def test_quick_runs_record_their_sample():
    data = _data(200, 10)
    model = _model(data, subsample_fraction=0.1)
    train, test = split(data, test_fraction=0.5, seed=7)
    side = held_out(model, data)
    assert _words(side.data) == _words(subsample(test, 0.1, 7)) and "a 0.1 sample" in side.description
    assert held_out(model, data, all=True).trained_on == len(subsample(train, 0.1, 7))


def test_all_and_an_explicit_split_together_are_refused():
    with pytest.raises(ConfigError, match="--all scores all of --data"):
        held_out(_model(_data()), _data(), all=True, seed=3)


def test_a_record_without_a_fingerprint_is_matched_by_name():
    data = _data()
    record = {k: v for k, v in _model(data).train_config.items() if k != "data_sha256"}
    side = held_out(SimpleNamespace(train_config=record), data, source="toy.conll")
    assert "recorded test side" in side.description and len(side.data) == 20


@pytest.mark.slow
def test_evaluate_and_report_give_the_training_runs_own_test_score(tiny_conll, tiny_model_dir, tmp_path, capsys):
    """End to end: `nerkit evaluate` without split flags scores exactly what `nerkit train` tested on."""
    out = tmp_path / "m"
    assert main(["train", "--data", str(tiny_conll), "--output", str(out), "--model", str(tiny_model_dir),
                 "--epochs", "2", "--max-len", "32", "--no-progress"]) == 0  # fmt: skip
    trained = json.loads((out / "test_report.json").read_text())
    capsys.readouterr()
    assert main(["evaluate", "--model", str(out), "--data", str(tiny_conll), "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["f1"] == trained["f1"] and scored["support"] == trained["support"]
    assert scored["extra"]["scored"].startswith("scored the recorded test side of tiny.conll: 4 sentences")
    assert main(["evaluate", "--model", str(out), "--data", str(tiny_conll), "--all"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("scored all of tiny.conll: 8 sentences (--all)")
    assert "warning: the model was trained on 4 of these 8 sentences" in captured.err
    assert main(["report", "--model", str(out), "--data", str(tiny_conll), "--output", str(tmp_path / "r")]) == 0
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["report"]["f1"] == trained["f1"] and "recorded test side" in summary["scored"]
    model = nerkit.load_model(out)
    assert nerkit.evaluate(model, nerkit.held_out(model, nerkit.load(tiny_conll)).data).f1 == trained["f1"]
    err = error_line(capsys, ["evaluate", "--model", str(out), "--data", str(tiny_conll), "--all", "--seed", "1"])
    assert "--all scores all of --data" in err


def test_an_old_model_without_a_record_is_scored_whole_and_says_so(tiny_conll, capsys):
    from pathlib import Path

    fixture = Path(__file__).parent.parent / "fixtures" / "model-format-1"
    assert main(["evaluate", "--model", str(fixture), "--data", str(tiny_conll)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (
        "scored all of tiny.conll: 8 sentences (the model records no training data, "
        "so nerkit cannot tell whether it was trained on them)"
    )


def test_data_that_is_not_a_dataset_is_named(trained_tiny):
    with pytest.raises(DataError, match="cannot use a NoneType as data: pass a nerkit Dataset"):
        held_out(trained_tiny, None)


@pytest.mark.parametrize("asked, named", [(dict(test_fraction=0), "--test-fraction"), (dict(seed=-1), "--seed")])
def test_a_bad_split_asked_for_is_refused_not_ignored(asked, named):
    # --test-fraction 0 read as "not given" (the recorded split was scored); --seed -1 as "cannot split".
    model = SimpleNamespace(train_config={})
    data = Dataset([["Paris"], ["Rome"], ["Oslo"], ["Bonn"]], [["I-LOC"]] * 4, [0, 1, 2, 3])
    with pytest.raises(ConfigError, match=named):
        held_out(model, data, **asked)
