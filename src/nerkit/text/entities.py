"""Word tags back to entities with character offsets.

>>> from nerkit.text.words import split_words
>>> text = "Barack Obama visited Paris."
>>> entities_from_word_tags(text, split_words(text), ["I-PER", "I-PER", "O", "I-LOC", "O"])
[{'text': 'Barack Obama', 'label': 'PER', 'start': 0, 'end': 12, 'score': None}, {'text': 'Paris', 'label': 'LOC', 'start': 21, 'end': 26, 'score': None}]

For every entity ``text[entity["start"]:entity["end"]] == entity["text"]`` (Python string
indices, i.e. code points); for pre-split words the offsets index ``" ".join(words)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import DataError
from ..labels import tags_to_spans
from .words import Word

__all__ = ["entities_from_word_tags", "word_entities"]


def entities_from_word_tags(
    text: str,
    words: Sequence[Word],
    tags: Sequence[str],
    scores: Sequence[float] | None = None,
    *,
    scheme: str | None = None,
) -> list[dict]:
    """Turn one tag per word into character-level entities of ``text``.

    Tags may use any scheme :func:`nerkit.labels.tags_to_spans` understands (IO, IOB1,
    BIO, BIOES); ``scheme`` is passed on to it (``None``: lenient, any prefix). Each entity is ``{"text", "label", "start", "end", "score"}`` where
    ``start`` is the first word's start, ``end`` the last word's end, so
    ``text[start:end] == entity["text"]`` always holds; ``score`` is the mean of the
    words' scores rounded to 4 places, or ``None`` without scores.
    """
    if len(tags) != len(words):
        raise DataError(f"got {len(tags)} tags for {len(words)} words: there must be exactly one tag per word")
    if scores is not None and len(scores) != len(words):
        raise DataError(
            f"got {len(scores)} scores for {len(words)} words: there must be exactly one score per word, or none"
        )
    entities: list[dict] = []
    for label, first, stop in tags_to_spans(list(tags), scheme):
        if not 0 <= first < stop <= len(words):
            continue
        start, end = words[first].start, words[stop - 1].end
        if not 0 <= start <= end <= len(text):
            raise DataError(
                f"word {first} to {stop - 1} span characters {start}:{end}, outside the "
                f"text of {len(text)} characters: the words do not belong to this text"
            )
        score = None
        if scores is not None:
            part = [float(s) for s in scores[first:stop]]
            score = round(sum(part) / len(part), 4)
        entities.append({"text": text[start:end], "label": label, "start": start, "end": end, "score": score})
    entities.sort(key=lambda e: (e["start"], e["end"]))
    return entities


def word_entities(
    words: Sequence[str], tags: Sequence[str], scores: Sequence[float] | None = None
) -> tuple[str, list[dict]]:
    """The text ``" ".join(words)`` and the entities of its word tags, with character
    offsets into that text and word indices (``word_start``, ``word_end`` exclusive).

    >>> word_entities(["New", "York", "is", "big"], ["B-LOC", "I-LOC", "O", "O"])
    ('New York is big', [{'text': 'New York', 'label': 'LOC', 'start': 0, 'end': 8, 'score': None, 'word_start': 0, 'word_end': 2}])
    """
    placed, position = [], 0
    for word in words:
        placed.append(Word(word, position, position + len(word)))
        position += len(word) + 1
    text = " ".join(words)
    entities = entities_from_word_tags(text, placed, tags, scores)
    first_word = {w.start: j for j, w in enumerate(placed)}
    stop_word = {w.end: j + 1 for j, w in enumerate(placed)}
    for e in entities:
        e["word_start"], e["word_end"] = first_word[e["start"]], stop_word[e["end"]]
    return text, entities
