"""Training: options, the model a run starts from, the loop, crash-safe checkpoints, whole jobs.

Modules: :mod:`~nerkit.training.config` (:class:`TrainConfig`),
:mod:`~nerkit.training.prepare` (a fresh model, the tag scheme it learns),
:mod:`~nerkit.training.loop` (:func:`fit`), :mod:`~nerkit.training.resume` (progress and
resuming), :mod:`~nerkit.training.checkpoint` (checkpoint files) and
:mod:`~nerkit.training.job` (``nerkit train``: load, split, fit, evaluate, save).
"""

from .config import TrainConfig
from .job import TrainJob, run_train_job
from .loop import fit

__all__ = ["TrainConfig", "fit", "TrainJob", "run_train_job"]
