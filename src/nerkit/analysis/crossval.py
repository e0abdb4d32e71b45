"""k-fold cross-validation: one F1 is an anecdote, five are a measurement.

>>> import nerkit
>>> from nerkit.analysis.crossval import FoldPlan, cross_validate
>>> result = cross_validate(nerkit.load("wikigold"), FoldPlan(folds=5, by="document"))   # doctest: +SKIP
>>> print(result)                                                               # doctest: +SKIP
5-fold cross-validation by document (seed 100), seqeval default mode, IO tags
        type    f1 mean     f1 std ...
>>> round(result.f1_mean, 3), round(result.f1_std, 3)                           # doctest: +SKIP
(0.78, 0.02)

Why by document: wikigold's 1,696 sentences come from 145 articles, and an article names
the same people and places again and again. A random sentence split puts sentences of one
article on both sides, so the test side rewards memorising names seen in training. Folds
by document keep every article on one side, which is what a user tagging new text gets.

Every sentence is tested exactly once, by a model that never saw its document (or, with
``by="sentence"``, its sentence). With ``validation=FRACTION`` each fold carves its
validation set out of *its own training side* (by document), picks the best epoch on it and
may stop early; the test fold is never used to choose anything.

The standard deviation is the sample one (``ddof=1``): with five folds the population
formula would understate the spread by about 10%.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..data.dataset import Dataset
from ..data.splits import DEFAULT_SEED, SPLIT_BY, check_fraction, check_seed, kfold, validation_split
from ..errors import ConfigError, DataError
from ..evaluation.evaluate import evaluate
from ..evaluation.scores import MODES, Report, check_mode
from ..modeling.model import NerModel
from ..options import flag
from ..outputs import atomic_file, check_output_file
from ..training.config import TrainConfig
from ..training.loop import fit
from ..training.prepare import prepare_model

__all__ = ["FoldPlan", "FoldResult", "CrossValidation", "cross_validate", "run_fold", "summarise"]


@dataclass(frozen=True)
class FoldPlan:
    """How the data is cut into folds and scored: the same for every fold of a cross-validation."""

    folds: int = field(default=5, metadata=flag("number of folds", type=int))
    by: str = field(
        default="document",
        metadata=flag("keep documents whole in folds, or split single sentences", choices=tuple(reversed(SPLIT_BY))),
    )
    seed: int = field(default=DEFAULT_SEED, metadata=flag("random seed for the folds and training", type=int))
    mode: str = field(default=MODES[0], metadata=flag("seqeval mode", choices=MODES))
    validation: float | None = field(
        default=None,
        metadata=flag("carve this fraction of each fold's training side for choosing the best epoch", type=float),
    )

    def __post_init__(self) -> None:
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or self.folds < 2:
            raise ConfigError(f"--folds must be a whole number of at least 2, got {self.folds}")
        if self.by not in SPLIT_BY:
            raise ConfigError(f"by= (--by) must be 'document' or 'sentence', got {self.by!r}")
        check_mode(self.mode)
        check_seed(self.seed)
        if self.validation is not None:
            check_fraction(self.validation, "--validation")


@dataclass
class FoldResult:
    """One fold: its sizes, its test report, the training history and time."""

    fold: int  # 1-based
    train_sentences: int
    test_sentences: int
    report: Report
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    validation_sentences: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["report"] = self.report.to_dict()
        return d


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), std


def summarise(reports: Sequence[Report]) -> dict:
    """Mean and sample standard deviation over fold reports, overall and per entity type.

    >>> from nerkit.evaluation.scores import score
    >>> a = score([["I-PER", "O"]], [["I-PER", "O"]])
    >>> b = score([["I-PER", "O"]], [["O", "O"]])
    >>> s = summarise([a, b])
    >>> s["f1"], round(s["f1_std"], 4), s["per_type"]["PER"]["f1"]
    (0.5, 0.7071, 0.5)

    A type missing from a fold's test side (no gold and no predicted entity of that type)
    is left out of that type's mean rather than counted as F1 0; ``folds`` says how many
    folds each per-type figure rests on.
    """
    if not reports:
        raise DataError("no fold reports to summarise; run at least one fold")
    out: dict = {"folds": len(reports)}
    for key in ("precision", "recall", "f1", "macro_f1"):
        out[key], out[f"{key}_std"] = _mean_std([getattr(r, key) for r in reports])
    types = sorted({t for r in reports for t in r.per_type})
    per_type = {}
    for t in types:
        rows = [r.per_type[t] for r in reports if t in r.per_type]
        entry = {"folds": len(rows), "support": int(sum(row["support"] for row in rows))}
        for key in ("precision", "recall", "f1"):
            entry[key], entry[f"{key}_std"] = _mean_std([row[key] for row in rows])
        per_type[t] = entry
    out["per_type"] = per_type
    return out


@dataclass
class CrossValidation:
    """All folds of one cross-validation, with the summary across them."""

    folds: list[FoldResult]
    plan: FoldPlan
    options: dict = field(default_factory=dict)  # the training options every fold used

    @property
    def summary(self) -> dict:
        return summarise([f.report for f in self.folds])

    @property
    def f1_mean(self) -> float:
        return self.summary["f1"]

    @property
    def f1_std(self) -> float:
        return self.summary["f1_std"]

    @property
    def complete(self) -> bool:
        return len(self.folds) == self.plan.folds

    def to_dict(self) -> dict:
        return {
            "n_folds": self.plan.folds,
            "by": self.plan.by,
            "seed": self.plan.seed,
            "mode": self.plan.mode,
            "options": self.options,
            "summary": self.summary,
            "folds": [f.to_dict() for f in self.folds],
        }

    def __str__(self) -> str:
        s = self.summary
        scheme = self.folds[0].report.scheme if self.folds else "?"
        plan = self.plan
        done = "" if self.complete else f" ({len(self.folds)} of {plan.folds} folds run)"
        lines = [
            f"{plan.folds}-fold cross-validation by {plan.by} (seed {plan.seed}){done}, "
            f"seqeval {plan.mode} mode, {scheme} tags, word level; mean +- sample std over folds",
            "",
            f"{'type':>12} {'precision':>17} {'recall':>17} {'f1':>17} {'support':>8}",
        ]

        def cell(row, key):
            return f"{row[key]:.4f} +- {row[key + '_std']:.4f}"

        for name, row in s["per_type"].items():
            lines.append(
                f"{name:>12} {cell(row, 'precision'):>17} {cell(row, 'recall'):>17} {cell(row, 'f1'):>17} {row['support']:8d}"
            )
        lines.append("")
        support = sum(f.report.support for f in self.folds)
        lines.append(
            f"{'micro avg':>12} {cell(s, 'precision'):>17} {cell(s, 'recall'):>17} {cell(s, 'f1'):>17} {support:8d}"
        )
        lines.append(f"{'macro f1':>12} {'':>17} {'':>17} {cell(s, 'macro_f1'):>17}")
        lines.append("")
        lines.append("per fold F1: " + ", ".join(f"{f.report.f1:.4f}" for f in self.folds))
        return "\n".join(lines)


def _fresh_model(data: Dataset, model, plan: FoldPlan, train_options: dict) -> NerModel:
    """A new model whose classes cover the tags of *all* folds, in the scheme it will learn.

    A rare type can be missing from one fold's training side; a model built from that side
    alone could not even be scored on the test side. The tag inventory is part of the task,
    not of the test data, so every fold's model gets all of it (wikigold: every fold has all).
    """
    torch.manual_seed(plan.seed)
    return prepare_model(data, model, TrainConfig(seed=plan.seed, **train_options))


def run_fold(data: Dataset, fold: int, plan: FoldPlan | None = None, model=None, **train_options) -> FoldResult:
    """Train on all folds but ``fold`` (1-based) and score on ``fold``.

    Runs one fold on its own, so a long cross-validation can be spread over several
    processes (or machines) and summarised afterwards with :func:`summarise`.
    """
    plan = plan or FoldPlan()
    if isinstance(fold, bool) or not isinstance(fold, int) or not 1 <= fold <= plan.folds:
        raise ConfigError(f"fold must be between 1 and {plan.folds}, got {fold}")
    if "seed" in train_options:
        raise ConfigError(
            "the seed of a cross-validation is the FoldPlan's (--seed); leave it out of the training options"
        )
    if data.labels is None:
        raise DataError(f"{data.name or 'the data'} has no tags; cross-validation needs a tagged file")
    train, test = kfold(data, folds=plan.folds, seed=plan.seed, by=plan.by)[fold - 1]
    val = None
    if plan.validation:
        train, val = validation_split(train, plan.validation, seed=plan.seed, by="document")
    started = time.perf_counter()
    ner = fit(train, _fresh_model(data, model, plan, train_options), validation=val, seed=plan.seed, **train_options)
    seconds = time.perf_counter() - started
    return FoldResult(
        fold=fold,
        train_sentences=len(train),
        test_sentences=len(test),
        validation_sentences=len(val) if val is not None else 0,
        report=evaluate(ner, test, mode=plan.mode),
        history=ner.history,
        seconds=round(seconds, 1),
    )


def cross_validate(
    data: Dataset,
    plan: FoldPlan | None = None,
    model=None,
    on_fold: Callable[[FoldResult], None] | None = None,
    output: str | Path | None = None,
    **train_options,
) -> CrossValidation:
    """Train and test once per fold; see the module docstring.

    ``model`` is what :func:`nerkit.fit` takes (None = the embedded default; a fresh copy
    is built for every fold, a NerModel instance is refused because training would carry
    over from fold to fold). ``train_options`` are :class:`~nerkit.training.config.TrainConfig`
    fields. ``on_fold`` is called after each fold; with ``output`` all folds so far and
    their summary are written there as JSON after each fold.
    """
    plan = plan or FoldPlan()
    if isinstance(model, NerModel):
        raise ConfigError(
            "cross_validate needs a model name or directory, not a loaded model: each fold must start "
            "from the same pretrained weights"
        )
    TrainConfig(**train_options)  # checks the options before any training
    if output is not None:
        check_output_file(output, "--output")
    kfold(data, folds=plan.folds, seed=plan.seed, by=plan.by)  # refuses too few documents before any training
    options = {**train_options, "validation": plan.validation, "model": None if model is None else str(model)}
    result = CrossValidation([], plan, options=options)
    for k in range(1, plan.folds + 1):
        fold = run_fold(data, k, plan, model=model, **train_options)
        result.folds.append(fold)
        if output is not None:  # whole or not at all: a killed run leaves the previous fold's file
            with atomic_file(output) as f:
                f.write(json.dumps(result.to_dict(), indent=2) + "\n")
        if on_fold is not None:
            on_fold(fold)
    return result
