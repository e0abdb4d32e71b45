"""TrainConfig: bad values are refused when the options are made, in the library and on the command line."""

import pytest

import nerkit
from nerkit.cli import main
from nerkit.errors import ConfigError
from nerkit.training.config import TrainConfig


def test_bad_options_are_refused():
    # (fit's own checks of its options are in tests/training/test_loop.py)
    with pytest.raises(ConfigError, match="trailing"):
        TrainConfig(trailing="drop")
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig(epochs=0)


@pytest.mark.parametrize(
    "options, match",
    [  # each was a TypeError deep in training (or trained on silently: inf, -1, "yes")
        (dict(epochs="3"), r"epochs must be a whole number of at least 1, got '3'; use e.g. --epochs 10"),
        (dict(epochs=2.5), "epochs must be a whole number"),
        (dict(batch_size="4"), "batch_size must be a whole number"),
        (dict(batch_size=2.5), "batch_size must be a whole number"),
        (dict(lr=None), r"lr must be a finite number, got None; use e.g. --lr 0.0003"),
        (dict(lr="1e-3"), "lr must be a finite number"),
        (dict(lr=float("inf")), "lr must be a finite number, got inf"),
        (dict(warmup=None), "warmup must be a finite number"),
        (dict(weight_decay=-1.0), "weight_decay must be at least 0, got -1.0"),
        (dict(weight_decay=float("nan")), "weight_decay must be a finite number"),
        (dict(grad_clip="1"), "grad_clip must be a finite number"),
        (dict(grad_clip=-1.0), "grad_clip must be at least 0"),
        (dict(seed="x"), r"seed \(--seed\) must be a whole number from 0 to 4294967295, got 'x'"),
        (dict(seed=None), "seed .* must be a whole number"),
        (dict(seed=-1), "seed .* must be a whole number"),
        (dict(max_len="64"), r"max_len must be a whole number of at least 8 \(or None\), got '64'"),
        (dict(pad_to="x"), r"pad_to must be a whole number .*use e.g. pad_to=200"),
        (dict(patience=0), r"patience must be a whole number of at least 1 \(or None\)"),
        (dict(patience="2"), "patience must be a whole number"),
        (dict(checkpoint_every="5"), "checkpoint_every must be a whole number"),
        (dict(crf="yes"), r"crf must be True, False or None \(auto\), got 'yes'"),
        (dict(casing="yes"), "casing must be True, False or None"),
        (dict(group_by_length="no"), "group_by_length must be True or False"),
        (dict(trailing_tag=5), "trailing_tag must be a tag name"),
    ],
)
def test_options_of_the_wrong_kind_are_one_line(options, match):
    with pytest.raises(ConfigError, match=match):
        TrainConfig(**options)


def test_fit_takes_a_train_config_or_keywords(tiny_data):
    with pytest.raises(ConfigError, match=r"config= takes a TrainConfig, got a dict; .*fit\(train, epochs=3\)"):
        nerkit.fit(tiny_data, config={"epochs": 1})
    with pytest.raises(ConfigError, match="epochs must be a whole number"):
        nerkit.fit(tiny_data, epochs="3")


def test_bad_checkpoint_options():
    with pytest.raises(ConfigError, match="resume needs"):
        nerkit.TrainConfig(resume=True)
    with pytest.raises(ConfigError, match="checkpoint_every"):
        nerkit.TrainConfig(checkpoint_every=-1)


def test_unknown_scheme_is_refused(tiny_data, capsys, tiny_conll, tmp_path):
    with pytest.raises(ConfigError, match="not a known tagging scheme"):
        TrainConfig(scheme="BILOU")
    code = main(["train", "--data", str(tiny_conll), "--scheme", "BILOU", "--output", str(tmp_path / "m")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "BILOU" in err and "BIO" in err


def test_cli_bad_checkpoint_every(tmp_path, capsys):
    code = main(["train", "--data", "wikigold", "--output", str(tmp_path / "m"), "--checkpoint-every", "-2"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "checkpoint_every" in err


@pytest.mark.parametrize(
    "bad, named",
    [
        (dict(lr=float("inf")), "lr must be a finite number"),
        (dict(weight_decay=float("nan")), "weight_decay must be a finite number"),
        (dict(weight_decay=-0.1), "weight_decay must be at least 0"),
        (dict(grad_clip=-1.0), "grad_clip must be at least 0"),
        (dict(grad_clip=float("nan")), "grad_clip must be a finite number"),
        (dict(patience=0), "patience must be a whole number of at least 1"),
        (dict(seed=-1), "seed \\(--seed\\) must be a whole number"),
        (dict(device="gpu"), "unknown device 'gpu'"),
    ],
)
def test_values_that_would_train_to_nan_or_fail_late_are_refused(bad, named):
    # Each of these trained (to NaN weights, or stopping after one epoch) or failed with a traceback.
    with pytest.raises(ConfigError, match=named):
        TrainConfig(**bad)


def test_a_checkpoint_dir_that_is_a_file_is_one_line_and_the_file_is_kept(tmp_path, capsys):
    # It was a FileExistsError traceback at the first checkpoint, after the data was read.
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    code = main(["train", "--data", "wikigold", "--output", str(tmp_path / "m"), "--checkpoint-dir", str(notes)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--checkpoint-dir" in err and "is a file" in err, err
    assert notes.read_text() == "mine\n" and not (tmp_path / "m").exists()
