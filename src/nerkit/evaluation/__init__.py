"""Evaluation: entity-level scores on words (seqeval underneath), and a model scored on data.

Modules: :mod:`~nerkit.evaluation.scores` (tags against tags, no model) and
:mod:`~nerkit.evaluation.evaluate` (a model on tagged data, in one or several processes).
"""

from .evaluate import evaluate
from .scores import Report, score

__all__ = ["Report", "score", "evaluate"]
