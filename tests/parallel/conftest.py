"""Fixtures of the parallel tests."""

import pytest


@pytest.fixture(scope="module")
def model_dir(trained_tiny, tmp_path_factory):
    """The trained tiny model, saved."""
    folder = tmp_path_factory.mktemp("dist") / "model"
    trained_tiny.save(folder)
    return folder
