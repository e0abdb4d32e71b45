"""Character spans of a text to sentences of words with tags, and back.

Annotation tools (doccano, Label Studio, Prodigy, spaCy) store entities as character
offsets into the raw text; a model learns from words with one tag each. A text is split
with nerkit's own word and sentence splitters (the ones :class:`~nerkit.inference.Tagger`
uses at prediction time), and every span must cover whole words:

>>> text = "Barack Obama visited Paris."
>>> sentences = tag_text(text, [(0, 12, "PER"), (21, 26, "LOC")])
>>> sentences
[(['Barack', 'Obama', 'visited', 'Paris', '.'], ['B-PER', 'I-PER', 'O', 'B-LOC', 'O'])]
>>> text_spans(text, sentences)
[(0, 12, 'PER'), (21, 26, 'LOC')]

Tags are BIO: of the flat schemes it is the one that keeps two adjacent entities of one
type apart ("gave Mary John's book" with Mary and John), so spans -> tags -> spans gives
the spans back exactly; IO would merge them. The model learns the data's scheme unless
``--scheme`` says otherwise (:mod:`nerkit.training.prepare`) and answers in it.

A span that cuts a word, overlaps another or covers no word is a :class:`SpanError`
naming the span, never dropped or moved:

>>> tag_text("Parisian food", [(0, 5, "LOC")])
Traceback (most recent call last):
...
nerkit.data.spans.SpanError: span [0, 5, 'LOC'] ('Paris') ends inside the word 'Parisian' (characters 0-8); make the span cover whole words

Spaces at the edges of a span ("Paris ", as some tools select) are not part of any word
and are left out. A sentence boundary inside an entity ("Yahoo! Inc.") is not cut: the two
sentences stay one, so an entity is never split.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Sequence

from ..errors import DataError
from ..labels import spans_to_tags, tags_to_spans
from ..text.sentences import sentence_spans
from ..text.words import Word, split_words

__all__ = ["Span", "SpanError", "SPAN_SCHEME", "check_span", "tag_text", "text_spans"]

Span = tuple[int, int, str]  # (start, end, label): characters, end exclusive
SPAN_SCHEME = "BIO"  # see the module docstring


class SpanError(DataError):
    """A span that cannot be turned into word tags; readers prefix the file and line."""


def _shown(span) -> str:
    return repr(list(span))


def check_span(span, length: int) -> Span:
    """``span`` as ``(start, end, label)`` once it is inside a text of ``length`` characters.

    >>> check_span([3, 9, "ORG"], 20)
    (3, 9, 'ORG')
    """
    try:
        start, end, label = span
    except (TypeError, ValueError):
        raise SpanError(f"span {span!r} is not [start, end, label]") from None
    try:
        if isinstance(start, bool) or isinstance(end, bool):
            raise TypeError
        start, end = operator.index(start), operator.index(end)
    except TypeError:
        raise SpanError(f"span {_shown(span)}: start and end must be whole numbers of characters") from None
    if not isinstance(label, str) or not label or any(c.isspace() for c in label):
        raise SpanError(f"span {_shown(span)}: the label must be a non-empty string without spaces (PER, ORG, ...)")
    if label == "O" or (len(label) > 2 and label[1] == "-" and label[0] in "BIES"):
        raise SpanError(f"span {_shown(span)}: the label is a tag; give the bare entity type (PER, not B-PER or O)")
    if not 0 <= start < end <= length:
        raise SpanError(
            f"span {_shown(span)} is outside the text of {length} characters or empty; "
            "offsets count characters from 0, end exclusive"
        )
    return start, end, label


def _word_range(text: str, words: list[Word], starts: list[int], span: Span) -> tuple[int, int]:
    """The words ``span`` covers, as ``(first, stop)``; a SpanError if it cuts one or covers none."""
    start, end, label = span
    first = bisect.bisect_right([w.end for w in words], start)  # first word ending after start
    stop = bisect.bisect_left(starts, end)  # words starting before end
    if first >= stop:
        raise SpanError(f"span {_shown(span)} ({text[start:end]!r}) covers no word, only spaces; remove it")
    if words[first].start < start:
        w = words[first]
        raise SpanError(
            f"span {_shown(span)} ({text[start:end]!r}) starts inside the word {w.text!r} "
            f"(characters {w.start}-{w.end}); make the span cover whole words"
        )
    if words[stop - 1].end > end:
        w = words[stop - 1]
        raise SpanError(
            f"span {_shown(span)} ({text[start:end]!r}) ends inside the word {w.text!r} "
            f"(characters {w.start}-{w.end}); make the span cover whole words"
        )
    return first, stop


def _checked(text: str, spans: Sequence) -> list[Span]:
    """Spans checked, exact duplicates dropped, sorted; overlapping ones are a SpanError."""
    checked = sorted({check_span(s, len(text)) for s in spans}, key=lambda s: (s[0], s[1], s[2]))
    for before, after in zip(checked, checked[1:]):
        if after[0] < before[1]:
            raise SpanError(
                f"spans {_shown(before)} ({text[before[0] : before[1]]!r}) and {_shown(after)} "
                f"({text[after[0] : after[1]]!r}) overlap; flat word tags hold one entity per word, "
                "so keep one of them"
            )
    return checked


def tag_text(text: str, spans: Sequence, scheme: str = SPAN_SCHEME) -> list[tuple[list[str], list[str]]]:
    """The sentences of ``text`` as ``(words, tags)``, tagged from character ``spans``.

    ``spans`` are ``(start, end, label)`` triples; see the module docstring for the rules.
    """
    words = split_words(text)
    starts = [w.start for w in words]
    entities = [(s[2], *_word_range(text, words, starts, s)) for s in _checked(text, spans)]
    try:
        tags = spans_to_tags(entities, len(words), scheme=scheme)
    except DataError as exc:  # a label spans_to_tags refuses (O, B-PER, ...)
        raise SpanError(str(exc)) from None
    # A sentence may not end inside an entity: such boundaries are dropped.
    inside = {i for _, first, stop in entities for i in range(first + 1, stop)}
    bounds = [a for a, _ in sentence_spans(text, words) if a not in inside] + [len(words)]
    return [([w.text for w in words[a:b]], tags[a:b]) for a, b in zip(bounds, bounds[1:]) if b > a]


def text_spans(text: str, sentences: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[Span]:
    """The character spans of tagged ``sentences`` of ``text`` (as :func:`tag_text` made them).

    The words are found again in ``text`` in order, so any sentences whose words come from
    ``text`` in order work, whichever splitter made them.
    """
    spans: list[Span] = []
    position = 0
    for words, tags in sentences:
        placed = []
        for word in words:
            start = text.find(word, position)
            if start < 0:
                raise DataError(f"the word {word!r} is not in the text after character {position}")
            placed.append((start, start + len(word)))
            position = start + len(word)
        spans += [(placed[a][0], placed[b - 1][1], label) for label, a, b in tags_to_spans(list(tags))]
    return spans
