"""Word shapes: casing given back to uncased models.

An uncased model (such as the embedded MiniLM) lower-cases its input and never sees a
capital letter. Each word piece is given its word's shape (lower, Title, UPPER, mixed,
digits, a capital that only marks the sentence start, other), which the model reads
through its token-type embeddings (``nerkit.modeling.network.enable_casing``).
"""

from __future__ import annotations

import functools

__all__ = ["SHAPES", "N_SHAPES", "word_shape"]

# Word shapes, fed to the model through its token-type embeddings. An uncased model
# (such as the embedded MiniLM) never sees capital letters; this gives them back.
SHAPES = ("other", "lower", "title", "upper", "mixed", "digit", "initial-title")
N_SHAPES = len(SHAPES)


@functools.lru_cache(maxsize=1 << 16)
def word_shape(word: str, first: bool = False) -> int:
    """A small casing category for a word.

    >>> [SHAPES[word_shape(w)] for w in ["paris", "Paris", "NASA", "iPhone", "1997", ","]]
    ['lower', 'title', 'upper', 'mixed', 'digit', 'other']
    >>> SHAPES[word_shape("The", first=True)]   # a capital that only marks a sentence start
    'initial-title'

    Remembered for the 65,536 words asked about most recently: text repeats its words, and
    this runs for every word that is tagged (a fifth of a tiny model's prediction time before).
    """
    # str methods mapped over characters, in C, not a Python loop per character.
    letters = "".join(filter(str.isalpha, word))
    if not letters:
        return 5 if any(map(str.isdigit, word)) else 0
    if all(map(str.islower, letters)):
        return 1
    if letters[0].isupper() and not any(map(str.isupper, letters[1:])):
        return 6 if first else 2
    if all(map(str.isupper, letters)):
        return 3 if len(letters) > 1 else (6 if first else 2)
    return 4
