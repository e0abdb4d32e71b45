"""Crash-safe checkpoints: kill -9 mid-epoch, resume, same run; damaged checkpoints refused; no unpickling."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import nerkit
from nerkit import checkpoint
from nerkit.cli import main
from nerkit.errors import ConfigError, ModelError

# 8 sentences in batches of 2: 4 steps an epoch, 12 in all; checkpoints every 3 steps fall mid-epoch.
OPTIONS = dict(epochs=3, batch_size=2, lr=5e-3, max_len=32, warmup=0.2, progress=False)

CHILD = textwrap.dedent("""
    import json, sys, time, warnings
    import torch
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    import nerkit, nerkit.train
    args = json.loads(sys.argv[1])
    collate = nerkit.train.collate
    def slow_collate(*a, **k):  # slow enough for the test to kill it mid-run
        time.sleep(0.25)
        return collate(*a, **k)
    nerkit.train.collate = slow_collate
    data = nerkit.Dataset(args["sentences"], args["labels"])
    nerkit.fit(data, args["model"], checkpoint_dir=args["dir"], checkpoint_every=3, **args["options"])
    print("finished")
""")


def _fit(data, model_dir, **extra):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nerkit.fit(data, str(model_dir), **{**OPTIONS, **extra})


@pytest.fixture(scope="module")
def uninterrupted(tiny_model_dir, tiny_data):
    return _fit(tiny_data, tiny_model_dir)


def test_resume_after_kill_9_mid_epoch_gives_the_same_run(tmp_path, tiny_model_dir, tiny_data, uninterrupted):
    folder = tmp_path / "checkpoints"
    args = {"sentences": tiny_data.sentences, "labels": tiny_data.labels, "model": str(tiny_model_dir),
            "dir": str(folder), "options": OPTIONS}
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(args)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
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

    resumed = _fit(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), checkpoint_every=3, resume=True)
    expected = [r["loss"] for r in uninterrupted.history]
    assert [r["loss"] for r in resumed.history] == pytest.approx(expected, rel=0, abs=1e-6)
    assert [r["lr"] for r in resumed.history] == pytest.approx([r["lr"] for r in uninterrupted.history], abs=1e-12)
    a = nerkit.predict(uninterrupted, tiny_data, probabilities=True)
    b = nerkit.predict(resumed, tiny_data, probabilities=True)
    assert a.tags == b.tags
    assert max(np.abs(x - y).max() for x, y in zip(a.probabilities, b.probabilities)) < 1e-6


def test_checkpoints_every_k_steps_and_epoch_keep_the_newest_two(tmp_path, tiny_model_dir, tiny_data, uninterrupted):
    folder = tmp_path / "ck"
    model = _fit(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), checkpoint_every=3)
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
    again = _fit(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), checkpoint_every=3, resume=True)
    assert again.history == model.history
    assert nerkit.predict(again, tiny_data).tags == nerkit.predict(model, tiny_data).tags


class Crash(Exception):
    pass


def test_resume_keeps_the_validation_choice(tmp_path, tiny_model_dir, tiny_data, monkeypatch):
    import nerkit.train

    folder = tmp_path / "ck"
    options = dict(validation=tiny_data, patience=2, epochs=4)
    full = _fit(tiny_data, tiny_model_dir, **options)
    collate, calls = nerkit.train.collate, []

    def crashing_collate(*args, **kwargs):  # dies in epoch 3, after two epochs' checkpoints
        calls.append(1)
        if len(calls) == 10:
            raise Crash
        return collate(*args, **kwargs)

    monkeypatch.setattr(nerkit.train, "collate", crashing_collate)
    with pytest.raises(Crash):
        _fit(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), **options)
    monkeypatch.setattr(nerkit.train, "collate", collate)
    assert (checkpoint.latest(folder) / "best.safetensors").exists()
    resumed = _fit(tiny_data, tiny_model_dir, checkpoint_dir=str(folder), resume=True, **options)
    assert [r["val_f1"] for r in resumed.history] == [r["val_f1"] for r in full.history]
    assert [r["loss"] for r in resumed.history] == pytest.approx([r["loss"] for r in full.history], abs=1e-6)
    assert nerkit.predict(resumed, tiny_data).tags == nerkit.predict(full, tiny_data).tags


@pytest.fixture()
def written(tmp_path, tiny_model_dir, tiny_data):
    folder = tmp_path / "ck"
    _fit(tiny_data, tiny_model_dir, epochs=2, checkpoint_dir=str(folder))
    return folder


def _resume(folder, tiny_model_dir, tiny_data):
    return _fit(tiny_data, tiny_model_dir, epochs=2, checkpoint_dir=str(folder), resume=True)


def test_truncated_file_is_reported_not_loaded(written, tiny_model_dir, tiny_data):
    newest = checkpoint.latest(written)
    weights = newest / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ModelError, match=r"model\.safetensors has 1000 bytes.*delete .*step-000000008.*step-000000004"):
        _resume(written, tiny_model_dir, tiny_data)


def test_changed_byte_fails_the_checksum(written, tiny_model_dir, tiny_data):
    state = checkpoint.latest(written) / "optimizer.pt"
    data = bytearray(state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"optimizer\.pt does not match its SHA-256"):
        _resume(written, tiny_model_dir, tiny_data)


def test_missing_manifest_or_file_is_incomplete(written, tiny_model_dir, tiny_data):
    newest = checkpoint.latest(written)
    (newest / "rng.pt").unlink()
    with pytest.raises(ModelError, match=r"incomplete: rng\.pt is missing"):
        _resume(written, tiny_model_dir, tiny_data)
    (newest / "manifest.json").unlink()
    with pytest.raises(ModelError, match="incomplete: it has no manifest.json"):
        _resume(written, tiny_model_dir, tiny_data)


def test_a_write_cut_short_leaves_only_a_hidden_folder_that_is_ignored(written, tiny_model_dir, tiny_data):
    # What a kill during the save after epoch 2 leaves: a hidden temporary folder without its manifest.
    shutil.rmtree(written / "step-000000008")
    partial = written / ".step-000000008.abc123"
    shutil.copytree(written / "step-000000004", partial)
    (partial / "manifest.json").unlink()
    assert checkpoint.latest(written).name == "step-000000004"
    resumed = _resume(written, tiny_model_dir, tiny_data)
    assert not partial.exists()  # cleared by the next save
    assert checkpoint.latest(written).name == "step-000000008"
    assert len(resumed.history) == 2


def test_a_fresh_run_refuses_a_folder_with_checkpoints(written, tiny_model_dir, tiny_data):
    with pytest.raises(ConfigError, match="holds checkpoints of an earlier run; pass --resume"):
        _fit(tiny_data, tiny_model_dir, epochs=2, checkpoint_dir=str(written))


def test_resume_with_other_options_or_data_is_refused(written, tiny_model_dir, tiny_data):
    with pytest.raises(ConfigError, match=r"another run \(lr 0.005 there, 0.001 now\)"):
        nerkit.fit(tiny_data, str(tiny_model_dir), **{**OPTIONS, "epochs": 2, "lr": 1e-3},
                   checkpoint_dir=str(written), resume=True)
    fewer = tiny_data.select(range(6))
    with pytest.raises(ConfigError, match="the training data differ"):
        _resume(written, tiny_model_dir, fewer)


def test_resume_without_a_checkpoint_starts_afresh(tmp_path, tiny_model_dir, tiny_data, capsys):
    model = nerkit.fit(tiny_data, str(tiny_model_dir), **{**OPTIONS, "progress": True, "epochs": 1},
                       checkpoint_dir=str(tmp_path / "none"), resume=True)
    assert "no checkpoint in" in capsys.readouterr().err
    assert len(model.history) == 1


def test_bad_checkpoint_options():
    with pytest.raises(ConfigError, match="resume needs"):
        nerkit.TrainConfig(resume=True)
    with pytest.raises(ConfigError, match="checkpoint_every"):
        nerkit.TrainConfig(checkpoint_every=-1)


class _Payload:
    """Unpickling this would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _plant(path: Path, marker: Path):
    torch.save({"optimizer": _Payload(marker)}, path)
    manifest = json.loads((path.parent / "manifest.json").read_text())
    # A forger can fix the checksums too; the manifest is no defence against malice, weights_only is.
    manifest["files"][path.name] = {"bytes": path.stat().st_size, "sha256": checkpoint._sha256(path)}
    (path.parent / "manifest.json").write_text(json.dumps(manifest))


