"""Text: raw text to words with character offsets, sentences, and entities back.

>>> from nerkit.text import entities_from_word_tags, sentences_of
>>> text = "Barack Obama visited Paris. It rained."
>>> [[w.text for w in s] for s in sentences_of(text)]
[['Barack', 'Obama', 'visited', 'Paris', '.'], ['It', 'rained', '.']]
>>> first = sentences_of(text)[0]
>>> [e["text"] for e in entities_from_word_tags(text, first, ["I-PER", "I-PER", "O", "I-LOC", "O"])]
['Barack Obama', 'Paris']

Modules: :mod:`~nerkit.text.words` (the word splitter), :mod:`~nerkit.text.sentences`,
:mod:`~nerkit.text.entities` (word tags to character spans) and
:mod:`~nerkit.text.highlight` (entities as HTML).
"""

from .entities import entities_from_word_tags, word_entities
from .highlight import render_fragment, render_html
from .sentences import sentence_spans, sentences_of
from .words import Word, split_words

__all__ = [
    "Word",
    "split_words",
    "sentence_spans",
    "sentences_of",
    "entities_from_word_tags",
    "word_entities",
    "render_html",
    "render_fragment",
]
