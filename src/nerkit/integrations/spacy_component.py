"""A spaCy pipeline component that fills ``doc.ents`` with a nerkit model's entities.

>>> import spacy
>>> nlp = spacy.blank("en")
>>> nlp.add_pipe("nerkit", config={"model": "runs/wikigold"})   # doctest: +SKIP
>>> doc = nlp("Barack Obama visited Paris.")                     # doctest: +SKIP
>>> [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]   # doctest: +SKIP
[('Barack Obama', 'PER', 0, 12), ('Paris', 'LOC', 21, 26)]
>>> doc.ents[0]._.nerkit_score                                   # doctest: +SKIP
0.98

The factory is registered through the ``spacy_factories`` entry point (``pyproject.toml``),
so ``add_pipe("nerkit")`` works without importing nerkit. The text of each Doc is tagged
by a :class:`~nerkit.inference.Tagger` (nerkit's own word and sentence splitting, the way
the model was trained), and ``nlp.pipe`` tags each batch of texts in one call.

Entities become spans of spaCy's tokens with ``doc.char_span(..., alignment_mode="expand")``:
where nerkit's word and spaCy's token agree (nearly always) the span is the entity exactly;
where an entity edge falls inside a spaCy token (nerkit splits ``U.S.-based`` into ``U.S.``
and ``-based``, spaCy keeps one token) the span grows to the whole token, so no entity is
lost or cut, and its ``start_char``/``end_char`` are the token's. Two entities that grow
into one token keep the longer (``spacy.util.filter_spans``). The component replaces
``doc.ents``, like spaCy's own ``ner``; each entity's score is ``span._.nerkit_score``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, minibatch

from ..errors import ConfigError
from ..inference.tagger import Tagger
from ..modeling.store import BACKENDS

__all__ = ["NerkitComponent", "make_nerkit"]

ALIGNMENT = "expand"  # see the module docstring

if not Span.has_extension("nerkit_score"):
    Span.set_extension("nerkit_score", default=None)


class NerkitComponent:
    """Sets ``doc.ents`` from a nerkit model; built by spaCy from ``add_pipe("nerkit", config=...)``."""

    def __init__(self, tagger: Tagger, batch_size: int = 64) -> None:
        self.tagger = tagger
        self.batch_size = batch_size

    @property
    def labels(self) -> list[str]:
        return self.tagger.labels

    def __call__(self, doc: Doc) -> Doc:
        return self._set(doc, self.tagger.tag_texts([doc.text])[0])

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Docs tagged a batch at a time: the texts of a batch go through the model together."""
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            for doc, entities in zip(batch, self.tagger.tag_texts([d.text for d in batch])):
                yield self._set(doc, entities)

    @staticmethod
    def _set(doc: Doc, entities: list[dict]) -> Doc:
        spans = []
        for e in entities:
            span = doc.char_span(e["start"], e["end"], label=e["label"], alignment_mode=ALIGNMENT)
            if span is not None:  # None only for an entity on whitespace alone, which nerkit never makes
                spans.append((span, e["score"]))
        kept = filter_spans([s for s, _ in spans])
        doc.ents = kept
        scores = {(s.start, s.end): score for s, score in spans}
        for span in doc.ents:
            span._.nerkit_score = scores.get((span.start, span.end))
        return doc


@Language.factory(
    "nerkit",
    default_config={"model": None, "backend": BACKENDS[0], "device": None, "batch_size": 64},
)
def make_nerkit(
    nlp: Language, name: str, model: str | None, backend: str, device: str | None, batch_size: int
) -> NerkitComponent:
    """The ``"nerkit"`` factory: ``model`` is a directory written by ``nerkit train`` (or ``nerkit export``)."""
    if not model:
        raise ConfigError('the nerkit component needs a model: nlp.add_pipe("nerkit", config={"model": "DIR"})')
    return NerkitComponent(Tagger.load(model, device=device, backend=backend), batch_size=batch_size)
