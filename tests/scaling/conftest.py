"""Fixtures of the scaling tests: documents for the trained tiny model (tests/conftest.py saves it)."""

TEXTS = [
    "Barack Obama visited Paris.",
    "Google opened an office in London, and Merkel met Obama in Berlin.",
    "The Olympics were held in Paris.",
    "Microsoft hired Angela in Berlin.",
    "London and Berlin are cities.",
]


def texts(n: int) -> list[str]:
    """``n`` documents, of different lengths so blocks and batches differ in shape."""
    return [" ".join([TEXTS[i % len(TEXTS)]] * (1 + i % 3)) + f" Item {i}." for i in range(n)]