def test_checkpoint_files_are_never_unpickled(written, tiny_model_dir, tiny_data, tmp_path):
    marker = tmp_path / "ran"
    _plant(checkpoint.latest(written) / "optimizer.pt", marker)
    with pytest.raises(ModelError, match="not plain tensors"):
        _resume(written, tiny_model_dir, tiny_data)
    assert not marker.exists()


def test_model_weights_are_never_unpickled(tiny_model_dir, tmp_path):
    folder = tmp_path / "evil"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "ran"
    torch.save({"weight": _Payload(marker)}, folder / "pytorch_model.bin")
    with pytest.raises(ModelError, match="not plain tensors"):
        nerkit.load_model(folder)
    assert not marker.exists()


def test_cli_checkpoints_resume_and_cleanup(tmp_path, tiny_conll, tiny_model_dir, capsys):
    out = tmp_path / "m"
    argv = ["train", "--data", str(tiny_conll), "--test-data", str(tiny_conll), "--model", str(tiny_model_dir),
            "--epochs", "2", "--batch-size", "2", "--max-len", "32", "--no-progress", "--output", str(out),
            "--checkpoint-every", "3"]
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


def test_cli_reports_a_damaged_checkpoint_on_one_line(tmp_path, tiny_conll, tiny_model_dir, written, capsys):
    (checkpoint.latest(written) / "progress.json").write_text("{}")
    code = main(["train", "--data", str(tiny_conll), "--model", str(tiny_model_dir), "--epochs", "2",
                 "--output", str(tmp_path / "m"), "--checkpoint-dir", str(written), "--resume", "--no-progress"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "Traceback" not in "\n".join(lines)
    assert [line for line in lines if "error" in line] == lines[-1:]  # one line, after "training on ..."
    assert "progress.json" in lines[-1] and "damaged" in lines[-1]


def test_cli_bad_checkpoint_every(tmp_path, capsys):
    code = main(["train", "--data", "wikigold", "--output", str(tmp_path / "m"), "--checkpoint-every", "-2"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "checkpoint_every" in err
