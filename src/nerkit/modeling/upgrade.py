"""Save a model directory again in the current format (custom code for transformers, model card).

>>> from nerkit.modeling.upgrade import upgrade
>>> upgrade("runs/wikigold")                                   # doctest: +SKIP
PosixPath('runs/wikigold')

A directory of format 1 loads in nerkit as it did, but in plain transformers it silently
lost its casing features and CRF; :func:`upgrade` (``nerkit upgrade --model DIR``)
rewrites it in place with the same weights and settings, so it carries its custom code and
a model card. The held-out evaluation saved beside the model (``test_report.json``) goes
into the card, and every other file of the directory (an error page, notes) is kept.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import ModelError
from .card import REPORT_FILE
from .model import _replace
from .store import load_model

__all__ = ["upgrade"]


def upgrade(directory: str | os.PathLike) -> Path:
    """Re-save the model in ``directory`` in place; see the module docstring."""
    directory = Path(directory)
    model = load_model(directory, device="cpu")
    report = directory / REPORT_FILE
    try:
        evaluation = json.loads(report.read_text()) if report.is_file() else None
    except ValueError:
        raise ModelError(f"{report} is not valid JSON; fix or delete it, then upgrade again") from None
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.upgrade.", dir=directory.parent))
    try:
        new = model.save(staging / directory.name, evaluation=evaluation)
        for entry in directory.iterdir():  # what the model does not write: keep it
            if not (new / entry.name).exists():
                copy = shutil.copytree if entry.is_dir() else shutil.copy2
                copy(entry, new / entry.name)
        _replace(directory, new)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory
