"""The data set: sentences of words, their tags and the document each came from.

>>> ds = Dataset([["Anna", "sings"], ["Rome"]], [["I-PER", "O"], ["I-LOC"]], doc_ids=[0, 1])
>>> len(ds), ds.n_documents, unique_labels(ds)
(2, 2, ['O', 'I-LOC', 'I-PER'])
>>> ds.select([1]).sentences
[['Rome']]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import DataError

__all__ = ["Dataset", "unique_labels", "check_sentences"]


def check_sentences(sentences, what: str = "sentences") -> list[list[str]]:
    """``sentences`` as lists of words, each a str; else a DataError naming the first bad item.

    A str where a sentence should be (``["Paris is lovely"]``) is refused: it would be read as
    one word per character.
    """
    if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Iterable):
        raise DataError(
            f"{what} must be a list of sentences, each a list of words (str), got a {type(sentences).__name__}; "
            "e.g. [['Paris', 'is', 'lovely']] (for raw text use nerkit.Tagger(model)(text))"
        )
    result = []
    for i, sentence in enumerate(sentences):
        if isinstance(sentence, (str, bytes)) or not isinstance(sentence, Iterable):
            raise DataError(
                f"sentence {i} is a {type(sentence).__name__}, not a list of words; split it into words, "
                "e.g. ['Paris', 'is', 'lovely'] (for raw text use nerkit.Tagger(model)(text))"
            )
        result.append(sentence if isinstance(sentence, list) else list(sentence))
    # Every word at once, in C (a generator per sentence was a fifth of predict's host time).
    if not all(map(isinstance, itertools.chain.from_iterable(result), itertools.repeat(str))):
        i, j, bad = next((i, j, w) for i, s in enumerate(result) for j, w in enumerate(s) if not isinstance(w, str))
        raise DataError(f"sentence {i} word {j} is a {type(bad).__name__}, not a str; pass strings")
    return result


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
        check_sentences(self.sentences, f"dataset {self.name!r}: sentences")
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
