"""Cross-validation with the tiny model: folds cover every sentence once, summaries are right."""

import json
import warnings

import numpy as np
import pytest

import nerkit
from cli_errors import error_line
from nerkit.analysis.crossval import FoldPlan, cross_validate, run_fold, summarise
from nerkit.cli import main
from nerkit.errors import ConfigError, DataError
from nerkit.evaluation.scores import score

FAST = dict(epochs=2, batch_size=4, lr=5e-3, warmup=0.0, max_len=32, progress=False)


@pytest.fixture(scope="module")
def cv(tiny_model_dir, tiny_data):
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = cross_validate(
            tiny_data, FoldPlan(folds=2, by="document"), model=str(tiny_model_dir), on_fold=seen.append, **FAST
        )
    return result, seen


def test_every_sentence_is_tested_once_by_a_model_that_never_saw_its_document(cv, tiny_data):
    result, seen = cv
    assert [f.fold for f in result.folds] == [1, 2] and seen == result.folds
    assert sum(f.test_sentences for f in result.folds) == len(tiny_data)
    assert all(f.train_sentences + f.test_sentences == len(tiny_data) for f in result.folds)
    for train, test in nerkit.kfold(tiny_data, folds=2, by="document"):
        assert not set(train.doc_ids) & set(test.doc_ids)


def test_summary_is_mean_and_sample_std_of_the_folds(cv):
    result, _ = cv
    f1s = [f.report.f1 for f in result.folds]
    assert result.f1_mean == pytest.approx(np.mean(f1s))
    assert result.f1_std == pytest.approx(np.std(f1s, ddof=1))
    for t, row in result.summary["per_type"].items():
        values = [f.report.per_type[t]["f1"] for f in result.folds if t in f.report.per_type]
        assert row["f1"] == pytest.approx(np.mean(values)) and row["folds"] == len(values)


def test_each_fold_trains_from_the_same_start(cv, tiny_model_dir, tiny_data):
    result, _ = cv
    again = run_fold(tiny_data, 2, FoldPlan(folds=2, by="document"), model=str(tiny_model_dir), **FAST)
    assert again.report.f1 == pytest.approx(result.folds[1].report.f1)
    assert [r["loss"] for r in again.history] == [r["loss"] for r in result.folds[1].history]


def test_report_text_and_json_round_trip(cv):
    result, _ = cv
    text = str(result)
    assert "2-fold cross-validation by document" in text and "default mode" in text and "+-" in text
    d = json.loads(json.dumps(result.to_dict()))
    assert d["summary"]["f1"] == pytest.approx(result.f1_mean)
    # (FoldResult.from_dict, which read a fold back, was dead code and is gone; the JSON still carries each fold's report)
    fold = d["folds"][0]
    assert fold["report"]["f1"] == result.folds[0].report.f1 and fold["report"]["mode"] == "default"


def test_validation_is_carved_from_the_training_side(tiny_model_dir, tiny_data):
    fold = run_fold(tiny_data, 1, FoldPlan(folds=2, by="document", validation=0.5), model=str(tiny_model_dir), **FAST)
    assert fold.validation_sentences > 0
    assert fold.train_sentences + fold.validation_sentences + fold.test_sentences == len(tiny_data)
    assert all("val_f1" in r for r in fold.history)


def test_summarise_worked_example():
    perfect = score([["I-PER", "O", "I-LOC"]], [["I-PER", "O", "I-LOC"]])
    half = score([["I-PER", "O", "I-LOC"]], [["I-PER", "O", "O"]])
    s = summarise([perfect, half])
    assert s["per_type"]["PER"]["f1"] == 1.0 and s["per_type"]["PER"]["f1_std"] == 0.0
    assert s["per_type"]["LOC"]["f1"] == 0.5
    assert s["f1"] == pytest.approx((1.0 + 2 / 3) / 2)


def test_bad_input_is_refused(tiny_data, tiny_model_dir):
    with pytest.raises(ConfigError, match="folds"):
        cross_validate(tiny_data, FoldPlan(folds=1))
    with pytest.raises(DataError, match="from 4 document"):
        cross_validate(tiny_data, FoldPlan(folds=5, by="document"))  # 4 documents
    with pytest.raises(ConfigError, match="fold must be"):
        run_fold(tiny_data, 3, FoldPlan(folds=2))
    with pytest.raises(DataError, match="no tags"):
        run_fold(nerkit.Dataset([["a"], ["b"]], None, [0, 1]), 1, FoldPlan(folds=2))
    with pytest.raises(DataError):
        summarise([])


def test_cli_cv_prints_mean_and_std_and_writes_json(tiny_conll, tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "cv.json"
    code = main(
        [
            "cv",
            "--data",
            str(tiny_conll),
            "--folds",
            "2",
            "--by",
            "document",
            "--model",
            str(tiny_model_dir),
            "--epochs",
            "1",
            "--max-len",
            "32",
            "--output",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "2-fold cross-validation by document" in text and "+-" in text
    d = json.loads(out.read_text())
    assert len(d["folds"]) == 2 and {"f1", "f1_std", "per_type"} <= d["summary"].keys()


def test_cli_cv_too_many_folds_is_one_line(tiny_conll, tiny_model_dir, capsys):
    err = error_line(capsys, ["cv", "--data", str(tiny_conll), "--folds", "3", "--model", str(tiny_model_dir)])
    assert "3 folds" in err and "fewer folds" in err


def test_cli_cv_one_fold_is_refused(tiny_conll, capsys):
    err = error_line(capsys, ["cv", "--data", str(tiny_conll), "--folds", "1"])
    assert "at least 2" in err


def test_a_type_missing_from_a_folds_training_side_is_still_scored(tiny_model_dir):
    # ORG only in document 0: the fold that tests document 0 never trains on an ORG.
    sentences = [["Google", "is", "big"], ["Paris", "is", "nice"], ["Obama", "is", "here"], ["Berlin", "is", "far"]]
    labels = [["I-ORG", "O", "O"], ["I-LOC", "O", "O"], ["I-PER", "O", "O"], ["I-LOC", "O", "O"]]
    data = nerkit.Dataset(sentences, labels, [0, 1, 2, 3])
    folds = [run_fold(data, k, FoldPlan(folds=2, by="document"), model=str(tiny_model_dir), **FAST) for k in (1, 2)]
    org = [f for f in folds if "ORG" in f.report.per_type]
    assert len(org) == 1 and org[0].report.per_type["ORG"]["support"] == 1


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(by="article"), "by= .* must be 'document' or 'sentence'"),
        (dict(mode="lax"), "mode must be 'default' or 'strict'"),
        (dict(validation=1.0), "--validation must be between 0 and 1"),
        (dict(folds=True), "--folds must be a whole number"),
    ],
)
def test_a_bad_fold_plan_is_refused(bad, match):
    with pytest.raises(ConfigError, match=match):
        FoldPlan(**bad)


def test_the_seed_belongs_to_the_fold_plan(tiny_data):
    with pytest.raises(ConfigError, match="the seed of a cross-validation is the FoldPlan's"):
        run_fold(tiny_data, 1, FoldPlan(folds=2), seed=3)
