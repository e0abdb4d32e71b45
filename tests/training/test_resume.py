"""Crash-safe runs: kill -9 mid-epoch, resume, same run; a resume with another run's options or data refused.

(The checkpoint files themselves, damaged or old, are tested in tests/training/test_checkpoint.py.)
"""

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import nerkit
import nerkit.training.loop
from nerkit.cli import main
from nerkit.errors import ConfigError
from nerkit.training import checkpoint

from .helpers import OPTIONS, fit_tiny, resume_tiny

# 8 sentences in batches of 2: 4 steps an epoch, 12 in all; checkpoints every 3 steps fall mid-epoch.

CHILD = textwrap.dedent("""
    import json, sys, time, warnings
    import torch
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    import nerkit, nerkit.training.loop
    args = json.loads(sys.argv[1])
    step = nerkit.training.loop._Run.step
    def slow_step(*a, **k):  # slow enough for the test to kill it mid-run
        time.sleep(0.25)
        return step(*a, **k)
    nerkit.training.loop._Run.step = slow_step
    data = nerkit.Dataset(args["sentences"], args["labels"], args["doc_ids"])
    nerkit.fit(data, args["model"], checkpoint_dir=args["dir"], checkpoint_every=3, **args["options"])
    print("finished")
""")


@pytest.fixture(scope="module")
def uninterrupted(tiny_model_dir, tiny_data):
    return fit_tiny(tiny_data, tiny_model_dir)


def test_resume_after_kill_9_mid_epoch_gives_the_same_run(tmp_path, tiny_model_dir, tiny_data, uninterrupted):
    folder = tmp_path / "checkpoints"
    args = {
        "sentences": tiny_data.sentences,
        "labels": tiny_data.labels,
        "doc_ids": tiny_data.doc_ids,  # the same documents, so the same document context
        "model": str(tiny_model_dir),
        "dir": str(folder),
        "options": OPTIONS,
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # Wait for the checkpoint of step 6 (epoch 2, step 2 of 4), then kill without warning.
        deadline = time.monotonic() + 120
        while not (folder / "step-000000006").exists():
            assert child.poll() is None, child.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        out, _ = child.communicate()
    assert child.returncode == -signal.SIGKILL and b"finished" not in out
    newest = checkpoint.latest(folder)
    progress = json.loads((newest / "progress.json").read_text())
    assert not progress["done"] and progress["global_step"] < 12  # the run was cut short

    resumed = fit_tiny(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), checkpoint_every=3, resume=True)
    expected = [r["loss"] for r in uninterrupted.history]
    assert [r["loss"] for r in resumed.history] == pytest.approx(expected, rel=0, abs=1e-6)
    assert [r["lr"] for r in resumed.history] == pytest.approx([r["lr"] for r in uninterrupted.history], abs=1e-12)
    a = nerkit.predict(uninterrupted, tiny_data, probabilities=True)
    b = nerkit.predict(resumed, tiny_data, probabilities=True)
    assert a.tags == b.tags
    assert max(np.abs(x - y).max() for x, y in zip(a.probabilities, b.probabilities)) < 1e-6


def test_checkpoints_every_k_steps_and_epoch_keep_the_newest_two(tmp_path, tiny_model_dir, tiny_data, uninterrupted):
    folder = tmp_path / "ck"
    model = fit_tiny(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), checkpoint_every=3)
    # checkpointing changes nothing about the run
    assert [r["loss"] for r in model.history] == [r["loss"] for r in uninterrupted.history]
    assert [p.name for p in checkpoint.find(folder)] == ["step-000000009", "step-000000012"]
    newest = checkpoint.latest(folder)
    manifest = checkpoint.verify(newest)
    assert set(manifest["files"]) == {"model.safetensors", "optimizer.pt", "rng.pt", "progress.json"}
    progress = json.loads((newest / "progress.json").read_text())
    assert progress["done"] and progress["epoch"] == 4 and progress["step"] == 0 and len(progress["history"]) == 3
    mid = json.loads((folder / "step-000000009" / "progress.json").read_text())
    assert (mid["epoch"], mid["step"]) == (3, 1)  # step 9 = the first batch of epoch 3
    # resuming a finished run trains no further and gives the same model
    again = fit_tiny(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), checkpoint_every=3, resume=True)
    assert again.history == model.history
    assert nerkit.predict(again, tiny_data).tags == nerkit.predict(model, tiny_data).tags


class Crash(Exception):
    pass


def test_resume_keeps_the_validation_choice(tmp_path, tiny_model_dir, tiny_data, monkeypatch):
    folder = tmp_path / "ck"
    options = dict(validation=tiny_data, patience=2, epochs=4)
    full = fit_tiny(tiny_data, tiny_model_dir, **options)
    step, calls = nerkit.training.loop._Run.step, []

    def crashing_step(*args, **kwargs):  # dies in epoch 3, after two epochs' checkpoints
        calls.append(1)
        if len(calls) == 10:
            raise Crash
        return step(*args, **kwargs)

    monkeypatch.setattr(nerkit.training.loop._Run, "step", crashing_step)
    with pytest.raises(Crash):
        fit_tiny(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), **options)
    monkeypatch.setattr(nerkit.training.loop._Run, "step", step)
    assert (checkpoint.latest(folder) / "best.safetensors").exists()
    resumed = fit_tiny(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), resume=True, **options)
    assert [r["val_f1"] for r in resumed.history] == [r["val_f1"] for r in full.history]
    assert [r["loss"] for r in resumed.history] == pytest.approx([r["loss"] for r in full.history], abs=1e-6)
    assert nerkit.predict(resumed, tiny_data).tags == nerkit.predict(full, tiny_data).tags


