"""Training options: one dataclass, checked once; the defaults suit small models such as the embedded MiniLM.

>>> TrainConfig().epochs, TrainConfig().lr, TrainConfig().crf
(10, 0.0003, None)
>>> uses_crf(TrainConfig()), uses_crf(TrainConfig(trailing="tag"))
(True, False)
>>> TrainConfig(warmup=1.5)
Traceback (most recent call last):
...
nerkit.errors.ConfigError: warmup is a fraction of the steps in [0, 1), got 1.5

Evidence for the defaults is in README.md ("Defaults for a small model") and
benchmarks/RESULTS.md. ``nerkit train`` and ``nerkit cv`` take every field with a flag as
``--field-name`` (see ``nerkit train --help``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from ..data.splits import DEFAULT_SEED, check_seed
from ..encoding.context import DEFAULT_CONTEXT, DEFAULT_CONTEXT_DROPOUT, check_context, check_context_dropout
from ..encoding.windows import DEFAULT_STRIDE, MIN_MAX_LEN, check_max_len, check_stride
from ..errors import ConfigError
from ..hardware import DEFAULT_PRECISION, PRECISIONS, check_device, check_precision
from ..labels import SCHEMES, canonical_scheme
from ..options import flag
from ..outputs import check_output_dir

__all__ = ["TrainConfig", "check_validation", "uses_crf", "TRAILING"]

TRAILING = ("ignore", "tag")  # trailing word pieces: ignored in the loss, or tagged like the recipe
# Options of one run, not of the model: not saved with it (NerModel.train_config).
NOT_SAVED = ("device", "progress", "checkpoint_dir", "resume")
# Options that do not change the result: free to change when a run is resumed.
RUN_ONLY = (*NOT_SAVED, "checkpoint_every")


@dataclass
class TrainConfig:
    """Training options; see the module docstring."""

    epochs: int = field(default=10, metadata=flag("passes over the training data", type=int))
    batch_size: int = field(default=16, metadata=flag("sentences (windows) per optimizer step", type=int))
    # 3e-4: issue 14's rules 9 and 11 on 5-fold document cross-validation (2e-4 over 1e-4: +0.0100
    # paired, 3 of 5 folds; then, with frozen word embeddings, 3e-4 over 2e-4: +0.0070, 3 of 5;
    # benchmarks/RESULTS.md).
    lr: float = field(default=3e-4, metadata=flag("peak learning rate", type=float))
    average_epochs: int = field(
        default=0,
        metadata=flag("keep the mean of the weights at the ends of the last K epochs (0: the last weights)", type=int),
    )
    # 0.9: kept by issue 14's rule 6 on 5-fold document cross-validation (+0.0018 paired, 3 of 5
    # folds: within the folds' noise; benchmarks/RESULTS.md).
    layer_decay: float = field(
        default=0.9,
        metadata=flag("each layer below the top learns at this factor of the rate above it (1: all alike)", type=float),
    )
    # True: kept by issue 14's rule 10 on 5-fold document cross-validation (+0.0089 paired over
    # training them, 4 of 5 folds), and each step skips the table's gradient and update.
    freeze_word_embeddings: bool = field(
        default=True,
        metadata=flag("keep the pretrained word-piece embeddings as they are (positions and casing still learn)",
                      on_off=True, choices=("on", "off")),
    )  # fmt: skip
    warmup: float = field(
        default=0.1, metadata=flag("fraction of all steps spent warming the learning rate up", type=float)
    )
    weight_decay: float = field(
        default=0.01, metadata=flag("AdamW weight decay (not on biases and LayerNorm)", type=float)
    )
    grad_clip: float = field(default=1.0, metadata=flag("largest gradient norm (0: no clipping)", type=float))
    seed: int = field(default=DEFAULT_SEED, metadata=flag("random seed for the split and training", type=int))
    max_len: int | None = field(
        default=None, metadata=flag("word pieces per window (default: the model's limit)", type=int)
    )
    stride: int | None = field(
        default=DEFAULT_STRIDE, metadata=flag("overlap, in word pieces, of windows over long sentences", type=int)
    )  # None truncates like the recipe (and warns)
    context: int = field(
        default=DEFAULT_CONTEXT,
        metadata=flag("word pieces of document context on each side of a sentence (0: none)", type=int),
    )
    context_dropout: float = field(
        default=DEFAULT_CONTEXT_DROPOUT,
        metadata=flag("share of training sentences shown without their context in each epoch", type=float),
    )
    trailing: str = field(
        default="ignore",
        metadata=flag("trailing word pieces: ignored in the loss, or tagged X like the recipe", choices=TRAILING),
    )
    trailing_tag: str = "X"
    casing: bool | None = field(
        default=None, metadata=flag("word-shape features (auto: on for uncased tokenizers)", on_off=True)
    )
    precision: str = field(
        default=DEFAULT_PRECISION,
        metadata=flag("bf16 autocast where native (auto), always (bf16) or never (fp32)", choices=PRECISIONS),
    )
    group_by_length: bool = True
    pad_to: int | None = None  # fixed padding (the recipe pads every sentence to 200); None = dynamic
    patience: int | None = field(
        default=None, metadata=flag("stop after N epochs without a better validation F1", type=int)
    )
    scheme: str | None = field(
        default=None,
        metadata=flag(
            f"tag scheme the model learns: {', '.join(SCHEMES)} (default: the data's; output is always the data's)"
        ),
    )
    crf: bool | None = field(
        default=None, metadata=flag("linear-chain CRF output layer (auto: on unless --trailing tag)", on_off=True)
    )
    device: str | None = field(default=None, metadata=flag("device to train on (default: the GPU when there is one)"))
    progress: bool = field(
        default=True, metadata=flag("no progress bars", switch=True, name="--no-progress", invert=True)
    )
    checkpoint_dir: str | None = field(
        default=None, metadata=flag("where crash-safe checkpoints go (nerkit train: OUTPUT.checkpoints)")
    )
    checkpoint_every: int = field(
        default=0, metadata=flag("checkpoint every K steps too (0: at the end of each epoch only)", type=int)
    )
    resume: bool = field(
        default=False, metadata=flag("continue from the newest checkpoint of a killed run", switch=True)
    )

    def __post_init__(self):
        self._check_types()
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ConfigError(f"learning rate must be positive, got {self.lr}; use e.g. --lr 3e-4")
        if (
            isinstance(self.average_epochs, bool)
            or not isinstance(self.average_epochs, int)
            or not (0 <= self.average_epochs <= self.epochs)
        ):
            raise ConfigError(
                f"average_epochs must be from 0 to the {self.epochs} epochs, got {self.average_epochs!r}; "
                "use e.g. --average-epochs 3"
            )
        if (
            isinstance(self.layer_decay, bool)
            or not isinstance(self.layer_decay, (int, float))
            or not (0 < self.layer_decay <= 1)
        ):
            raise ConfigError(f"layer_decay is a factor above 0 and at most 1, got {self.layer_decay!r}; use e.g. 0.9")
        if not 0 <= self.warmup < 1:
            raise ConfigError(f"warmup is a fraction of the steps in [0, 1), got {self.warmup}")
        if self.trailing not in TRAILING:
            raise ConfigError(f"trailing must be 'ignore' or 'tag', got {self.trailing!r}")
        if self.max_len is not None:
            check_max_len(self.max_len)
        check_stride(self.stride, allow_none=True)
        check_context(self.context)
        check_context_dropout(self.context_dropout)
        check_precision(self.precision)
        check_device(self.device)
        if self.checkpoint_dir is not None:  # a file there: one line now, not a traceback at the first save
            check_output_dir(self.checkpoint_dir, "--checkpoint-dir")
        if self.checkpoint_every < 0:
            raise ConfigError(f"checkpoint_every is a number of steps, 0 or more, got {self.checkpoint_every}")
        if self.resume and not self.checkpoint_dir:
            raise ConfigError(
                "resume needs the checkpoint folder of the run to continue; give checkpoint_dir (--checkpoint-dir)"
            )
        if self.scheme is not None:
            self.scheme = canonical_scheme(self.scheme, "training scheme (--scheme)")
        if self.crf is True and self.trailing == "tag":
            raise ConfigError(
                "the CRF (--crf) works on words and cannot learn the recipe's X tag; use --trailing ignore with it"
            )

    def _check_types(self) -> None:
        """Each option of the right kind (a str "3" for epochs, None for lr, inf, -1 for a count ...), one line each."""
        check_seed(self.seed, "seed (--seed)")
        for name, least, optional in WHOLE:
            value = getattr(self, name)
            if (value is not None or not optional) and (
                isinstance(value, bool) or not isinstance(value, int) or value < least
            ):
                raise ConfigError(
                    f"{name} must be a whole number of at least {least}{' (or None)' if optional else ''}, "
                    f"got {value!r}; use e.g. {_example(name)}"
                )
        for name, least in NUMBERS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{name} must be a finite number, got {value!r}; use e.g. {_example(name)}")
            if value < least:
                raise ConfigError(f"{name} must be at least {least}, got {value!r}; use e.g. {_example(name)}")
        for name in ("crf", "casing", "group_by_length", "progress", "resume", "freeze_word_embeddings"):
            value = getattr(self, name)
            if not (isinstance(value, bool) or (value is None and name in ("crf", "casing"))):
                allowed = "True, False or None (auto)" if name in ("crf", "casing") else "True or False"
                raise ConfigError(f"{name} must be {allowed}, got {value!r}")
        if not isinstance(self.trailing_tag, str) or not self.trailing_tag:
            raise ConfigError(f"trailing_tag must be a tag name such as 'X', got {self.trailing_tag!r}")

    def saved(self) -> dict:
        """The options that shape the model, as saved with it (``NerModel.train_config``)."""
        return {k: v for k, v in asdict(self).items() if k not in NOT_SAVED}

    def identity(self) -> dict:
        """The options a resumed run must share with the run that wrote the checkpoint."""
        return {k: v for k, v in asdict(self).items() if k not in RUN_ONLY}


# (option, least, None allowed): whole numbers; ranges beyond the least are checked in __post_init__.
WHOLE = (
    ("epochs", 1, False),
    ("batch_size", 1, False),
    ("checkpoint_every", 0, False),
    ("patience", 1, True),
    ("max_len", MIN_MAX_LEN, True),
    ("pad_to", MIN_MAX_LEN, True),
)
NUMBERS = (("lr", 0), ("warmup", 0), ("weight_decay", 0), ("grad_clip", 0))  # finite, >= least
DEFAULTS = {f.name: f.default for f in fields(TrainConfig)} | {"patience": 3, "max_len": 128, "pad_to": 200}


def _example(name: str) -> str:
    """How to give the option, for an error line: ``--max-len 128`` (or ``pad_to=200``, which has no flag)."""
    flagged = "flag" in next(f for f in fields(TrainConfig) if f.name == name).metadata
    return f"--{name.replace('_', '-')} {DEFAULTS[name]}" if flagged else f"{name}={DEFAULTS[name]}"


def check_validation(config: TrainConfig) -> None:
    """With a validation set: a validation set keeps its best epoch, average_epochs the mean of the last ones."""
    if config.average_epochs:
        raise ConfigError(
            "a validation set keeps its best epoch and average_epochs keeps the mean of the last ones; use one of them"
        )


def uses_crf(config: TrainConfig) -> bool:
    """Whether a fresh model gets a CRF: ``crf=None`` means yes, except in the recipe's X-tag mode."""
    return config.crf if config.crf is not None else config.trailing != "tag"
