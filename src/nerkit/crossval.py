"""k-fold cross-validation: one F1 is an anecdote, five are a measurement.

>>> import nerkit
>>> from nerkit.crossval import cross_validate
>>> result = cross_validate(nerkit.load("wikigold"), folds=5, by="document")   # doctest: +SKIP
>>> print(result)                                                               # doctest: +SKIP
5-fold cross-validation by document (seed 100), seqeval default mode, IO tags
        type    f1 mean     f1 std ...
>>> round(result.f1_mean, 3), round(result.f1_std, 3)                           # doctest: +SKIP
(0.78, 0.02)

Why by document: wikigold's 1,841 sentences come from 145 articles, and an article names
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

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np

from .data import Dataset, kfold, validation_split
from .errors import ConfigError, DataError
from .metrics import Report, evaluate, score

__all__ = ["FoldResult", "CrossValidation", "cross_validate", "run_fold", "summarise"]


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

    @classmethod
    def from_dict(cls, d: dict) -> "FoldResult":
        d = dict(d)
        d["report"] = Report(**d["report"])
        return cls(**d)


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), std


def summarise(reports: Sequence[Report]) -> dict:
    """Mean and sample standard deviation over fold reports, overall and per entity type.

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
    n_folds: int
    by: str
    seed: int
    mode: str = "default"
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
        return len(self.folds) == self.n_folds

    def to_dict(self) -> dict:
        return {
            "n_folds": self.n_folds,
            "by": self.by,
            "seed": self.seed,
            "mode": self.mode,
            "options": self.options,
            "summary": self.summary,
            "folds": [f.to_dict() for f in self.folds],
        }

    def __str__(self) -> str:
        s = self.summary
        scheme = self.folds[0].report.scheme if self.folds else "?"
        done = "" if self.complete else f" ({len(self.folds)} of {self.n_folds} folds run)"
        lines = [
            f"{self.n_folds}-fold cross-validation by {self.by} (seed {self.seed}){done}, "
            f"seqeval {self.mode} mode, {scheme} tags, word level; mean +- sample std over folds",
            "",
            f"{'type':>12} {'precision':>17} {'recall':>17} {'f1':>17} {'support':>8}",
        ]

        def cell(row, key):
            return f"{row[key]:.4f} +- {row[key + '_std']:.4f}"

        for name, row in s["per_type"].items():
            lines.append(f"{name:>12} {cell(row, 'precision'):>17} {cell(row, 'recall'):>17} {cell(row, 'f1'):>17} {row['support']:8d}")
        lines.append("")
        support = sum(f.report.support for f in self.folds)
        lines.append(f"{'micro avg':>12} {cell(s, 'precision'):>17} {cell(s, 'recall'):>17} {cell(s, 'f1'):>17} {support:8d}")
        lines.append(f"{'macro f1':>12} {'':>17} {'':>17} {cell(s, 'macro_f1'):>17}")
        lines.append("")
        lines.append("per fold F1: " + ", ".join(f"{f.report.f1:.4f}" for f in self.folds))
        return "\n".join(lines)


def _check(folds, validation):
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ConfigError(f"--folds must be a whole number of at least 2, got {folds}")
    if validation is not None and not (isinstance(validation, (int, float)) and 0 < validation < 1):
        raise ConfigError(f"--validation must be between 0 and 1 (exclusive), got {validation}")


def _fresh_model(data: Dataset, model, seed: int, train_options: dict):
    """A new model whose classes cover the tags of *all* folds, in the scheme it will learn.

    A rare type can be missing from one fold's training side; a model built from that side
    alone could not even be scored on the test side. The tag inventory is part of the task,
    not of the test data, so every fold's model gets all of it (wikigold: every fold has all).
    """
    import torch

    from .labels import convert_scheme, detect_scheme
    from .train import TrainConfig, prepare_model

    config = TrainConfig(seed=seed, **train_options)
    data_scheme = detect_scheme(data.labels)
    tag_scheme = config.scheme or data_scheme
    everything = data
    if tag_scheme != data_scheme:
        everything = Dataset(data.sentences, [convert_scheme(t, tag_scheme) for t in data.labels], data.doc_ids, data.name)
    torch.manual_seed(seed)
    ner = prepare_model(everything, model, config)
    ner.scheme, ner.train_scheme = data_scheme, (tag_scheme if tag_scheme != data_scheme else None)
    return ner


def run_fold(
    data: Dataset,
    fold: int,
    folds: int = 5,
    by: str = "document",
    seed: int = 100,
    mode: str = "default",
    validation: float | None = None,
    model=None,
    **train_options,
) -> FoldResult:
    """Train on all folds but ``fold`` (1-based) and score on ``fold``.

    Runs one fold on its own, so a long cross-validation can be spread over several
    processes (or machines) and summarised afterwards with :func:`summarise`.
    """
    from .train import fit

    _check(folds, validation)
    if isinstance(fold, bool) or not isinstance(fold, int) or not 1 <= fold <= folds:
        raise ConfigError(f"fold must be between 1 and {folds}, got {fold}")
    if data.labels is None:
        raise DataError(f"{data.name or 'the data'} has no tags; cross-validation needs a tagged file")
    train, test = kfold(data, folds=folds, seed=seed, by=by)[fold - 1]
    val = None
    if validation:
        train, val = validation_split(train, validation, seed=seed, by="document")
    started = time.perf_counter()
    ner = fit(train, _fresh_model(data, model, seed, train_options), validation=val, seed=seed, **train_options)
    seconds = time.perf_counter() - started
    return FoldResult(
        fold=fold,
        train_sentences=len(train),
        test_sentences=len(test),
        validation_sentences=len(val) if val is not None else 0,
        report=evaluate(ner, test, mode=mode),
        history=ner.history,
        seconds=round(seconds, 1),
    )


def cross_validate(
    data: Dataset,
    folds: int = 5,
    by: str = "document",
    seed: int = 100,
    mode: str = "default",
    validation: float | None = None,
    model=None,
    on_fold: Callable[[FoldResult], None] | None = None,
    **train_options,
) -> CrossValidation:
    """Train and test once per fold; see the module docstring.

    ``model`` is what :func:`nerkit.fit` takes (None = the embedded default; a fresh copy
    is built for every fold, a NerModel instance is refused because training would carry
    over from fold to fold). ``train_options`` are :class:`~nerkit.train.TrainConfig`
    fields. ``on_fold`` is called after each fold, e.g. to save results as they come.
    """
    from .model import NerModel

    _check(folds, validation)
    if isinstance(model, NerModel):
        raise ConfigError(
            "cross_validate needs a model name or directory, not a loaded model: each fold must start "
            "from the same pretrained weights"
        )
    kfold(data, folds=folds, seed=seed, by=by)  # refuses too few documents before any training
    result = CrossValidation([], n_folds=folds, by=by, seed=seed, mode=mode,
                             options={**train_options, "validation": validation, "model": None if model is None else str(model)})
    for k in range(1, folds + 1):
        fold = run_fold(data, k, folds=folds, by=by, seed=seed, mode=mode, validation=validation, model=model, **train_options)
        result.folds.append(fold)
        if on_fold is not None:
            on_fold(fold)
    return result
