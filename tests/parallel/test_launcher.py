"""`--nproc N`: several processes (DDP over gloo on the CPU) give what one process gives, in training and tagging.

(The shares of a batch are in tests/parallel/test_group.py, shard files in tests/parallel/test_shards.py.)
"""

import json
import shutil
import warnings

import numpy as np
import pytest
import torch

import nerkit
from cli_errors import error_line
from nerkit.cli import main
from nerkit.data import read_conll

from .helpers import predict_cli

# 8 sentences in global batches of 7: steps of 7 and 1 windows, so the processes' shares are
# unequal (4 and 3) and, in the last step, one process has none at all.
TRAIN = ["--epochs", "3", "--batch-size", "7", "--lr", "5e-3", "--max-len", "32", "--no-progress"]


@pytest.fixture(scope="module")
def no_dropout_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model without dropout: then one and two processes must agree to float rounding.

    (With dropout the processes draw other masks than one process would, and the losses
    differ by the noise dropout adds; the arithmetic of sharing a batch is what is tested.)
    """
    folder = tmp_path_factory.mktemp("nodrop") / "model"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize("context", [0, 8], ids=["alone", "document-context"])
def test_two_processes_train_like_one_with_the_same_global_batch(tmp_path, tiny_conll, no_dropout_model_dir, context):
    out = tmp_path / "ddp"
    # fp32 on both sides: bf16 (precision auto on a bf16 machine) rounds far above the tolerance below.
    code = main(
        [
            "train",
            "--data",
            str(tiny_conll),
            "--test-data",
            str(tiny_conll),
            "--model",
            str(no_dropout_model_dir),
            *TRAIN,
            "--precision",
            "fp32",
            "--output",
            str(out),
            "--nproc",
            "2",
            "--context",
            str(context),
        ]
    )
    assert code == 0
    data = read_conll(tiny_conll)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = nerkit.fit(
            data,
            str(no_dropout_model_dir),
            epochs=3,
            batch_size=7,
            lr=5e-3,
            max_len=32,
            progress=False,
            precision="fp32",
            context=context,
        )
    two = nerkit.load_model(out)
    assert two.inference.context == context
    # Tolerance: float rounding only (sums in another order, batches padded per process).
    assert [r["loss"] for r in two.history] == pytest.approx([r["loss"] for r in one.history], rel=1e-5, abs=1e-6)
    assert [r["tokens"] for r in two.history] == [r["tokens"] for r in one.history]
    a = nerkit.predict(one, data, probabilities=True, precision="fp32")
    b = nerkit.predict(two, data, probabilities=True, precision="fp32")
    assert a.tags == b.tags
    assert max(np.abs(x - y).max() for x, y in zip(a.probabilities, b.probabilities)) < 1e-4
    # the test report was gathered from both processes and written once, by rank 0
    report = json.loads((out / "test_report.json").read_text())
    assert report["f1"] == pytest.approx(nerkit.evaluate(one, data).f1)
    assert not (tmp_path / "ddp.checkpoints").exists()


def test_two_processes_resume_mid_epoch_to_the_same_run(tmp_path, tiny_conll, tiny_model_dir):
    """With dropout: each process's random state is checkpointed and restored."""
    out, folder = tmp_path / "m", tmp_path / "m.checkpoints"
    argv = [
        "train",
        "--data",
        str(tiny_conll),
        "--test-data",
        str(tiny_conll),
        "--model",
        str(tiny_model_dir),
        *TRAIN,
        "--batch-size",
        "3",
        "--output",
        str(out),
        "--nproc",
        "2",
        "--checkpoint-every",
        "2",
    ]
    assert main([*argv, "--keep-checkpoints"]) == 0  # 3 steps an epoch: checkpoints at steps 8 (mid-epoch 3) and 9
    full = json.loads((out / "nerkit.json").read_text())["history"]
    shutil.rmtree(out)
    shutil.rmtree(folder / "step-000000009")  # as if killed after step 8
    progress = json.loads((folder / "step-000000008" / "progress.json").read_text())
    assert (progress["epoch"], progress["step"]) == (3, 2)
    ranks = torch.load(folder / "step-000000008" / "rng.pt", weights_only=True)["ranks"]
    assert len(ranks) == 2 and not torch.equal(ranks[0]["torch"], ranks[1]["torch"])  # one state per process
    assert main([*argv, "--resume"]) == 0
    resumed = json.loads((out / "nerkit.json").read_text())["history"]
    assert [r["loss"] for r in resumed] == pytest.approx([r["loss"] for r in full], abs=1e-6)


def test_two_processes_tag_shards_merged_in_input_order(model_dir, tiny_conll, tmp_path):
    expected = predict_cli(model_dir, tiny_conll, tmp_path / "one.conll")
    out = tmp_path / "two.conll"
    assert predict_cli(model_dir, tiny_conll, out, "--nproc", "2", "--shard-size", "3") == expected
    assert not (tmp_path / "two.conll.shards").exists()  # the default shard folder goes once the output is written


def test_bad_distributed_options(model_dir, tiny_conll, tmp_path, capsys):
    err = error_line(capsys, ["predict", "--model", str(model_dir), "--input", str(tiny_conll), "--nproc", "2"])
    assert "--nproc needs --output" in err
    err = error_line(
        capsys,
        [
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(tiny_conll),
            "--output",
            str(tmp_path / "o"),
            "--shard-dir",
            str(tmp_path / "s"),
            "--shard-size",
            "0",
        ],
    )
    assert "--shard-size" in err
    text = tmp_path / "docs.txt"
    text.write_text("Barack Obama visited Paris, France.\n")
    err = error_line(
        capsys,
        [
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(text),
            "--format",
            "text",
            "--output",
            str(tmp_path / "o.jsonl"),
            "--nproc",
            "2",
        ],
    )
    assert "not text input" in err
    err = error_line(
        capsys,
        ["train", "--data", str(tiny_conll), "--output", str(tmp_path / "m"), "--nproc", "4", "--batch-size", "2"],
    )
    assert "--batch-size 2 is smaller than --nproc 4" in err
    err = error_line(capsys, ["train", "--data", str(tiny_conll), "--output", str(tmp_path / "m"), "--nproc", "0"])
    assert "--nproc must be at least 1" in err
