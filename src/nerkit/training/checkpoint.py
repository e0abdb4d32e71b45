"""Crash-safe training checkpoints: written atomically, checked before they are loaded.

>>> import nerkit
>>> train = nerkit.load("wikigold")
>>> model = nerkit.fit(train, checkpoint_dir="runs/x.checkpoints", checkpoint_every=200)  # doctest: +SKIP
>>> # ... the machine dies (kill -9, power cut) in epoch 4 ...
>>> model = nerkit.fit(train, checkpoint_dir="runs/x.checkpoints", checkpoint_every=200,
...                    resume=True)                                                        # doctest: +SKIP

A checkpoint is a folder ``step-000000400`` holding

- ``model.safetensors``: the network's weights (safetensors: no code runs when it is read);
- ``optimizer.pt``: optimizer and learning-rate scheduler state;
- ``rng.pt``: the Python, NumPy and torch random states of every process (dropout masks);
- ``best.safetensors``: the best epoch's weights so far, when a validation set picks one;
- ``progress.json``: epoch, step within the epoch (the epoch's batch order comes from its
  seed, so skipping the steps done restores the data order), partial sums of the epoch's
  loss, the history, and what identifies the run (options, data), so a resume with other
  options or data is refused instead of silently mixing two runs;
- ``manifest.json``: size and SHA-256 of each file above, written last.

Atomic: the files go into a hidden temporary folder next to the checkpoints, each flushed
to disk, the manifest last, and the folder is then renamed into place (``os.replace``,
atomic on POSIX). A process killed at any moment leaves either a complete checkpoint or a
hidden temporary folder that is ignored and cleared later. A damaged checkpoint (a file
truncated or changed since, a folder copied in part) fails its manifest and is reported
with a :class:`~nerkit.errors.ModelError` naming the file; it is never loaded. When the
saved model supersedes the checkpoints, :func:`remove` deletes them. The
``.pt`` files are read with ``torch.load(..., weights_only=True)``, which unpickles tensors
and plain containers only, never arbitrary objects.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import ModelError

# 2: the network's weights are those of nerkit.modeling.network.TokenClassifier (encoder.*, crf.*).
FORMAT_VERSION = 2
KEEP = 2  # checkpoints kept: the newest and one before it, in case the newest is damaged later
MANIFEST = "manifest.json"
PREFIX = "step-"


@dataclass
class Restored:
    """What :func:`load` gives back besides the state it loads into the objects."""

    path: Path
    progress: dict
    rng: list[dict]  # one random state per process, in rank order
    best_state: dict[str, torch.Tensor] | None


def rng_state() -> dict:
    """The random states of Python, NumPy and torch (CPU and the current GPU), as tensors and tuples."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {
        "python": random.getstate(),
        # weights_only loading takes tensors, not NumPy arrays: keep the keys as a tensor.
        "numpy": (name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(gauss)),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(_tuples(state["python"]))
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


