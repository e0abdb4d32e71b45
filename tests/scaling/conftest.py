"""Fixtures of the scaling tests: the trained tiny model, saved, and documents for it."""

import pytest

TEXTS = [
    "Barack Obama visited Paris.",
    "Google opened an office in London, and Merkel met Obama in Berlin.",
    "The Olympics were held in Paris.",
    "Microsoft hired Angela in Berlin.",
    "London and Berlin are cities.",
]


@pytest.fixture(scope="module")
def model_dir(trained_tiny, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scaling") / "model"
    trained_tiny.save(folder)
    return folder


def texts(n: int) -> list[str]:
    """``n`` documents, of different lengths so blocks and batches differ in shape."""
    return [" ".join([TEXTS[i % len(TEXTS)]] * (1 + i % 3)) + f" Item {i}." for i in range(n)]
