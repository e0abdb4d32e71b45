"""Inference: tags for words, entities for text, tagged files.

Modules: :mod:`~nerkit.inference.predict` (pre-split sentences to tags),
:mod:`~nerkit.inference.tagger` (raw text to entities with character offsets) and
:mod:`~nerkit.inference.files` (``nerkit predict``: files in, CoNLL or JSONL out).
The options they share, :class:`~nerkit.modeling.options.InferenceOptions`, are saved
with the model.
"""

from ..modeling.options import InferenceOptions
from .files import predict_file
from .predict import Prediction, predict
from .tagger import Tagger

__all__ = ["InferenceOptions", "Prediction", "predict", "Tagger", "predict_file"]
