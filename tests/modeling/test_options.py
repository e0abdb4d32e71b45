"""nerkit.modeling.options: the inference options, checked once and saved with the model."""

import pytest
import torch

from cli_errors import error_line
from nerkit.errors import ConfigError
from nerkit.modeling.options import InferenceOptions


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(batch_size=0), "batch_size must be a whole number of at least 1"),
        (dict(batch_size=True), "batch_size must be a whole number"),
        (dict(max_tokens=0), "max_tokens must be a whole number of at least 1"),
        (dict(stride=-1), "stride .* must be 0 or more word pieces"),
        (dict(precision="fp16"), "precision must be auto, bf16 or fp32"),
    ],
)
def test_bad_options_are_refused(bad, match):
    with pytest.raises(ConfigError, match=match):
        InferenceOptions(**bad)
    with pytest.raises(ConfigError, match=match):
        InferenceOptions().updated(**bad)


def test_an_unknown_option_is_named():
    with pytest.raises(
        ConfigError, match="unknown inference option.*strides; known: batch_size, consistency, context, max_tokens"
    ):
        InferenceOptions().updated(strides=16)


def test_updated_keeps_what_is_not_given():
    options = InferenceOptions(stride=16).updated(precision="fp32", batch_size=None)
    assert (options.batch_size, options.stride, options.precision) == (64, 16, "fp32")


def test_saved_options_read_back_and_missing_ones_take_the_defaults():
    options = InferenceOptions(batch_size=8, max_tokens=512)
    assert InferenceOptions.from_dict(options.to_dict()) == options
    assert InferenceOptions.from_dict(None) == InferenceOptions()
    assert InferenceOptions.from_dict({"stride": 8}) == InferenceOptions(stride=8)


def test_the_token_budget_follows_the_device_unless_given():
    assert InferenceOptions().token_budget(torch.device("cpu")) == 1024
    assert InferenceOptions().token_budget(torch.device("cuda")) == 16384
    assert InferenceOptions(max_tokens=99).token_budget(torch.device("cpu")) == 99


@pytest.mark.parametrize("flag, value", [("--max-tokens", "0"), ("--batch-size", "0"), ("--stride", "-1")])
def test_cli_refuses_bad_options_before_touching_the_output(capsys, tmp_path, flag, value):
    source, output = tmp_path / "in.txt", tmp_path / "out.conll"
    source.write_text("Paris is lovely .\n")
    output.write_text("already here\n")
    err = error_line(
        capsys,
        ["predict", "--model", str(tmp_path / "m"), "--input", str(source), "--output", str(output), flag, value],
    )
    assert flag.lstrip("-").replace("-", "_") in err
    assert output.read_text() == "already here\n"
