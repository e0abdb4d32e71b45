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

1. :func:`nerkit.text.words.split_words` splits it into words the way the training data
   was split (punctuation apart, abbreviations whole), keeping each word's offsets.
2. :func:`nerkit.text.sentences.sentence_spans` cuts the words into sentences, the unit
   models are trained on.
3. All sentences of all texts in one call go through one :func:`nerkit.predict` call
   (length-sorted batches). A model trained with document context reads each sentence
   with the words around it in its text (each text is one document). A sentence longer than the model's window (no punctuation
   for thousands of words) is tagged there in overlapping windows (``stride`` word
   pieces of overlap), so nothing is ever truncated.
4. Each sentence's word tags become entities with
   :func:`nerkit.text.entities.entities_from_word_tags` (IO, IOB1, BIO and BIOES alike);
   an entity's ``score`` is the mean probability of its words' tags.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..data.dataset import check_sentences
from ..encoding.context import surrounding
from ..encoding.windows import LONE_SURROGATE
from ..errors import ConfigError, DataError
from ..labels import entity_type
from ..modeling.model import NerModel, check_model
from ..modeling.options import InferenceOptions
from ..modeling.store import BACKENDS, load_model
from ..text.entities import entities_from_word_tags, word_entities
from ..text.sentences import sentences_of
from .predict import predict

__all__ = ["Tagger"]


class Tagger:
    """Tags raw texts (or pre-split words) with a trained model; see the module docstring.

    ``options`` (default: the model's own, ``model.inference``) and keyword ``overrides``
    of them (``batch_size``, ``stride``, ``precision``, ``max_tokens``) go to
    :func:`nerkit.predict`; ``sentences=False`` tags each text as one word sequence
    (windowed) instead of sentence by sentence.
    """

    def __init__(
        self, model: NerModel, options: InferenceOptions | None = None, sentences: bool = True, **overrides
    ) -> None:
        self.model = check_model(model, "Tagger")
        self.options = InferenceOptions.given(options, self.model.inference).updated(**overrides)
        if not isinstance(sentences, bool):
            raise ConfigError(
                f"sentences must be True (split texts into sentences) or False (one sentence a text), got {sentences!r}"
            )
        self.sentences = sentences

    @classmethod
    def load(cls, model_dir: str | os.PathLike, device=None, backend: str = BACKENDS[0], **options) -> "Tagger":
        """``Tagger(load_model(model_dir, device, backend), **options)``: a tagger for a saved model.

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
        if isinstance(texts, str) or not isinstance(texts, Sequence):
            raise DataError(
                f"tag_texts() takes a list of texts, got a {type(texts).__name__}; "
                "for one text call tag_texts([text]) or tagger(text)"
            )
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise DataError(f"text {i} is a {type(text).__name__}, not a str; pass strings")
        chunks = [  # (text index, the words of one sentence)
            (i, words)
            # Lone surrogates become U+FFFD before splitting too, as the tokenizer sees them.
            for i, text in enumerate(texts)
            for words in sentences_of(LONE_SURROGATE.sub("\ufffd", text), split=self.sentences)
        ]
        results: list[list[dict]] = [[] for _ in texts]
        sentences = [[w.text for w in ws] for _, ws in chunks]
        documents = [i for i, _ in chunks]  # each text is one document
        around = surrounding(sentences, documents, self.options.context)
        for (i, words), tags, scores in zip(chunks, *self._predict(sentences, around, documents)):
            results[i] += entities_from_word_tags(texts[i], words, tags, scores)
        return results

    def tag_words(self, sentences: Sequence[Sequence[str]]) -> list[list[dict]]:
        """Entities for each pre-split sentence; offsets index ``" ".join(words)``."""
        sentences = check_sentences(sentences, "tag_words()'s sentences")
        return [
            word_entities(words, tags, scores)[1] for words, tags, scores in zip(sentences, *self._predict(sentences))
        ]

    def _predict(
        self, sentences: list[list[str]], around=None, documents=None
    ) -> tuple[list[list[str]], list[list[float]]]:
        if not sentences:  # predict() needs at least one sentence
            return [], []
        p = predict(self.model, sentences, options=self.options, surroundings=around, documents=documents)
        return p.tags, p.scores
