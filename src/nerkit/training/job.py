"""A whole training job, as ``nerkit train`` runs it: load, split, fit, evaluate, save.

>>> from nerkit.training.job import TrainJob, run_train_job
>>> result = run_train_job(TrainJob(data="wikigold", output="runs/wikigold"))    # doctest: +SKIP
>>> print(result.report)                                                         # doctest: +SKIP
entity-level scores (seqeval, default mode, IO tags), word level
...

The job holds what surrounds training (where the data and the model go, how the data is
split); the training options themselves are a :class:`~nerkit.training.config.TrainConfig`.
The saved model records the data (its name and fingerprint), split and seed in ``nerkit.json``
(``train_config``; :func:`nerkit.evaluation.heldout.record_split`), so ``nerkit evaluate`` and
``nerkit report`` can score the same test side later, and the test side's report in ``test_report.json`` beside it. Checkpoints go to
``OUTPUT.checkpoints`` unless ``checkpoint_dir`` says otherwise, and are removed once the
model is saved.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..data.conll import TAG_COLUMN
from ..data.dataset import Dataset
from ..data.formats import ReadOptions
from ..data.sources import load
from ..data.splits import DEFAULT_TEST_FRACTION, SPLIT_BY, check_fraction, split, subsample, validation_split
from ..errors import ConfigError
from ..evaluation.evaluate import evaluate
from ..evaluation.heldout import record_split
from ..evaluation.scores import Report
from ..labels import detect_scheme
from ..modeling.model import NerModel, check_save_target, holds_model
from ..modeling.store import check_length_for, check_source
from ..options import flag
from ..outputs import check_output_dir
from ..parallel.group import setup
from ..parallel.launcher import launch
from . import checkpoint
from .config import TrainConfig, check_validation
from .loop import fit

__all__ = ["TrainJob", "TrainResult", "run_train_job", "train_in_processes", "QUICK_FRACTION"]

QUICK_FRACTION = 0.1  # the recipe's QUICK_RUN: a tenth of each side, one epoch


@dataclass
class TrainJob:
    """Where the data and the model come from and go; see the module docstring."""

    data: str = field(
        metadata=flag(
            "'wikigold' (bundled), a CoNLL or annotation-tool file, a saved HF dataset (DIR[:SPLIT]), or a URL"
        )
    )
    output: str = field(metadata=flag("directory to save the model in"))
    tag_column: int = field(
        default=TAG_COLUMN, metadata=flag("column holding the tag, from 0 (-1: the last)", type=int)
    )
    test_data: str | None = field(default=None, metadata=flag("a separate test file (instead of splitting --data)"))
    test_fraction: float = field(
        default=DEFAULT_TEST_FRACTION, metadata=flag("fraction of sentences held out for testing", type=float)
    )
    split_by: str = field(
        default=SPLIT_BY[0],
        metadata=flag("split whole documents or single sentences at random (the recipe: sentence)", choices=SPLIT_BY),
    )
    model: str | None = field(
        default=None, metadata=flag("hub name, preset, or directory (default: the embedded MiniLM)")
    )
    validation: float | None = field(
        default=None, metadata=flag("carve this fraction of the training side for choosing the best epoch", type=float)
    )
    quick: bool = field(
        default=False, metadata=flag("a tenth of the data and one epoch, to check the set-up", switch=True)
    )
    overwrite: bool = field(default=False, metadata=flag("replace a model already in --output", switch=True))
    keep_checkpoints: bool = field(
        default=False, metadata=flag("keep the checkpoints after the model is saved", switch=True)
    )
    reading: ReadOptions = field(default_factory=ReadOptions)  # how --data and --test-data are read

    def __post_init__(self) -> None:
        check_fraction(self.test_fraction, "--test-fraction")
        if self.validation is not None:
            check_fraction(self.validation, "--validation")
        if self.split_by not in SPLIT_BY:
            raise ConfigError(f"split_by (--split-by) must be 'sentence' or 'document', got {self.split_by!r}")
        check_output_dir(self.output, "--output")  # before any data is read or any step is trained
        if self.model is not None:
            # A damaged --model directory, a mistyped path or a file: one line before the data is read.
            check_source(self.model)
        if holds_model(Path(self.output)) and not self.overwrite:
            raise ConfigError(f"{self.output} already holds a model; pass --overwrite or choose another --output")
        check_save_target(self.output, self.overwrite)  # a folder of other files: refused before training, not emptied

    @property
    def checkpoints(self) -> str:
        """The default checkpoint folder: ``OUTPUT.checkpoints`` beside the model."""
        output = Path(self.output)
        return str(output.with_name(output.name + ".checkpoints"))

    def train_config(self, **options) -> TrainConfig:
        """The training options as this job runs them: ``options`` (TrainConfig fields), with the
        checkpoints beside the output unless ``checkpoint_dir`` says otherwise, one epoch when quick."""
        config = TrainConfig(**{"checkpoint_dir": self.checkpoints, **options})
        return _quick(config) if self.quick else config


@dataclass
class TrainResult:
    model: NerModel | None  # None in processes other than the first
    report: Report
    seconds: float


def _sides(job: TrainJob, seed: int) -> tuple[Dataset, Dataset, Dataset | None, dict]:
    """Training, test and validation data, as the job asks, and the record of the split saved with the model."""
    data = load(job.data, tag_column=job.tag_column, **asdict(job.reading))
    test_data = load(job.test_data, tag_column=job.tag_column, **asdict(job.reading)) if job.test_data else None
    for tagged in (data, test_data):  # a malformed tag is one line now, not after the model is built
        if tagged is not None:
            detect_scheme(tagged.labels)
    if test_data is not None:
        train, test = data, test_data
    else:
        train, test = split(data, test_fraction=job.test_fraction, seed=seed, by=job.split_by)
    if job.quick:
        train, test = subsample(train, QUICK_FRACTION, seed), subsample(test, QUICK_FRACTION, seed)
    validation = None
    if job.validation:
        train, validation = validation_split(train, job.validation, seed=seed)
    record = record_split(
        data, job.data, job.test_fraction, job.split_by, test_data, job.test_data, QUICK_FRACTION if job.quick else None
    )
    return train, test, validation, record


def _quick(config: TrainConfig) -> TrainConfig:
    """The options of a quick run: one epoch (so at most one epoch's weights to average)."""
    return replace(config, epochs=1, average_epochs=min(config.average_epochs, 1))


def run_train_job(job: TrainJob, config: TrainConfig | None = None) -> TrainResult:
    """Train on the job's data, test on its test side, save (on the first process); see the module docstring.

    ``config`` defaults to ``job.train_config()``.
    """
    config = config or job.train_config()
    config = _quick(config) if job.quick else config
    if job.validation:  # option clashes: one line before any data is read
        check_validation(config)
    check_length_for(job.model, config.max_len)
    train, test, validation, record = _sides(job, config.seed)
    ctx = setup(config.device)
    if ctx.is_main:
        sizes = f"training on {len(train)} sentences, testing on {len(test)}"
        sizes += f", validating on {len(validation)}" if validation else ""
        sizes += f", in {ctx.world_size} processes" if ctx.distributed else ""
        print(sizes, file=sys.stderr)
    started = time.perf_counter()
    ner = fit(train, job.model, config=config, validation=validation)
    seconds = time.perf_counter() - started
    ner.train_config.update(record)  # `nerkit evaluate` and `report` score this split's test side by default
    report = evaluate(ner, test, ctx=ctx)  # each process tags its share; all get the same report
    if not ctx.is_main:  # only rank 0 writes
        return TrainResult(None, report, seconds)
    report.extra = {"train_seconds": round(seconds, 1), "train_sentences": len(train), "test_sentences": len(test)}
    ner.save(job.output, overwrite=job.overwrite, evaluation=report.to_dict())  # test_report.json and the card
    if not job.keep_checkpoints:  # the saved model supersedes them
        checkpoint.remove(config.checkpoint_dir)
    return TrainResult(ner, report, seconds)


def train_in_processes(argv: Sequence[str], nproc: int, job: TrainJob, config: TrainConfig) -> int:
    """Run the ``nerkit`` command ``argv`` (a ``train``) in ``nproc`` processes; return the exit status."""
    load(
        job.data, tag_column=job.tag_column, **asdict(job.reading)
    )  # a bad file is one error here, not one per process
    if config.batch_size < nproc:
        raise ConfigError(
            f"--batch-size {config.batch_size} is smaller than --nproc {nproc}; the batch is "
            f"shared between the processes, so use --batch-size {nproc} or more"
        )
    # Re-run this very command in N processes; `--nproc 1` last overrides the first.
    return launch([*argv, "--nproc", "1"], nproc, config.device)
