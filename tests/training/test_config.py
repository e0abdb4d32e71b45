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
