"""One name, one type in a document: label consistency after tagging.

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
nothing, in the next. Within one document:

1. **Vote.** Every entity whose exact words the model tagged with more than one type takes the
   type it got most often; a tie leaves each as the model tagged it.
2. **Propagate.** Every other occurrence of such a word sequence whose words are all ``O``
   gets that type (left to right, the longest name first at each word), never overlapping a
   word already tagged. Only names
   that start with an upper-case letter spread, so a lower-case word the model once tagged
   does not take over every sentence that uses it.

The same document-level trick as Krishnan and Manning (2006), here as a plain rule on the
tagger's output; benchmarks/RESULTS.md (issue 14, rule 8) has the cross-validation that
decided whether it is on by default.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence

from ..labels import detect_scheme, spans_to_tags, tags_to_spans

__all__ = ["consistent_tags"]


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
    members: dict[Hashable, list[int]] = defaultdict(list)
    for i, doc in enumerate(documents):
        members[doc].append(i)
    for idx in members.values():
        _document(sentences, out, idx, scheme)
    return out


def _document(sentences, out: list[list[str]], idx: list[int], scheme: str) -> None:
    spans = {i: tags_to_spans(out[i], scheme) for i in idx}
    votes: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for i in idx:
        for kind, start, end in spans[i]:
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
        new = [(chosen.get(tuple(words[s:e]), kind), s, e) for kind, s, e in spans[i]]
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
        if new != spans[i]:
            out[i] = spans_to_tags(sorted(new, key=lambda x: x[1]), len(words), scheme)
