"""Modeling: the network with its CRF, the trained model, where models come from, ONNX.

Modules: :mod:`~nerkit.modeling.crf` (the linear-chain CRF), :mod:`~nerkit.modeling.network`
(the token classifier that owns it), :mod:`~nerkit.modeling.options` (inference options
saved with a model), :mod:`~nerkit.modeling.model` (:class:`NerModel` and its saved form),
:mod:`~nerkit.modeling.store` (build, load), :mod:`~nerkit.modeling.onnx` (export and
onnxruntime), :mod:`~nerkit.modeling.portable` (the saved form plain transformers runs, with
the custom code of :mod:`~nerkit.modeling.remote`), :mod:`~nerkit.modeling.card` (the model
card) and :mod:`~nerkit.modeling.upgrade` (an older directory saved again).
"""

from .crf import LinearChainCRF
from .model import NerModel
from .network import TokenClassifier
from .onnx import OnnxNetwork, export_onnx
from .options import InferenceOptions
from .store import build, embedded_model_dir, load_model, resolve_source

__all__ = [
    "LinearChainCRF",
    "TokenClassifier",
    "InferenceOptions",
    "NerModel",
    "build",
    "load_model",
    "resolve_source",
    "embedded_model_dir",
    "OnnxNetwork",
    "export_onnx",
]
