"""Training in one tag scheme, reporting in the data's own."""

import warnings

import pytest

import nerkit
from nerkit.cli import main
from nerkit.crossval import run_fold
from nerkit.data import Dataset
from nerkit.errors import ConfigError
from nerkit.labels import convert_scheme, detect_scheme, split_tag
from nerkit.train import TrainConfig

OPTS = dict(batch_size=4, lr=5e-3, warmup=0.0, progress=False, max_len=64)


@pytest.fixture(scope="module")
def bio_model(tiny_model_dir, tiny_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nerkit.fit(tiny_data, str(tiny_model_dir), scheme="BIO", epochs=40, **OPTS)


def test_model_learns_bio_classes_but_answers_in_the_data_scheme(bio_model, tiny_data):
    assert detect_scheme(tiny_data.labels) == "IO"
    assert bio_model.scheme == "IO" and bio_model.train_scheme == "BIO"
    assert {"B-PER", "I-PER", "B-LOC"} <= set(bio_model.label_map.tags)
    tags = nerkit.predict(bio_model, tiny_data).tags
    assert all(split_tag(t)[0] in ("O", "I") for s in tags for t in s)
    report = nerkit.evaluate(bio_model, tiny_data)
    assert report.scheme == "IO" and report.f1 > 0.6
    assert report.loss is not None  # gold tags were converted to BIO for the loss


def test_scheme_survives_save_and_load(bio_model, tiny_data, tmp_path):
    bio_model.save(tmp_path / "m")
    again = nerkit.load_model(tmp_path / "m")
    assert (again.scheme, again.train_scheme) == ("IO", "BIO")
    assert nerkit.predict(again, tiny_data).tags == nerkit.predict(bio_model, tiny_data).tags


def test_bioes_training_on_bio_data_returns_bio(tiny_model_dir, tiny_data):
    bio = Dataset(tiny_data.sentences, [convert_scheme(t, "BIO") for t in tiny_data.labels], tiny_data.doc_ids)
    m = nerkit.fit(bio, str(tiny_model_dir), scheme="bioes", epochs=2, **OPTS)
    assert (m.scheme, m.train_scheme) == ("BIO", "BIOES")
    assert any(t.startswith(("S-", "E-")) for t in m.label_map.tags)
    out = nerkit.predict(m, bio).tags
    assert all(split_tag(t)[0] in ("O", "B", "I") for s in out for t in s)


def test_same_scheme_adds_nothing(tiny_model_dir, tiny_data):
    m = nerkit.fit(tiny_data, str(tiny_model_dir), scheme="IO", epochs=1, **OPTS)
    assert m.train_scheme is None and m.scheme == "IO"
    assert not any(t.startswith("B-") for t in m.label_map.tags)


def test_cross_validation_trains_each_fold_in_the_chosen_scheme(tiny_model_dir, tiny_data):
    fold = run_fold(tiny_data, 1, folds=2, model=str(tiny_model_dir), scheme="BIO", epochs=1, **OPTS)
    assert fold.report.scheme == "IO"


def test_unknown_scheme_is_refused(tiny_data, capsys, tiny_conll, tmp_path):
    with pytest.raises(ConfigError, match="not a known tagging scheme"):
        TrainConfig(scheme="BILOU")
    code = main(["train", "--data", str(tiny_conll), "--scheme", "BILOU", "--output", str(tmp_path / "m")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "BILOU" in err and "BIO" in err


def test_cli_train_with_scheme(tiny_conll, tiny_model_dir, tmp_path):
    out = tmp_path / "m"
    assert main(["train", "--data", str(tiny_conll), "--model", str(tiny_model_dir), "--scheme", "iob2",
                 "--epochs", "1", "--max-len", "32", "--output", str(out), "--no-progress"]) == 0
    m = nerkit.load_model(out)
    assert (m.scheme, m.train_scheme) == ("IO", "BIO")
