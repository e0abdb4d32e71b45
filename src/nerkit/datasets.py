"""Data sets that ship with nerkit.

wikigold: 145 Wikipedia articles hand-annotated with IO tags (``O``, ``I-LOC``,
``I-MISC``, ``I-ORG``, ``I-PER``), licensed CC BY 4.0. Cite it with
:data:`WIKIGOLD_ATTRIBUTION` when you publish results on it.

>>> ds = wikigold()
>>> len(ds), ds.n_documents
(1696, 145)
>>> ds.sentences[0][:4]
['010', 'is', 'the', 'tenth']
"""

from __future__ import annotations

from importlib import resources

from .data import Dataset, read_conll

__all__ = ["wikigold", "wikigold_license", "WIKIGOLD_ATTRIBUTION"]

WIKIGOLD_ATTRIBUTION = (
    "Dominic Balasuriya, Nicky Ringland, Joel Nothman, Tara Murphy, James R. Curran "
    "(2009). Named entity recognition in Wikipedia. Proceedings of the 2009 Workshop "
    "on The People's Web Meets NLP: Collaboratively Constructed Semantic Resources, "
    "ACL. W09-3302.\n"
    "Joel Nothman et al. (2013). Learning multilingual named entity recognition from "
    "Wikipedia. Artificial Intelligence 194: 151-175."
)


def _wikigold_resource(name: str):
    # importlib.resources, not __file__, so this also works from a zipped install.
    return resources.files("nerkit").joinpath("resources", "wikigold", name)


def wikigold() -> Dataset:
    """The packaged wikigold corpus: 1,696 sentences (39,007 tokens) in 145 documents.

    Its README's "1,841 sentences" counts the blank-line-separated blocks, which
    include the 145 ``-DOCSTART-`` lines; those are document markers, not sentences.
    """
    with resources.as_file(_wikigold_resource("wikigold.conll.txt")) as path:
        return read_conll(path, name="wikigold")


def wikigold_license() -> str:
    """The licence text shipped with wikigold (CC BY 4.0)."""
    return _wikigold_resource("LICENSE").read_text(encoding="utf-8")
