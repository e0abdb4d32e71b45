"""A data set's fingerprint: the same words in the same sentences and documents give the same one.

>>> a = Dataset([["Anna", "sings"], ["Rome"]], [["I-PER", "O"], ["I-LOC"]], doc_ids=[0, 1])
>>> b = Dataset([["Anna", "sings"], ["Rome"]], [["B-PER", "O"], ["B-LOC"]], doc_ids=[0, 1])
>>> fingerprint(a) == fingerprint(b)          # tags do not count: a re-tagged copy is the same text
True
>>> fingerprint(a) == fingerprint(a.select([1, 0]))
False

A trained model records the fingerprint of the data it was split from (``nerkit.json``), so
scoring it later can tell, whatever the file is called or where it lies, whether ``--data``
is that very data, and so which of its sentences the model was trained on. The words and
document boundaries are what a split depends on, so they are what is hashed.
"""

from __future__ import annotations

import hashlib

from .dataset import Dataset

__all__ = ["fingerprint"]


def fingerprint(dataset: Dataset) -> str:
    """SHA-256 (hex) of the sentences' words and document ids, in order."""
    digest = hashlib.sha256()
    for doc, words in zip(dataset.doc_ids, dataset.sentences):
        # Separators that cannot occur inside a word keep ["ab"] and ["a", "b"] apart.
        digest.update(f"{doc}\x1e{chr(0x1F).join(words)}\x1d".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()
