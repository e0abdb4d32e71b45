"""Fixtures of the training tests."""

import pytest

from .helpers import fit_tiny


@pytest.fixture()
def written(tmp_path, tiny_model_dir, tiny_data):
    """A checkpoint folder written by a 2-epoch run of the tiny model."""
    folder = tmp_path / "ck"
    fit_tiny(tiny_data, tiny_model_dir, epochs=2, checkpoint_dir=str(folder))
    return folder
