"""How a model tags by default: batch budget, window overlap, precision; saved with the model.

>>> options = InferenceOptions(stride=16)
>>> options.batch_size, options.stride, options.precision
(64, 16, 'auto')
>>> options.updated(precision="fp32").precision
'fp32'
>>> options.token_budget(torch.device("cpu"))   # max_tokens=None: chosen by device
1024
>>> InferenceOptions(batch_size=0)
Traceback (most recent call last):
...
nerkit.errors.ConfigError: batch_size must be a whole number of at least 1, got 0; use e.g. --batch-size 64

These options belong to the model (``NerModel.inference``, written to ``nerkit.json``), so a
model saved with ``stride=16`` tags with ``stride=16`` wherever it is loaded;
:func:`nerkit.predict`, :class:`nerkit.Tagger`, the server and the CLI all read them from
there and override them only when asked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

import torch

from ..encoding.context import check_context
from ..encoding.windows import DEFAULT_STRIDE, check_stride
from ..errors import ConfigError
from ..hardware import DEFAULT_PRECISION, PRECISIONS, check_precision
from ..options import flag

__all__ = ["InferenceOptions"]

# A CPU runs small matrices near its peak, and a batch that fits its caches beats a big
# one: on the 2-core AVX2 machine of benchmarks/RESULTS.md, batches of 1,024 pieces tagged
# 1.30x the sentences/s of 64 whole sentences (benchmarks/predict_batching.py). A GPU
# needs big batches to fill it.
CPU_TOKEN_BUDGET = 1024
GPU_TOKEN_BUDGET = 16384


@dataclass(frozen=True)
class InferenceOptions:
    """Options of prediction; checked once, here."""

    batch_size: int = field(default=64, metadata=flag("most windows per model call", type=int))
    max_tokens: int | None = field(
        default=None,
        metadata=flag("most padded word pieces per model call (default: 1,024 on a CPU, 16,384 on a GPU)", type=int),
    )
    stride: int = field(
        default=DEFAULT_STRIDE, metadata=flag("overlap, in word pieces, of windows over long sentences", type=int)
    )
    precision: str = field(
        default=DEFAULT_PRECISION,
        metadata=flag("bf16 autocast where native (auto), always (bf16) or never (fp32)", choices=PRECISIONS),
    )
    # Set by training (TrainConfig.context) and saved with the model; 0 for a model trained without.
    context: int = field(
        default=0,
        metadata=flag(
            "word pieces of document context on each side of a sentence (a model trained with context reads its "
            "own; 0: none)",
            type=int,
        ),
    )

    # Prediction only (nothing to train), so every model gets it, old ones too.
    consistency: bool = field(
        default=True,
        metadata=flag(
            "one type for a name within a document: the type the model gave it most often, also where it missed "
            "it (nerkit.inference.consistency; documents: -DOCSTART-, doc ids, one text)",
            on_off=True,
        ),
    )

    def __post_init__(self) -> None:
        if not isinstance(self.consistency, bool):
            raise ConfigError(
                f"consistency must be True or False, got {self.consistency!r}; use --consistency on or off"
            )
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigError(
                f"batch_size must be a whole number of at least 1, got {self.batch_size!r}; use e.g. --batch-size 64"
            )
        if self.max_tokens is not None and (
            isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int) or self.max_tokens < 1
        ):
            raise ConfigError(f"max_tokens must be a whole number of at least 1, got {self.max_tokens!r}")
        check_stride(self.stride)
        check_precision(self.precision)
        check_context(self.context)

    def updated(self, **changes) -> "InferenceOptions":
        """A copy with ``changes`` (None values ignored), checked again."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"unknown inference option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def given(cls, options, default: "InferenceOptions") -> "InferenceOptions":
        """``options`` (an InferenceOptions), or ``default`` when None; anything else is refused."""
        if options is None:
            return default
        if not isinstance(options, cls):
            raise ConfigError(
                f"options= takes an InferenceOptions, got a {type(options).__name__}; pass "
                "nerkit.InferenceOptions(stride=16), or the fields as keywords (stride=16)"
            )
        return options

    def token_budget(self, device: torch.device) -> int:
        """Most padded word pieces per batch on ``device``."""
        if self.max_tokens is not None:
            return self.max_tokens
        return CPU_TOKEN_BUDGET if device.type == "cpu" else GPU_TOKEN_BUDGET

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict | None) -> "InferenceOptions":
        """Options as saved in nerkit.json; a model saved before they were (or without some) gets the defaults."""
        return cls().updated(**(saved or {}))
