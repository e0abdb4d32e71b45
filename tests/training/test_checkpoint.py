"""Checkpoint files: damaged or old-format checkpoints refused, partial writes ignored, nothing unpickled.

(Runs killed and resumed are in tests/training/test_resume.py.)
"""

import json
import os
import shutil
from pathlib import Path

import pytest
import torch

import nerkit
from nerkit.cli import main
from nerkit.errors import ModelError
from nerkit.training import checkpoint

from .helpers import fit_tiny, resume_tiny


def test_truncated_file_is_reported_not_loaded(written, tiny_model_dir, tiny_data):
    newest = checkpoint.latest(written)
    weights = newest / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ModelError, match=r"model\.safetensors has 1000 bytes.*delete .*step-000000008.*step-000000004"):
        resume_tiny(written, tiny_model_dir, tiny_data)


def test_changed_byte_fails_the_checksum(written, tiny_model_dir, tiny_data):
    state = checkpoint.latest(written) / "optimizer.pt"
    data = bytearray(state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"optimizer\.pt does not match its SHA-256"):
        resume_tiny(written, tiny_model_dir, tiny_data)


def test_missing_manifest_or_file_is_incomplete(written, tiny_model_dir, tiny_data):
    newest = checkpoint.latest(written)
    (newest / "rng.pt").unlink()
    with pytest.raises(ModelError, match=r"incomplete: rng\.pt is missing"):
        resume_tiny(written, tiny_model_dir, tiny_data)
    (newest / "manifest.json").unlink()
    with pytest.raises(ModelError, match="incomplete: it has no manifest.json"):
        resume_tiny(written, tiny_model_dir, tiny_data)


def test_a_write_cut_short_leaves_only_a_hidden_folder_that_is_ignored(written, tiny_model_dir, tiny_data):
    # What a kill during the save after epoch 2 leaves: a hidden temporary folder without its manifest.
    shutil.rmtree(written / "step-000000008")
    partial = written / ".step-000000008.abc123"
    shutil.copytree(written / "step-000000004", partial)
    (partial / "manifest.json").unlink()
    assert checkpoint.latest(written).name == "step-000000004"
    resumed = resume_tiny(written, tiny_model_dir, tiny_data)
    assert not partial.exists()  # cleared by the next save
    assert checkpoint.latest(written).name == "step-000000008"
    assert len(resumed.history) == 2


def _as_format_1(path: Path) -> None:
    """Make the checkpoint at ``path`` one that nerkit wrote before FORMAT_VERSION 2.

    Format 1 saved the transformers model itself (``bert.*``, ``classifier.*``, ``crf.*``);
    format 2 saves the TokenClassifier around it (``encoder.bert.*``, ...). The manifest is
    rewritten to match, so the files themselves are intact: only the format is old.
    """
    from safetensors.torch import load_file, save_file

    weights = path / "model.safetensors"
    state = load_file(str(weights))
    assert any(k.startswith("encoder.") for k in state)
    save_file({k.removeprefix("encoder."): v.contiguous() for k, v in state.items()}, str(weights))
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 1
    manifest["files"][weights.name] = {"bytes": weights.stat().st_size, "sha256": checkpoint._sha256(weights)}
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_an_old_format_checkpoint_is_refused_on_one_line_naming_the_fix(
    tmp_path, tiny_conll, tiny_model_dir, tiny_data, written, capsys
):
    assert checkpoint.FORMAT_VERSION == 2
    for path in checkpoint.find(written):
        _as_format_1(path)
    newest = checkpoint.latest(written)
    with pytest.raises(ModelError) as refused:
        resume_tiny(written, tiny_model_dir, tiny_data)
    message = str(refused.value)
    assert "\n" not in message
    assert f"checkpoint {newest} was written by an older nerkit (format 1)" in message
    assert f"delete {written} and train again without --resume" in message
    # the same through the command line: one error line, after "training on ..."
    lines = _resume_on_the_command_line(tmp_path, tiny_conll, tiny_model_dir, written, capsys)
    assert [line for line in lines if "error" in line] == lines[-1:]
    assert "older nerkit" in lines[-1] and f"delete {written} and train again without --resume" in lines[-1]
    # the fix named works
    shutil.rmtree(written)
    again = fit_tiny(tiny_data, tiny_model_dir, epochs=2, checkpoint_dir=str(written))
    assert len(again.history) == 2
    assert checkpoint.verify(checkpoint.latest(written))["format_version"] == checkpoint.FORMAT_VERSION


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
        resume_tiny(written, tiny_model_dir, tiny_data)
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


def test_cli_reports_a_damaged_checkpoint_on_one_line(tmp_path, tiny_conll, tiny_model_dir, written, capsys):
    (checkpoint.latest(written) / "progress.json").write_text("{}")
    lines = _resume_on_the_command_line(tmp_path, tiny_conll, tiny_model_dir, written, capsys)
    assert [line for line in lines if "error" in line] == lines[-1:]  # one line, after "training on ..."
    assert "progress.json" in lines[-1] and "damaged" in lines[-1]


def _resume_on_the_command_line(tmp_path, tiny_conll, tiny_model_dir, folder, capsys) -> list[str]:
    """``nerkit train --resume`` from ``folder``; it must fail with exit 2 and no traceback. Its stderr lines."""
    argv = ["train", "--data", str(tiny_conll), "--model", str(tiny_model_dir), "--epochs", "2"]
    argv += ["--output", str(tmp_path / "m"), "--checkpoint-dir", str(folder), "--resume", "--no-progress"]
    code = main(argv)
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "Traceback" not in "\n".join(lines)
    return lines
