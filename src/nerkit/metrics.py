"""Entity-level scores (seqeval underneath), one tag per original word.

>>> from nerkit.metrics import score
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
from dataclasses import asdict, dataclass, field
from typing import Sequence

from .data import Dataset
from .errors import ConfigError, DataError
from .labels import detect_scheme, seqeval_scheme


@dataclass
class Report:
    precision: float
    recall: float
    f1: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    per_type: dict[str, dict[str, float]]
    support: int
    mode: str = "default"
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
            lines.append(f"{name:>12} {row['precision']:9.4f} {row['recall']:9.4f} {row['f1']:9.4f} {int(row['support']):9d}")
        lines.append("")
        lines.append(f"{'micro avg':>12} {self.precision:9.4f} {self.recall:9.4f} {self.f1:9.4f} {self.support:9d}")
        lines.append(f"{'macro avg':>12} {self.macro_precision:9.4f} {self.macro_recall:9.4f} {self.macro_f1:9.4f} {self.support:9d}")
        if self.loss is not None:
            lines.append(f"\nevaluation loss: {self.loss:.4f}")
        return "\n".join(lines)


def score(
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    mode: str = "default",
    scheme: str | None = None,
    loss: float | None = None,
) -> Report:
    """Compare word-level tag sequences; see the module docstring."""
    from seqeval.metrics import classification_report

    if mode not in ("default", "strict"):
        raise ConfigError(f"mode must be 'default' or 'strict', got {mode!r}")
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
        name: {"precision": float(r["precision"]), "recall": float(r["recall"]), "f1": float(r["f1-score"]), "support": int(r["support"])}
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


def evaluate(model, data: Dataset, mode: str = "default", batch_size: int = 64, **predict_options) -> Report:
    """Predict ``data`` with ``model`` and score it against the data's own tags.

    A gold tag the model does not know is an error, not a silent miss.
    """
    from .predict import predict

    if data.labels is None:
        raise DataError(f"{data.name or 'the data'} has no tags to evaluate against; give a file with a tag column")
    prediction = predict(model, data, batch_size=batch_size, **predict_options)
    return score(data.labels, prediction.tags, mode=mode, loss=prediction.loss)
