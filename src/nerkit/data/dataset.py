"""The data set: sentences of words, their tags and the document each came from.

>>> ds = Dataset([["Anna", "sings"], ["Rome"]], [["I-PER", "O"], ["I-LOC"]], doc_ids=[0, 1])
>>> len(ds), ds.n_documents, unique_labels(ds)
(2, 2, ['O', 'I-LOC', 'I-PER'])
>>> ds.select([1]).sentences
[['Rome']]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import DataError

__all__ = ["Dataset", "unique_labels"]


@dataclass
class Dataset:
    """Sentences of words, their tags (``None`` when untagged) and document ids."""

    sentences: list[list[str]]
    labels: list[list[str]] | None
    # None means "one document"; normalised to all zeros so callers can rely on a list.
    doc_ids: list[int] = None  # type: ignore[assignment]
    name: str = ""
    # Where each sentence stood in its source (None: as listed); orders a document's sentences
    # for document context after a random split (nerkit.encoding.context).
    positions: list[int] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.doc_ids is None:
            self.doc_ids = [0] * len(self.sentences)
        if self.positions is None:
            self.positions = list(range(len(self.sentences)))
        if len(self.positions) != len(self.sentences):
            raise DataError(
                f"dataset {self.name!r}: {len(self.sentences)} sentences but "
                f"{len(self.positions)} positions; give one position per sentence"
            )
        if len(self.doc_ids) != len(self.sentences):
            raise DataError(
                f"dataset {self.name!r}: {len(self.sentences)} sentences but "
                f"{len(self.doc_ids)} doc_ids; give one document id per sentence"
            )
        if self.labels is not None:
            if len(self.labels) != len(self.sentences):
                raise DataError(
                    f"dataset {self.name!r}: {len(self.sentences)} sentences but "
                    f"{len(self.labels)} label lists; give one tag list per sentence"
                )
            for i, (words, tags) in enumerate(zip(self.sentences, self.labels)):
                if len(words) != len(tags):
                    raise DataError(
                        f"dataset {self.name!r} sentence {i}: {len(words)} words but "
                        f"{len(tags)} tags; give exactly one tag per word"
                    )

    def __len__(self) -> int:
        return len(self.sentences)

    def select(self, indices: Sequence[int]) -> "Dataset":
        """A new Dataset holding the sentences at ``indices``, in that order."""
        idx = [int(i) for i in indices]
        return Dataset(
            sentences=[self.sentences[i] for i in idx],
            labels=None if self.labels is None else [self.labels[i] for i in idx],
            doc_ids=[self.doc_ids[i] for i in idx],
            name=self.name,
            positions=[self.positions[i] for i in idx],
        )

    @property
    def n_documents(self) -> int:
        return len(set(self.doc_ids))


def unique_labels(dataset: Dataset) -> list[str]:
    """Sorted tag set with ``'O'`` first, the order label ids are assigned in."""
    if dataset.labels is None:
        raise DataError(
            f"dataset {dataset.name!r} has no tags (it was read as untagged text); read a tagged file with a tag column"
        )
    found = {tag for tags in dataset.labels for tag in tags}
    rest = sorted(found - {"O"})
    return ["O", *rest] if "O" in found else rest
