"""A request's texts as small units of model work, and the units' results as entities again.

>>> work = CallableWork(lambda texts: [len(t) for t in texts])
>>> plan = work.split(["ab", "c"])
>>> work.join(plan, work.run(plan.units))
[2, 1]

Why: the server shares each model call among requests (:mod:`nerkit.serving.batcher`), and
a call must stay short for that to be fair, so a request is cut into units that are each
cheap to tag. For a :class:`~nerkit.inference.tagger.Tagger` (:class:`TaggerWork`) a unit is
one sentence, cut exactly as :meth:`Tagger.tag_texts <nerkit.inference.tagger.Tagger.tag_texts>`
cuts it, so the server finds the same entities as the Tagger. A sentence of more than
:data:`SEGMENT_WORDS` words (100,000 emoji, a table flattened to one line) is cut further
into overlapping segments, like the model's own windows: each word takes its tag from the
segment where it sits furthest from an edge, so every word keeps at least
``SEGMENT_OVERLAP / 2`` words of context on each side. A unit carries the words around it in
its text, so a model trained with document context reads it as the Tagger does, whichever
units share a model call. A unit's cost is its number of words
(about one word piece each: 1.3 for English prose, 1 for emoji), which bounds a model call.
Any other callable ``list[str] -> list`` (:class:`CallableWork`) is one unit per text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..encoding.context import Surrounding, surrounding
from ..encoding.windows import LONE_SURROGATE
from ..inference.consistency import consistent_prediction
from ..inference.predict import predict
from ..inference.tagger import Tagger
from ..text.entities import entities_from_word_tags
from ..text.sentences import sentences_of
from ..text.words import Word

__all__ = ["SEGMENT_WORDS", "SEGMENT_OVERLAP", "Plan", "Unit", "TaggerWork", "CallableWork", "segments", "work_for"]

SEGMENT_WORDS = 128  # most words per unit: a sentence of up to this many words is one unit
SEGMENT_OVERLAP = 32  # words shared by neighbouring segments of a longer sentence


@dataclass(frozen=True)
class Unit:
    """One sentence, or one segment of a long one: the words the model sees, and which it decides."""

    sentence: int  # index of the sentence in the request
    words: list[str]
    own: tuple[int, int]  # the words (indices into ``words``) whose tags this unit gives
    around: Surrounding = ([], [])  # the words before and after it in its text (document context)


@dataclass
class Plan:
    """How a request was cut: its texts, their sentences and the units to tag."""

    texts: list[str]
    units: list = field(default_factory=list)
    costs: list[int] = field(default_factory=list)  # per unit: its share of a model call's budget
    sentences: list[tuple[int, list[Word]]] = field(default_factory=list)  # (text index, words)


def segments(n: int, size: int = SEGMENT_WORDS, overlap: int = SEGMENT_OVERLAP) -> list[tuple[int, int, int, int]]:
    """``(start, stop, own_start, own_stop)`` of the overlapping segments of ``n`` words.

    >>> segments(5, size=4, overlap=2)
    [(0, 4, 0, 3), (2, 5, 3, 5)]
    >>> segments(3, size=4, overlap=2)
    [(0, 3, 0, 3)]
    """
    if n <= size:
        return [(0, n, 0, n)]
    step = size - overlap
    starts = list(range(0, n - overlap, step))
    # Ownership changes hands in the middle of each overlap.
    cuts = [0, *(s + overlap // 2 for s in starts[1:]), n]
    return [(s, min(s + size, n), cuts[k], cuts[k + 1]) for k, s in enumerate(starts)]


class TaggerWork:
    """Units of a :class:`~nerkit.inference.tagger.Tagger`: sentences, long ones in segments."""

    def __init__(self, tagger: Tagger, segment_words: int = SEGMENT_WORDS, overlap: int = SEGMENT_OVERLAP):
        self.tagger = tagger
        self.segment_words, self.overlap = segment_words, overlap

    def split(self, texts: list[str]) -> Plan:
        plan = Plan(list(texts))
        for i, text in enumerate(plan.texts):
            # As Tagger.tag_texts: lone surrogates become U+FFFD for splitting, as the tokenizer sees them.
            for words in sentences_of(LONE_SURROGATE.sub("\ufffd", text), split=self.tagger.sentences):
                plan.sentences.append((i, words))
        names = [[w.text for w in words] for _, words in plan.sentences]
        context = self.tagger.options.context
        around = surrounding(names, [i for i, _ in plan.sentences], context)
        for k, (sentence, (before, after)) in enumerate(zip(names, around)):
            for start, stop, first, last in segments(len(sentence), self.segment_words, self.overlap):
                # A segment's context is its sentence's where it shares an edge with it, else the sentence's own words.
                edges = (before if start == 0 else sentence[max(0, start - context) : start],
                         after if stop == len(sentence) else sentence[stop : stop + context])  # fmt: skip
                plan.units.append(Unit(k, sentence[start:stop], (first - start, last - start), edges))
                plan.costs.append(stop - start)
        return plan

    def run(self, units: list[Unit]) -> list[tuple[list[str], list[float], list]]:
        """One model call: each unit's tags, scores and (for consistency) every tag's probability, for the words it owns.

        Units of several requests share the call, so names are made consistent in :meth:`join`, per text.
        """
        consistent = self.tagger.options.consistency
        p = predict(self.tagger.model, [u.words for u in units], options=self.tagger.options,
                    surroundings=[u.around for u in units], probabilities=consistent)  # fmt: skip
        every = p.probabilities if consistent else [None] * len(units)
        return [
            (tags[slice(*u.own)], scores[slice(*u.own)], None if rows is None else rows[slice(*u.own)])
            for u, tags, scores, rows in zip(units, p.tags, p.scores, every)
        ]

    def join(self, plan: Plan, results: list) -> list[list[dict]]:
        tags: list[list[str]] = [[] for _ in plan.sentences]
        scores: list[list[float]] = [[] for _ in plan.sentences]
        every: list[list] = [[] for _ in plan.sentences]
        for unit, (t, s, rows) in zip(plan.units, results):  # units are in sentence order, segments in word order
            tags[unit.sentence] += t
            scores[unit.sentence] += s
            every[unit.sentence] += [] if rows is None else list(rows)
        if self.tagger.options.consistency and plan.sentences:
            model = self.tagger.model
            words = [[w.text for w in ws] for _, ws in plan.sentences]
            tags, scores = consistent_prediction(
                words, tags, scores, every, [i for i, _ in plan.sentences], model.label_map.tags, model.output_scheme
            )
        entities: list[list[dict]] = [[] for _ in plan.texts]
        for (i, words), t, s in zip(plan.sentences, tags, scores):
            entities[i] += entities_from_word_tags(plan.texts[i], words, t, s)
        return entities


class CallableWork:
    """Any ``tag(texts) -> results`` (one result per text): one unit per text, each of cost 1."""

    def __init__(self, tag: Callable[[list[str]], list]):
        self.tag = tag

    def split(self, texts: list[str]) -> Plan:
        return Plan(list(texts), units=list(texts), costs=[1] * len(texts))

    def run(self, units: list[str]) -> list:
        return self.tag(units)

    def join(self, plan: Plan, results: list) -> list:
        return list(results)


def work_for(tagger):
    """Sentence units for a Tagger; a work object (``split``, ``run``, ``join``) as it is; one
    unit per text for anything else callable."""
    if isinstance(tagger, Tagger):
        return TaggerWork(tagger)
    if all(hasattr(tagger, name) for name in ("split", "run", "join")):
        return tagger
    return CallableWork(tagger)