def _tuples(value):
    # random.setstate wants tuples all the way down; a round trip through torch.save keeps them,
    # this only guards against lists.
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def find(directory: str | os.PathLike) -> list[Path]:
    """The checkpoint folders in ``directory``, oldest first (hidden temporary ones excluded)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and p.name.startswith(PREFIX))


def latest(directory: str | os.PathLike) -> Path | None:
    found = find(directory)
    return found[-1] if found else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(
    directory: str | os.PathLike,
    global_step: int,
    network: torch.nn.Module,
    optimizer,
    scheduler,
    progress: dict,
    rng: list[dict],
    best_state: dict[str, torch.Tensor] | None = None,
    keep: int = KEEP,
) -> Path:
    """Write a checkpoint for ``global_step`` atomically; keep the newest ``keep``; return its folder."""
    from safetensors.torch import save_file, save_model

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(f".{PREFIX}*"):  # left by a process killed while writing
        shutil.rmtree(stale, ignore_errors=True)
    final = directory / f"{PREFIX}{global_step:09d}"
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=directory))
    try:
        save_model(network, str(tmp / "model.safetensors"))
        torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, tmp / "optimizer.pt")
        torch.save({"ranks": rng}, tmp / "rng.pt")
        if best_state is not None:
            save_file({k: v.contiguous() for k, v in best_state.items()}, str(tmp / "best.safetensors"))
        (tmp / "progress.json").write_text(json.dumps(progress, indent=1) + "\n")
        files = sorted(p.name for p in tmp.iterdir())
        for name in files:
            _fsync(tmp / name)
        manifest = {
            "format_version": FORMAT_VERSION,
            "global_step": global_step,
            "files": {name: {"bytes": (tmp / name).stat().st_size, "sha256": _sha256(tmp / name)} for name in files},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        _fsync(tmp / MANIFEST)
        if final.exists():  # the same step written again (a resumed run): replace it whole
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync(directory)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for old in find(directory)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def verify(path: str | os.PathLike) -> dict:
    """Check every file of a checkpoint against its manifest; return the manifest or raise ModelError."""
    path = Path(path)
    older = [p for p in find(path.parent) if p.name < path.name]
    fix = (
        f"delete {path} to resume from the checkpoint before it ({older[-1].name})"
        if older
        else f"delete {path} and train without --resume"
    )
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        raise ModelError(f"checkpoint {path} is incomplete: it has no {MANIFEST} (a partial copy?); {fix}")
    try:
        manifest = json.loads(manifest_path.read_text())
        files = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise ModelError(f"checkpoint {path} is damaged: {MANIFEST} cannot be read; {fix}") from None
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise ModelError(
            f"checkpoint {path} was written by a newer nerkit (format {manifest['format_version']}); upgrade nerkit"
        )
    if manifest.get("format_version", 0) < FORMAT_VERSION:
        raise ModelError(
            f"checkpoint {path} was written by an older nerkit (format {manifest.get('format_version')}) "
            f"and cannot be resumed by this one; delete {path.parent} and train again without --resume"
        )
    for name, expected in files.items():
        file = path / name
        if not file.is_file():
            raise ModelError(f"checkpoint {path} is incomplete: {name} is missing; {fix}")
        size = file.stat().st_size
        if size != expected["bytes"]:
            raise ModelError(
                f"checkpoint {path} is damaged: {name} has {size} bytes, "
                f"the manifest says {expected['bytes']} (a partial write?); {fix}"
            )
        if _sha256(file) != expected["sha256"]:
            raise ModelError(f"checkpoint {path} is damaged: {name} does not match its SHA-256 checksum; {fix}")
    return manifest


def _read_tensors(file: Path):
    """A torch file that may hold tensors and plain containers only: anything else is refused, never run."""
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelError(
            f"{file} holds objects that are not plain tensors ({str(exc).splitlines()[0][:120]}), "
            "so it was not loaded; use checkpoints written by nerkit only"
        ) from None


def load(path: str | os.PathLike, network: torch.nn.Module, optimizer, scheduler) -> Restored:
    """Verify the checkpoint at ``path``, then load its state into ``network``, ``optimizer`` and ``scheduler``."""
    from safetensors.torch import load_file, load_model

    path = Path(path)
    files = verify(path)["files"]
    try:
        load_model(network, str(path / "model.safetensors"), strict=True)
    except RuntimeError as exc:
        raise ModelError(
            f"checkpoint {path} holds weights of another model ({str(exc).splitlines()[0]}); "
            "resume with the --model it was trained from"
        ) from None
    states = _read_tensors(path / "optimizer.pt")
    optimizer.load_state_dict(states["optimizer"])
    scheduler.load_state_dict(states["scheduler"])
    rng = _read_tensors(path / "rng.pt")["ranks"]
    best = None
    if "best.safetensors" in files:
        best = load_file(str(path / "best.safetensors"))
    return Restored(path, json.loads((path / "progress.json").read_text()), rng, best)


def remove(directory: str | os.PathLike) -> None:
    """Delete the checkpoints in ``directory`` (and temporary ones of killed writes), then the folder if empty."""
    directory = Path(directory)
    for folder in [*find(directory), *directory.glob(f".{PREFIX}*")]:
        shutil.rmtree(folder, ignore_errors=True)
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
