"""nerkit.cli.flags: flags made from the option dataclasses, and one-line errors for bad ones."""

import argparse

import pytest

from cli_errors import error_line
from nerkit.analysis.crossval import FoldPlan
from nerkit.cli import build_parser, main
from nerkit.cli.flags import add_flags, given
from nerkit.modeling.options import InferenceOptions
from nerkit.training.config import TrainConfig


def test_flags_carry_the_dataclass_defaults_in_their_help():
    parser = argparse.ArgumentParser()
    add_flags(parser, TrainConfig)
    helps = {a.dest: a.help for a in parser._actions}
    assert "(default: 10)" in helps["epochs"] and "(default: 0.0003)" in helps["lr"]
    assert parser.parse_args([]).epochs is None  # not given: TrainConfig's default stands


def test_a_field_two_dataclasses_share_is_one_flag():
    parser = argparse.ArgumentParser()
    add_flags(parser, FoldPlan)
    add_flags(parser, TrainConfig)
    assert [a.dest for a in parser._actions].count("seed") == 1
    args = parser.parse_args(["--seed", "7"])
    assert given(args, FoldPlan)["seed"] == given(args, TrainConfig)["seed"] == 7


def test_on_off_auto_and_switches_become_the_field_values():
    parser = argparse.ArgumentParser()
    add_flags(parser, TrainConfig)
    args = parser.parse_args(["--crf", "off", "--casing", "auto", "--no-progress", "--resume"])
    assert given(args, TrainConfig) == {"crf": False, "progress": False, "resume": True}


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "--model", "m", "--data", "d"],
        ["predict", "--model", "m", "--input", "i"],
        ["serve", "--model", "m"],
    ],
)
def test_the_inference_commands_take_every_inference_option(argv):
    args = build_parser().parse_args([*argv, "--max-tokens", "9", "--precision", "fp32"])
    assert given(args, InferenceOptions) == {"max_tokens": 9, "precision": "fp32"}


@pytest.mark.parametrize(
    "argv, named",
    [
        (["train", "--data", "wikigold", "--output", "x", "--epochs", "many"], "--epochs: invalid int value: 'many'"),
        (["train", "--data", "wikigold", "--output", "x", "--crf", "maybe"], "--crf: invalid choice: 'maybe'"),
        (["predict", "--model", "m"], "the following arguments are required: --input"),
        (["evaluate", "--model", "m", "--data", "d", "--mode", "lax"], "--mode: invalid choice: 'lax'"),
    ],
)
def test_a_bad_flag_is_one_line_and_exit_2(capsys, argv, named):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err and "--help" in err, err


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--context", "-1"], "context must be 0 (none) or more word pieces"),
        (["--context-dropout", "2"], "context_dropout is a share of sentences from 0 to 1"),
        (["--layer-decay", "0"], "layer_decay is a factor above 0 and at most 1"),
        (["--average-epochs", "11"], "average_epochs must be from 0 to the 10 epochs"),
    ],
)
def test_a_bad_context_or_schedule_value_is_one_line_and_writes_nothing(flags, named, capsys, tmp_path):
    output = tmp_path / "model"
    err = error_line(capsys, ["train", "--data", "wikigold", "--output", str(output), *flags])
    assert named in err and "use e.g." in err
    assert not output.exists() and not (tmp_path / "model.checkpoints").exists()


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--validation", "0.1", "--average-epochs", "2"], "a validation set keeps its best epoch"),
        (["--max-len", "9999"], "max_len 9999 is longer than the model's 512 positions; use --max-len 512"),
    ],
)
def test_clashing_or_too_long_options_are_one_line_before_training_starts(flags, named, capsys, tmp_path):
    """One line, not "training on N sentences" and then the error: the clash is known before the data is read."""
    output = tmp_path / "model"
    err = error_line(capsys, ["train", "--data", "wikigold", "--output", str(output), *flags])
    assert named in err and "training on" not in err
    assert not output.exists() and not (tmp_path / "model.checkpoints").exists()


def test_a_bad_context_at_prediction_is_one_line_and_keeps_the_output(model_dir, tmp_path, capsys):
    text, output = tmp_path / "in.txt", tmp_path / "out.jsonl"
    text.write_text("Obama visited Paris.\n")
    output.write_text("an earlier result\n")
    argv = ["predict", "--model", str(model_dir), "--input", str(text), "--output", str(output), "--context", "-2"]
    assert "context must be 0 (none) or more word pieces" in error_line(capsys, argv)
    assert output.read_text() == "an earlier result\n"
