"""Document context: the words around each sentence, which the model reads but does not tag.

>>> sentences = [["Mad", "Capsule", "Markets", "are", "a", "band", "."], ["They", "toured", "."], ["Rome", "."]]
>>> around = surrounding(sentences, documents=[7, 7, 8], words=4)
>>> around[1]            # the last 4 words before "They toured ." and none after: the document ends
(['are', 'a', 'band', '.'], [])
>>> around[2]            # another document: nothing on either side
([], [])
>>> surrounding(sentences, documents=[7, 7, 8], words=0)[0]
([], [])

Why: wikigold's sentences come from 145 articles that keep naming the same things, and
"Mad Capsule Markets" is easier to call an ORG when the sentence before says it is a band.
:func:`~nerkit.encoding.windows.encode` puts up to ``context`` word pieces of these words on
each side of the sentence in its window (whole words only, and only as many as the window has
room for); their pieces carry no label and no word index, so only the sentence's own words are
trained, decoded and scored (Schweter and Akbik 2020, "FLERT"). During training each sentence
is shown without its context at random (``TrainConfig.context_dropout``), so the model does
not come to rely on it.

Neighbours are the sentences of the same document in reading order: ``positions`` (where each
sentence stood in its source; default: list order) sorts a document's sentences, so a random
split of a corpus still reads each document in order. Context comes only from the sentences
given: the test side of a split sees its own document's other test sentences.

This module owns the context options: ``context`` (:data:`DEFAULT_CONTEXT`,
:func:`check_context`) and ``context_dropout`` (:data:`DEFAULT_CONTEXT_DROPOUT`,
:func:`check_context_dropout`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence

from ..errors import ConfigError

__all__ = [
    "DEFAULT_CONTEXT",
    "DEFAULT_CONTEXT_DROPOUT",
    "Surrounding",
    "check_context",
    "check_context_dropout",
    "surrounding",
]

# Word pieces of context on each side of a sentence. 24 (the most of 16/24/32 within 1.4x one
# epoch's time on one thread) raised 5-fold document-level cross-validation of wikigold by
# +0.0085 F1 paired by fold, but a whole default run took 1.52x on two threads; 16 (with layer
# decay 0.9: +0.0080 paired, 4 folds of 5) keeps it within 1.5x (benchmarks/RESULTS.md, issue 14).
DEFAULT_CONTEXT = 16
# Share of training sentences shown without context in each epoch (Flair's FLERT default).
DEFAULT_CONTEXT_DROPOUT = 0.5

Surrounding = tuple[list[str], list[str]]  # the words before a sentence and the words after it


def check_context(context: int) -> int:
    """Word pieces of context on each side: 0 (none) or more."""
    if isinstance(context, bool) or not isinstance(context, int) or context < 0:
        raise ConfigError(
            f"context must be 0 (none) or more word pieces on each side of a sentence, got {context!r}; "
            "use e.g. --context 32"
        )
    return context


def check_context_dropout(dropout: float) -> float:
    """The share of training sentences shown without context: from 0 to 1."""
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
        raise ConfigError(f"context_dropout is a share of sentences from 0 to 1, got {dropout!r}; use e.g. 0.5")
    return float(dropout)


def check_documents(sentences: Sequence, documents: Sequence[Hashable]) -> None:
    """One document id per sentence, else a ConfigError saying so."""
    if len(documents) != len(sentences):
        raise ConfigError(f"{len(sentences)} sentences but {len(documents)} document ids; give one per sentence")


def surrounding(
    sentences: Sequence[Sequence[str]],
    documents: Sequence[Hashable],
    words: int,
    positions: Sequence[int] | None = None,
) -> list[Surrounding]:
    """For each sentence, up to ``words`` words before it and after it in its document.

    ``documents`` gives each sentence's document; ``positions`` orders a document's sentences
    (default: as listed). ``words`` words hold at least as many word pieces, so callers ask
    for as many words as they want pieces.
    """
    check_documents(sentences, documents)
    result: list[Surrounding] = [([], []) for _ in sentences]
    if words <= 0:
        return result
    members: dict = defaultdict(list)
    for i, doc in enumerate(documents):
        members[doc].append(i)
    for order in members.values():
        if positions is not None:
            order.sort(key=lambda i: positions[i])
        for k, i in enumerate(order):
            result[i] = (_before(sentences, order[:k], words), _after(sentences, order[k + 1 :], words))
    return result


def _before(sentences, previous: list[int], words: int) -> list[str]:
    taken: list[str] = []
    for j in reversed(previous):
        taken[:0] = sentences[j][-(words - len(taken)) :]
        if len(taken) >= words:
            break
    return list(taken)


def _after(sentences, following: list[int], words: int) -> list[str]:
    taken: list[str] = []
    for j in following:
        taken += sentences[j][: words - len(taken)]
        if len(taken) >= words:
            break
    return taken
