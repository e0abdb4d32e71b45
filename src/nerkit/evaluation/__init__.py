"""Evaluation: entity-level scores on words (seqeval underneath), and a model scored on data.

Modules: :mod:`~nerkit.evaluation.scores` (tags against tags, no model),
:mod:`~nerkit.evaluation.evaluate` (a model on tagged data, in one or several processes) and
:mod:`~nerkit.evaluation.heldout` (which sentences to score: the test side a model's training held out).
"""

from .evaluate import evaluate
from .heldout import Side, held_out
from .scores import Report, score

__all__ = ["Report", "score", "evaluate", "held_out", "Side"]