def test_a_fresh_run_refuses_a_folder_with_checkpoints(written, tiny_model_dir, tiny_data):
    with pytest.raises(ConfigError, match="holds checkpoints of an earlier run; pass --resume"):
        fit_tiny(tiny_data, tiny_model_dir, epochs=2, checkpoint_dir=str(written))


def test_resume_with_other_options_or_data_is_refused(written, tiny_model_dir, tiny_data):
    with pytest.raises(ConfigError, match=r"another run \(lr 0.005 there, 0.001 now\)"):
        nerkit.fit(
            tiny_data,
            str(tiny_model_dir),
            **{**OPTIONS, "epochs": 2, "lr": 1e-3},
            checkpoint_dir=str(written),
            resume=True,
        )
    fewer = tiny_data.select(range(6))
    with pytest.raises(ConfigError, match="the training data differ"):
        resume_tiny(written, tiny_model_dir, fewer)


def test_resume_without_a_checkpoint_starts_afresh(tmp_path, tiny_model_dir, tiny_data, capsys):
    model = nerkit.fit(
        tiny_data,
        str(tiny_model_dir),
        **{**OPTIONS, "progress": True, "epochs": 1},
        checkpoint_dir=str(tmp_path / "none"),
        resume=True,
    )
    assert "no checkpoint in" in capsys.readouterr().err
    assert len(model.history) == 1


def test_cli_checkpoints_resume_and_cleanup(tmp_path, tiny_conll, tiny_model_dir, capsys):
    out = tmp_path / "m"
    argv = [
        "train",
        "--data",
        str(tiny_conll),
        "--test-data",
        str(tiny_conll),
        "--model",
        str(tiny_model_dir),
        "--epochs",
        "2",
        "--batch-size",
        "2",
        "--max-len",
        "32",
        "--no-progress",
        "--output",
        str(out),
        "--checkpoint-every",
        "3",
    ]
    assert main([*argv, "--keep-checkpoints"]) == 0
    folder = tmp_path / "m.checkpoints"
    assert [p.name for p in checkpoint.find(folder)] == ["step-000000006", "step-000000008"]
    first = json.loads((out / "nerkit.json").read_text())["history"]
    # As if the run had died after its last checkpoint: --resume finishes it without training again.
    shutil.rmtree(out)
    assert main([*argv, "--resume"]) == 0
    assert json.loads((out / "nerkit.json").read_text())["history"] == first
    assert not folder.exists()  # removed once the model is saved
    capsys.readouterr()


def test_averaged_weights_are_the_mean_of_the_last_epochs_and_survive_a_resume(
    tmp_path, tiny_model_dir, tiny_data, monkeypatch
):
    from safetensors.torch import load_file

    options = dict(epochs=4, average_epochs=2, precision="fp32")
    folder = tmp_path / "ck"
    averaged = fit_tiny(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), **options)
    # The newest two checkpoints are the ends of epochs 3 and 4: their weights' mean is the model.
    last_two = [load_file(str(path / "model.safetensors")) for path in checkpoint.find(folder)]
    assert len(last_two) == 2
    state = averaged.network.state_dict()
    for name, value in last_two[0].items():
        if value.is_floating_point():
            assert torch.allclose(state[name], (value + last_two[1][name]) / 2, atol=1e-6), name
    assert not torch.equal(last_two[0]["crf.transitions"], last_two[1]["crf.transitions"])  # two different epochs
    # Killed in epoch 4, after epoch 3's weights went into the mean: the resumed run ends with the same mean.
    step, calls = nerkit.training.loop._Run.step, []

    def crashing_step(*args, **kwargs):
        calls.append(1)
        if len(calls) == 14:  # 4 steps an epoch (8 sentences, batches of 2): in epoch 4
            raise Crash
        return step(*args, **kwargs)

    again = tmp_path / "again"
    monkeypatch.setattr(nerkit.training.loop._Run, "step", crashing_step)
    with pytest.raises(Crash):
        fit_tiny(tiny_data, tiny_model_dir, checkpoint_dir=str(again), **options)
    monkeypatch.setattr(nerkit.training.loop._Run, "step", step)
    resumed = fit_tiny(tiny_data, tiny_model_dir, checkpoint_dir=str(again), resume=True, **options)
    for name, value in resumed.network.state_dict().items():
        assert torch.allclose(value, state[name], atol=1e-6), name


def test_averaging_and_a_validation_set_are_not_combined(tiny_model_dir, tiny_data):
    with pytest.raises(ConfigError, match="use one of them"):
        fit_tiny(tiny_data, tiny_model_dir, validation=tiny_data, average_epochs=2)
    with pytest.raises(ConfigError, match="--average-epochs"):
        fit_tiny(tiny_data, tiny_model_dir, average_epochs=5)  # more than the 3 epochs
