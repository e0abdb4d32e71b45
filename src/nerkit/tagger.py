"""Raw text in, entities with character offsets out.

>>> import nerkit
>>> tagger = nerkit.Tagger.load("runs/wikigold")                       # doctest: +SKIP
>>> tagger("Barack Obama visited Paris.")                              # doctest: +SKIP
[{'text': 'Barack Obama', 'label': 'PER', 'start': 0, 'end': 12, 'score': 0.9731},
 {'text': 'Paris', 'label': 'LOC', 'start': 21, 'end': 26, 'score': 0.9512}]
>>> tagger(["Paris is lovely.", ""])                                   # doctest: +SKIP
[[{'text': 'Paris', 'label': 'LOC', 'start': 0, 'end': 5, 'score': 0.96}], []]
>>> tagger([["Paris", "is", "lovely", "."]])   # pre-split words       # doctest: +SKIP
[[{'text': 'Paris', 'label': 'LOC', 'start': 0, 'end': 5, 'score': 0.96,
   'word_start': 0, 'word_end': 1}]]

For every entity ``text[entity["start"]:entity["end"]] == entity["text"]`` (Python string
indices, i.e. code points); for pre-split words the offsets index ``" ".join(words)`` and
``word_start``/``word_end`` (end exclusive) index the words.

How a document reaches the model:

1. :func:`nerkit.text.split_words` splits it into words the way the training data was
   split (punctuation apart, abbreviations whole), keeping each word's offsets.
2. :func:`sentence_spans` cuts the words into sentences: after a word of sentence-ending
   punctuation (``.`` ``!`` ``?`` ``...``) and the closing quotes or brackets that follow
   it, and at blank lines. Models are trained on single sentences (wikigold is one
   sentence per example), so tagging sentence by sentence keeps the input like the
   training data, keeps attention local and bounds the memory per piece of input: a
   100,000-character document costs the same per word as a short one.
3. All sentences of all texts in one call go through one :func:`nerkit.predict.predict`
   call (length-sorted batches). A sentence longer than the model's window (no
   punctuation for thousands of words) is tagged there in overlapping windows
   (``stride`` word pieces of overlap), so nothing is ever truncated.
4. Each sentence's word tags become entities with
   :func:`nerkit.text.entities_from_word_tags` (IO, IOB1, BIO and BIOES alike); an
   entity's ``score`` is the mean probability of its words' tags.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Sequence

from .errors import ConfigError, DataError
from .features import LONE_SURROGATE
from .labels import entity_type
from .model import NerModel, load_model
from .text import Word, entities_from_word_tags, split_words

__all__ = ["Tagger", "sentence_spans", "word_entities"]

# Words that end a sentence: runs of . ! ? and the ellipsis character.
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f]+")
# Words that may follow the end and still belong to the sentence: closing quotes and brackets.
_CLOSERS = frozenset(['"', "'", "''", ")", "]", "}", "\u2019", "\u201d", "\u00bb", "\u300d", "\u300f"])
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n|\u2029")


def sentence_spans(text: str, words: Sequence[Word]) -> list[tuple[int, int]]:
    """Word index ranges ``(first, stop)`` of the sentences of ``text``.

    >>> text = 'He said "Go." Then he left.\\n\\nNew paragraph'
    >>> words = split_words(text)
    >>> [" ".join(w.text for w in words[a:b]) for a, b in sentence_spans(text, words)]
    ['He said " Go . "', 'Then he left .', 'New paragraph']
    """
    spans: list[tuple[int, int]] = []
    first, ended = 0, False  # ended: the previous word closed a sentence
    for i, word in enumerate(words):
        if i > first:
            gap = text[words[i - 1].end : word.start]
            if ended and not gap and word.text in _CLOSERS:
                continue  # a closing quote or bracket right after the end stays with it
            if ended or _BLANK_LINE.search(gap):
                spans.append((first, i))
                first = i
        ended = _SENTENCE_END.fullmatch(word.text) is not None
    if first < len(words):
        spans.append((first, len(words)))
    return spans


@dataclass
class Tagger:
    """Tags raw texts (or pre-split words) with a trained model; see the module docstring.

    ``batch_size`` and ``precision`` are passed to :func:`nerkit.predict.predict`;
    ``stride`` is the overlap, in word pieces, of the windows a sentence longer than the
    model's window is cut into; ``sentences=False`` tags each text as one word sequence
    (windowed) instead of sentence by sentence.
    """

    model: NerModel
    batch_size: int = 64
    stride: int = 32
    precision: str = "auto"
    sentences: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigError(f"batch_size must be a whole number of at least 1, got {self.batch_size!r}")
        if not isinstance(self.stride, int) or self.stride < 0:
            raise ConfigError(f"stride (the overlap of windows) must be 0 or more word pieces, got {self.stride!r}")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise ConfigError(f"precision must be auto, bf16 or fp32, got {self.precision!r}")

    @classmethod
    def load(cls, model_dir: str | os.PathLike, device=None, backend: str = "torch", **options) -> "Tagger":
        """A tagger for the model saved in ``model_dir`` (by ``nerkit train`` or ``NerModel.save``).

        ``backend="onnx"`` (or ``"onnx-int8"``) runs a folder written by ``nerkit export`` with onnxruntime.
        """
        return cls(load_model(model_dir, device=device, backend=backend), **options)

    @property
    def labels(self) -> list[str]:
        """The entity types the model can find, e.g. ``['LOC', 'MISC', 'ORG', 'PER']``."""
        return sorted({t for t in map(entity_type, self.model.label_map.tags) if t is not None})

    def __call__(self, inputs):
        """Entities of a text (``str``), or one list per text (``list[str]``), or per
        pre-split sentence (``list[list[str]]``)."""
        if isinstance(inputs, str):
            return self.tag_texts([inputs])[0]
        if not isinstance(inputs, (list, tuple)):
            raise DataError(
                f"cannot tag a {type(inputs).__name__}: pass a str, a list of str (texts) or a "
                "list of lists of str (pre-split words)"
            )
        if all(isinstance(x, str) for x in inputs):
            return self.tag_texts(list(inputs))
        if all(isinstance(x, (list, tuple)) for x in inputs):
            return self.tag_words(inputs)
        kind = str if isinstance(inputs[0], str) else (list, tuple)
        bad = next(i for i, x in enumerate(inputs) if not isinstance(x, kind))
        raise DataError(
            f"item {bad} is a {type(inputs[bad]).__name__}: pass a list of str (texts) or a list of "
            "lists of str (pre-split words), not a mixture"
        )

    def tag_texts(self, texts: Sequence[str]) -> list[list[dict]]:
        """Entities for each raw text, in order; an empty text has none."""
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise DataError(f"text {i} is a {type(text).__name__}, not a str; pass strings")
        chunks: list[tuple[int, list[Word]]] = []  # (text index, the words of one sentence)
        for i, text in enumerate(texts):
            # Lone surrogates become U+FFFD before splitting too, as the tokenizer sees them.
            words = split_words(LONE_SURROGATE.sub("\ufffd", text))
            spans = sentence_spans(text, words) if self.sentences else [(0, len(words))] if words else []
            chunks += [(i, words[a:b]) for a, b in spans]
        results: list[list[dict]] = [[] for _ in texts]
        for (i, words), tags, scores in zip(chunks, *self._predict([[w.text for w in ws] for _, ws in chunks])):
            results[i] += entities_from_word_tags(texts[i], words, tags, scores)
        return results

    def tag_words(self, sentences: Sequence[Sequence[str]]) -> list[list[dict]]:
        """Entities for each pre-split sentence; offsets index ``" ".join(words)``."""
        for i, sentence in enumerate(sentences):
            for j, word in enumerate(sentence):
                if not isinstance(word, str):
                    raise DataError(f"sentence {i} word {j} is a {type(word).__name__}, not a str; pass strings")
        return [
            word_entities(words, tags, scores)[1]
            for words, tags, scores in zip(sentences, *self._predict(sentences))
        ]

    def _predict(self, sentences: list[list[str]]) -> tuple[list[list[str]], list[list[float]]]:
        from .predict import predict

        if not sentences:  # predict() needs at least one sentence
            return [], []
        p = predict(self.model, sentences, batch_size=self.batch_size, precision=self.precision, stride=self.stride)
        return p.tags, p.scores


def word_entities(words: Sequence[str], tags: Sequence[str], scores: Sequence[float] | None = None) -> tuple[str, list[dict]]:
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
