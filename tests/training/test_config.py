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
        (dict(lr=float("inf")), "learning rate must be a positive number"),
        (dict(weight_decay=float("nan")), "weight_decay must be a number, 0 or more"),
        (dict(weight_decay=-0.1), "weight_decay must be a number, 0 or more"),
        (dict(grad_clip=-1.0), "grad_clip must be a number, 0 or more"),
        (dict(grad_clip=float("nan")), "grad_clip must be a number, 0 or more"),
        (dict(patience=0), "patience is a number of epochs, at least 1"),
        (dict(seed=-1), "--seed must be a whole number"),
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
