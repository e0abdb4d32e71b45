"""nerkit.hardware's precision switch as training and prediction use it: bf16 against fp32,
the hardware's choice for "auto", bad values refused (moved from the old tests/test_speed_paths.py).
"""

import pytest
import torch

import nerkit
from nerkit import hardware
from nerkit.cli import main
from nerkit.errors import ConfigError
from nerkit.hardware import use_bf16
from nerkit.training.config import TrainConfig


def test_bf16_gives_the_same_tags_as_fp32(trained_tiny, tiny_data):
    fp32 = nerkit.predict(trained_tiny, tiny_data, precision="fp32", probabilities=True)
    bf16 = nerkit.predict(trained_tiny, tiny_data, precision="bf16", probabilities=True)
    words = sum(len(s) for s in fp32.tags)
    same = sum(a == b for x, y in zip(fp32.tags, bf16.tags) for a, b in zip(x, y))
    assert same / words >= 0.95
    # bf16 keeps about 3 significant digits: probabilities agree to a few hundredths, not exactly
    worst = max(abs(p - q).max() for p, q in zip(fp32.probabilities, bf16.probabilities))
    assert 0 < worst < 0.05


def test_bf16_training_keeps_fp32_master_weights(tiny_model_dir, tiny_data):
    m = nerkit.fit(
        tiny_data,
        str(tiny_model_dir),
        epochs=3,
        batch_size=4,
        lr=5e-3,
        warmup=0.0,
        precision="bf16",
        progress=False,
        max_len=32,
    )
    assert {p.dtype for p in m.network.parameters()} == {torch.float32}
    losses = [r["loss"] for r in m.history]
    assert losses[-1] < losses[0]


def test_auto_precision_follows_the_hardware(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(hardware, "cpu_has_fast_bf16", lambda: False)
    assert use_bf16("auto", cpu) is False
    assert use_bf16("bf16", cpu) is True
    monkeypatch.setattr(hardware, "cpu_has_fast_bf16", lambda: True)
    assert use_bf16("auto", cpu) is True
    assert use_bf16("fp32", cpu) is False  # the switch to turn it off


def test_bad_precision_is_refused(tiny_data, capsys):
    with pytest.raises(ConfigError, match="precision must be auto, bf16 or fp32"):
        TrainConfig(precision="fp16")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--data", "wikigold", "--precision", "fp16", "--output", "unused"])
    assert exit_info.value.code == 2
    assert "precision" in capsys.readouterr().err
