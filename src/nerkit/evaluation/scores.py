"""Entity-level scores (seqeval underneath), one tag per original word.

>>> report = score([["I-PER", "I-PER", "O", "I-LOC"]], [["I-PER", "I-PER", "O", "O"]])
>>> round(report.f1, 3), round(report.precision, 3), round(report.recall, 3)
(0.667, 1.0, 0.5)
>>> report.per_type["PER"]["f1"]
1.0

Scores are computed on words, never on word pieces, so a model is judged on what the
user sees. ``mode="default"`` is seqeval's lenient (conlleval) reading; ``mode="strict"``
checks every tag against the scheme. The mode is named in every report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from ..errors import ConfigError, DataError
from ..labels import detect_scheme, seqeval_scheme

__all__ = ["MODES", "Report", "score", "check_mode"]

MODES = ("default", "strict")  # seqeval's lenient (conlleval) reading (the default), or the scheme's strict one


@dataclass
class Report:
    """Entity-level precision, recall and F1: micro, macro and per type; ``print`` it or ``to_dict``."""

    precision: float
    recall: float
    f1: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    per_type: dict[str, dict[str, float]]
    support: int
    mode: str = MODES[0]
    scheme: str = "IO"
    loss: float | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def __str__(self) -> str:
        lines = [f"entity-level scores (seqeval, {self.mode} mode, {self.scheme} tags), word level", ""]
        lines.append(f"{'type':>12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>9}")
        for name, row in sorted(self.per_type.items()):
            lines.append(
                f"{name:>12} {row['precision']:9.4f} {row['recall']:9.4f} {row['f1']:9.4f} {int(row['support']):9d}"
            )
        lines.append("")
        lines.append(f"{'micro avg':>12} {self.precision:9.4f} {self.recall:9.4f} {self.f1:9.4f} {self.support:9d}")
        lines.append(
            f"{'macro avg':>12} {self.macro_precision:9.4f} {self.macro_recall:9.4f} {self.macro_f1:9.4f} {self.support:9d}"
        )
        if self.loss is not None:
            lines.append(f"\nevaluation loss: {self.loss:.4f}")
        return "\n".join(lines)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"mode must be 'default' or 'strict', got {mode!r}")
    return mode


def score(
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    mode: str = MODES[0],
    scheme: str | None = None,
    loss: float | None = None,
) -> Report:
    """Compare word-level tag sequences; see the module docstring."""
    from seqeval.metrics import classification_report

    check_mode(mode)
    if not gold:  # seqeval has nothing to divide by
        raise DataError("there are no sentences to score; give data with at least one tagged sentence")
    if len(gold) != len(predicted):
        raise DataError(f"{len(gold)} gold sentences but {len(predicted)} predicted ones")
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise DataError(f"sentence {i + 1}: {len(g)} gold tags but {len(p)} predicted ones")
    gold, predicted = [list(g) for g in gold], [list(p) for p in predicted]
    scheme = scheme or detect_scheme(gold)
    kwargs = {"output_dict": True, "zero_division": 0}
    if mode == "strict":
        kwargs.update(mode="strict", scheme=seqeval_scheme(scheme))
    table = classification_report(gold, predicted, **kwargs)
    per_type = {
        name: {
            "precision": float(r["precision"]),
            "recall": float(r["recall"]),
            "f1": float(r["f1-score"]),
            "support": int(r["support"]),
        }
        for name, r in table.items()
        if not name.endswith(" avg")
    }
    micro, macro = table.get("micro avg", {}), table.get("macro avg", {})
    return Report(
        precision=float(micro.get("precision", 0.0)),
        recall=float(micro.get("recall", 0.0)),
        f1=float(micro.get("f1-score", 0.0)),
        macro_precision=float(macro.get("precision", 0.0)),
        macro_recall=float(macro.get("recall", 0.0)),
        macro_f1=float(macro.get("f1-score", 0.0)),
        per_type=per_type,
        support=int(micro.get("support", 0)),
        mode=mode,
        scheme=scheme,
        loss=loss,
    )
