"""Raw text cut into sentences, the unit a model is trained on.

>>> [" ".join(w.text for w in words) for words in sentences_of("Hi there. Bye.")]
['Hi there .', 'Bye .']

A sentence ends after a word of sentence-ending punctuation (``.`` ``!`` ``?`` ``...``)
and the closing quotes or brackets that follow it, and at blank lines. Models are trained
on single sentences (wikigold is one sentence per example), so tagging sentence by
sentence keeps the input like the training data, keeps attention local and bounds the
memory per piece of input: a 100,000-character document costs the same per word as a
short one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from .words import Word, split_words

__all__ = ["sentence_spans", "sentences_of", "MAX_SENTENCE_WORDS"]


# Words that end a sentence: runs of . ! ? and the ellipsis character.
_END_CHARACTERS = ".!?\u2026\u3002\uff01\uff1f"
_SENTENCE_END = re.compile(f"[{_END_CHARACTERS}]+")
# Words that may follow the end and still belong to the sentence: closing quotes and brackets.
_CLOSERS = frozenset(['"', "'", "''", ")", "]", "}", "\u2019", "\u201d", "\u00bb", "\u300d", "\u300f"])
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n|\u2029")
# A run of more words than this without a sentence end is no sentence (a list, a table, a text
# without punctuation) and is cut every MAX_SENTENCE_WORDS words: the words at a cut lose some
# context, and the cost of one "sentence" (the CRF decodes it word by word) stays bounded.
MAX_SENTENCE_WORDS = 5000


def sentence_spans(text: str, words: Sequence[Word]) -> list[tuple[int, int]]:
    """Word index ranges ``(first, stop)`` of the sentences of ``text``.

    >>> text = 'He said "Go." Then he left.\\n\\nNew paragraph'
    >>> words = split_words(text)
    >>> [" ".join(w.text for w in words[a:b]) for a, b in sentence_spans(text, words)]
    ['He said " Go . "', 'Then he left .', 'New paragraph']
    """
    starts = [w.start for w in words]
    # The words with a blank line before them, found in the whole text at once (the words of
    # split_words hold no whitespace, so a blank line lies between two of them).
    blank = {bisect.bisect_right(starts, m.start()) for m in _BLANK_LINE.finditer(text)}
    spans: list[tuple[int, int]] = []
    first, ended = 0, False  # ended: the previous word closed a sentence
    for i, word in enumerate(words):
        if i > first:
            if ended and word.start <= words[i - 1].end and word.text in _CLOSERS:
                continue  # a closing quote or bracket right after the end stays with it
            if ended or i in blank:
                spans.append((first, i))
                first = i
        # (A sentence end starts with one of its characters: most words are ruled out without the regex.)
        ended = word.text[:1] in _END_CHARACTERS and _SENTENCE_END.fullmatch(word.text) is not None
    if first < len(words):
        spans.append((first, len(words)))
    return [(a, min(a + MAX_SENTENCE_WORDS, b)) for start, b in spans for a in range(start, b, MAX_SENTENCE_WORDS)]


def sentences_of(text: str, split: bool = True) -> list[list[Word]]:
    """The words of ``text``, one list per sentence (one list in all with ``split=False``).

    >>> [[w.text for w in s] for s in sentences_of("Hi there. Bye.")]
    [['Hi', 'there', '.'], ['Bye', '.']]
    """
    words = split_words(text)
    spans = sentence_spans(text, words) if split else [(0, len(words))] if words else []
    return [words[a:b] for a, b in spans]
