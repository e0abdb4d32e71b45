"""One name, one type in a document: label consistency after tagging, on tags and scores.

>>> sentences = [["Mad", "Capsule", "Markets", "formed", "in", "1985", "."],
...              ["Mad", "Capsule", "Markets", "toured", "Europe", "."],
...              ["Later", "Mad", "Capsule", "Markets", "split", "."]]
>>> tags = [["I-ORG", "I-ORG", "I-ORG", "O", "O", "O", "O"],
...         ["I-ORG", "I-ORG", "I-ORG", "O", "I-LOC", "O"],
...         ["O", "I-MISC", "I-MISC", "I-MISC", "O", "O"]]
>>> consistent_tags(sentences, tags, documents=[0, 0, 0])[2]    # two votes for ORG, one for MISC
['O', 'I-ORG', 'I-ORG', 'I-ORG', 'O', 'O']
>>> tags[2] = ["O"] * 6                                          # missed altogether
>>> consistent_tags(sentences, tags, documents=[0, 0, 0])[2]    # found where the model found it before
['O', 'I-ORG', 'I-ORG', 'I-ORG', 'O', 'O']
>>> consistent_tags(sentences, tags, documents=[0, 0, 1])[2]    # another document: left alone
['O', 'O', 'O', 'O', 'O', 'O']

Why: an article names the same things again and again, and a tagger that reads one sentence
(plus a little context) at a time can call a band an ORG in one sentence and MISC, or
nothing, in the next. The rule itself (vote, then propagate, within each document) is
:func:`nerkit.text.consistency.consistent_spans`; here it is applied to tags in any scheme,
and a changed word's score becomes the model's probability of its new tag. It is the
``consistency`` option of prediction (on by default): the same document-level idea as
Krishnan and Manning (2006), as a plain rule on the tagger's output. benchmarks/RESULTS.md
(issue 14, rule 8) has the cross-validation that decided it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from ..labels import detect_scheme, spans_to_tags, tags_to_spans
from ..text.consistency import consistent_spans

__all__ = ["consistent_tags", "consistent_prediction"]


def consistent_tags(
    sentences: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    documents: Sequence[Hashable] | None,
    scheme: str | None = None,
) -> list[list[str]]:
    """``tags`` made consistent within each document (``documents[i]``: sentence i's document).

    ``scheme`` is the tags' scheme (``IO``, ``BIO``, ...; detected when None). Without
    documents (``documents`` None) nothing changes: a name is only made consistent where it
    is known to be the same text.
    """
    out = [list(t) for t in tags]
    if documents is None:
        return out
    if scheme is None:
        scheme = detect_scheme(out)
    spans = [tags_to_spans(t, scheme) for t in out]
    for i, (old, new) in enumerate(zip(spans, consistent_spans(sentences, spans, documents))):
        if new != old:
            out[i] = spans_to_tags(new, len(sentences[i]), scheme)
    return out


def consistent_prediction(
    sentences: Sequence[Sequence[str]],
    tags: list[list[str]],
    scores: list[list[float]],
    probabilities: Sequence,
    documents: Sequence[Hashable],
    names: Sequence[str],
    scheme: str,
) -> tuple[list[list[str]], list[list[float]]]:
    """:func:`consistent_tags`, and each changed word's score: the model's probability of its new tag.

    ``probabilities[i][w]`` holds word w's probability of each tag in ``names``; a word the
    rule leaves alone keeps its score, and so does one whose new tag is not among ``names``
    (a model that learns another scheme than the data's has no column for it).
    """
    fixed = consistent_tags(sentences, tags, documents, scheme)
    column = {name: k for k, name in enumerate(names)}
    rescored = list(scores)
    for i, (old, new) in enumerate(zip(tags, fixed)):
        if old != new:
            rows = probabilities[i]
            rescored[i] = [
                p if a == b or b not in column else float(rows[w][column[b]])
                for w, (a, b, p) in enumerate(zip(old, new, scores[i]))
            ]
    return fixed, rescored
