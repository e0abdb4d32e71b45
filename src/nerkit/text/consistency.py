"""One name, one type in a document: the rule on entity spans, in plain Python.

>>> sentences = [["Mad", "Capsule", "Markets", "formed", "."],
...              ["Mad", "Capsule", "Markets", "toured", "Europe", "."],
...              ["Later", "Mad", "Capsule", "Markets", "split", "."]]
>>> spans = [[("ORG", 0, 3)], [("ORG", 0, 3), ("LOC", 4, 5)], [("MISC", 1, 4)]]
>>> consistent_spans(sentences, spans, documents=[0, 0, 0])[2]      # two votes for ORG, one for MISC
[('ORG', 1, 4)]
>>> consistent_spans(sentences, [[("ORG", 0, 3)], [], []], documents=[0, 0, 0])[2]   # found where it was missed
[('ORG', 1, 4)]
>>> consistent_spans(sentences, [[("ORG", 0, 3)], [], []], documents=[0, 0, 1])[2]   # another document
[]

Within one document:

1. **Vote.** Every entity whose exact words the model tagged with more than one type takes the
   type it got most often; a tie leaves each as the model tagged it.
2. **Propagate.** Every other occurrence of such a word sequence whose words are all outside
   entities gets that type (left to right, the longest name first at each word), never
   overlapping a word already in an entity. Only names that start with an upper-case letter
   spread, so a lower-case word the model once tagged does not take over every sentence.

It imports nothing, so a saved model's transformers pipeline carries this very file
(nerkit.modeling.remote); :mod:`nerkit.inference.consistency` applies it to tags and scores.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence

__all__ = ["consistent_spans"]

Span = tuple  # (type, start, end), end exclusive


def consistent_spans(
    sentences: Sequence[Sequence[str]], spans: Sequence[Sequence[Span]], documents: Sequence[Hashable]
) -> list[list[Span]]:
    """``spans`` (each sentence's entities, in order) made consistent within each document."""
    out = [list(s) for s in spans]
    members: dict[Hashable, list[int]] = defaultdict(list)
    for i, doc in enumerate(documents):
        members[doc].append(i)
    for idx in members.values():
        _document(sentences, out, idx)
    return out


def _document(sentences, out: list[list[Span]], idx: list[int]) -> None:
    votes: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for i in idx:
        for kind, start, end in out[i]:
            votes[tuple(sentences[i][start:end])][kind] += 1
    chosen: dict[tuple[str, ...], str] = {}
    for name, counts in votes.items():
        ranked = counts.most_common(2)
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            chosen[name] = ranked[0][0]
    # Names that may spread, by their first word, longest first: a lookup per word rather
    # than a scan per name keeps a long document (a whole file without -DOCSTART-) linear.
    by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for name in sorted(chosen, key=len, reverse=True):
        if name[0][:1].isupper():
            by_first[name[0]].append(name)
    for i in idx:
        words = sentences[i]
        new = [(chosen.get(tuple(words[s:e]), kind), s, e) for kind, s, e in out[i]]
        taken = [False] * len(words)
        for _, s, e in new:
            taken[s:e] = [True] * (e - s)
        for s, word in enumerate(words):  # left to right, the longest name first at each word
            for name in by_first.get(word, ()):
                e = s + len(name)
                if e <= len(words) and not any(taken[s:e]) and tuple(words[s:e]) == name:
                    new.append((chosen[name], s, e))
                    taken[s:e] = [True] * (e - s)
                    break
        out[i] = sorted(new, key=lambda span: span[1])
