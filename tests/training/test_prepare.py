"""Training in one tag scheme, reporting in the data's own."""

import warnings

import pytest

import nerkit
from nerkit.analysis.crossval import FoldPlan, run_fold
from nerkit.cli import main
from nerkit.data import Dataset
from nerkit.errors import ModelError
from nerkit.labels import convert_scheme, detect_scheme, split_tag

OPTS = dict(batch_size=4, lr=5e-3, warmup=0.0, progress=False, max_len=64)


@pytest.fixture(scope="module")
def bio_model(tiny_model_dir, tiny_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nerkit.fit(tiny_data, str(tiny_model_dir), scheme="BIO", epochs=40, **OPTS)


def test_model_learns_bio_classes_but_answers_in_the_data_scheme(bio_model, tiny_data):
    assert detect_scheme(tiny_data.labels) == "IO"
    assert bio_model.output_scheme == "IO" and bio_model.label_scheme == "BIO"
    assert {"B-PER", "I-PER", "B-LOC"} <= set(bio_model.label_map.tags)
    tags = nerkit.predict(bio_model, tiny_data).tags
    assert all(split_tag(t)[0] in ("O", "I") for s in tags for t in s)
    report = nerkit.evaluate(bio_model, tiny_data)
    assert report.scheme == "IO" and report.f1 > 0.6
    assert report.loss is not None  # gold tags were converted to BIO for the loss


def test_scheme_survives_save_and_load(bio_model, tiny_data, tmp_path):
    bio_model.save(tmp_path / "m")
    again = nerkit.load_model(tmp_path / "m")
    assert (again.output_scheme, again.label_scheme) == ("IO", "BIO")
    assert nerkit.predict(again, tiny_data).tags == nerkit.predict(bio_model, tiny_data).tags


def test_bioes_training_on_bio_data_returns_bio(tiny_model_dir, tiny_data):
    bio = Dataset(tiny_data.sentences, [convert_scheme(t, "BIO") for t in tiny_data.labels], tiny_data.doc_ids)
    m = nerkit.fit(bio, str(tiny_model_dir), scheme="bioes", epochs=2, **OPTS)
    assert (m.output_scheme, m.label_scheme) == ("BIO", "BIOES")
    assert any(t.startswith(("S-", "E-")) for t in m.label_map.tags)
    out = nerkit.predict(m, bio).tags
    assert all(split_tag(t)[0] in ("O", "B", "I") for s in out for t in s)


def test_same_scheme_adds_nothing(tiny_model_dir, tiny_data):
    m = nerkit.fit(tiny_data, str(tiny_model_dir), scheme="IO", epochs=1, **OPTS)
    # label_scheme is never None now: "not converted" is label_scheme == output_scheme, saved as no train_scheme
    assert m.label_scheme == m.output_scheme == "IO" and m.meta()["train_scheme"] is None
    assert not any(t.startswith("B-") for t in m.label_map.tags)


def test_cross_validation_trains_each_fold_in_the_chosen_scheme(tiny_model_dir, tiny_data):
    fold = run_fold(tiny_data, 1, FoldPlan(folds=2), model=str(tiny_model_dir), scheme="BIO", epochs=1, **OPTS)
    assert fold.report.scheme == "IO"


def test_cli_train_with_scheme(tiny_conll, tiny_model_dir, tmp_path):
    out = tmp_path / "m"
    assert (
        main(
            [
                "train",
                "--data",
                str(tiny_conll),
                "--model",
                str(tiny_model_dir),
                "--scheme",
                "iob2",
                "--epochs",
                "1",
                "--max-len",
                "32",
                "--output",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    m = nerkit.load_model(out)
    assert (m.output_scheme, m.label_scheme) == ("IO", "BIO")


def test_fit_refuses_a_model_lacking_the_data_labels(trained_tiny):
    data = nerkit.Dataset(sentences=[["Obama"]], labels=[["I-FOO"]])
    with pytest.raises(ModelError, match="lack I-FOO"):
        nerkit.fit(data, trained_tiny, epochs=1, progress=False)
