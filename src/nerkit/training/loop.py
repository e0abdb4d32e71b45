"""Fine-tuning: one loop over epochs of optimizer steps.

>>> import nerkit
>>> train, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
>>> model = nerkit.fit(train, epochs=10)          # doctest: +SKIP
epoch 1/10: loss 0.6123 (27.1 s, 1290 tokens/s)
...

Why it is fast: batches hold sentences of similar length (shuffled groups, so training
stays random) padded only to their longest member, so almost no work goes into padding;
bf16 autocast runs where the hardware has native bf16 (AMX/AVX-512 BF16 CPUs, GPUs). The
windows become tensors once per run, on the model's device, and each step cuts its batch out
of them; the loss is summed on the device and read back once an epoch, so on a GPU the host
never waits for a step to finish (benchmarks/overhead.py measures what a step costs around the model).
Why it is right: AdamW with weight decay off for biases and LayerNorm, linear warm-up and
decay, gradient clipping; with a validation set the best epoch by validation F1 is kept
(and training may stop early); the test side is never looked at.
Why nothing is lost: with ``checkpoint_dir`` the run is checkpointed (nerkit.training.resume).
Beyond one process: under torchrun (or ``nerkit train --nproc N``) the same loop runs as
DistributedDataParallel. ``batch_size`` is the *global* batch: every process draws the same
length-grouped batches (same seed) and takes every ``world``-th window of each, and losses
are weighted by each process's share of the labelled word pieces, which makes the averaged
gradient the one a single process computes on the whole batch. Only rank 0 writes files.
"""

from __future__ import annotations

import contextlib
import copy
import math
import random
import sys
import time
from dataclasses import dataclass, field, fields, replace

import numpy as np
import torch

from ..data.dataset import Dataset
from ..data.formats import as_dataset
from ..encoding.batches import Batch, WindowTable, cut, length_grouped_batches
from ..encoding.context import surrounding
from ..encoding.windows import encode
from ..errors import ConfigError, DataError
from ..evaluation.evaluate import evaluate
from ..hardware import use_bf16
from ..modeling.model import NerModel
from ..parallel.group import Context, setup
from .config import TrainConfig, check_validation
from .dropout import fast_dropout
from .freezing import frozen_word_embeddings
from .optimizer import Update, build_optimizer
from .prepare import in_label_scheme, prepare_model
from .resume import EpochSums, Progress, log, run_identity, save_checkpoint, start

__all__ = ["fit"]

FOLD_EVERY = 1024  # steps between additions of the losses kept on the device (each a read-back)
SHOW_EVERY = 25  # steps between updates of the progress bar's loss (each reads a number back from the device)


def fit(
    train: Dataset,
    model: NerModel | str | None = None,
    config: TrainConfig | None = None,
    validation: Dataset | None = None,
    **options,
) -> NerModel:
    """Fine-tune ``model`` (a NerModel, a model name/directory, or None for the embedded default) on ``train``
    (a Dataset, or a ``datasets.Dataset`` with token and tag columns).

    ``options`` override fields of ``config`` (``fit(train, epochs=3, lr=5e-5)``).
    Returns the trained model; ``model.history`` holds one record per epoch.
    """
    train, validation = as_dataset(train), None if validation is None else as_dataset(validation)
    if train.labels is None:
        raise DataError(f"training data {train.name or ''} has no tags; give a file with a tag column")
    if len(train) == 0:
        raise DataError("training data is empty")
    config = _config(config, options)
    if validation is not None:
        check_validation(config)
    ctx = setup(config.device)  # one process, or one of several started by torchrun / --nproc
    if config.batch_size < ctx.world_size:
        raise ConfigError(
            f"batch size {config.batch_size} is smaller than the {ctx.world_size} processes; "
            f"the batch is shared between them, so use --batch-size {ctx.world_size} or more"
        )
    torch.manual_seed(config.seed)
    ner = prepare_model(train, model, config)
    # Both give the network back as it was: dropout at a third of its cost on a CPU, and the
    # word embeddings learning (or not, with freeze_word_embeddings).
    with fast_dropout(ner.network), frozen_word_embeddings(ner.network, config.freeze_word_embeddings):
        run = _Run.begin(ner, in_label_scheme(train, config.scheme or ner.label_scheme), validation, config, ctx)
        for epoch in range(run.progress.epoch, 0 if run.progress.done else config.epochs + 1):
            sums = run.train_epoch(epoch)
            if run.end_epoch(epoch, sums):
                break
    return run.finish()


def _config(config: TrainConfig | None, options: dict) -> TrainConfig:
    names = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(options) - names)
    if unknown:
        raise ConfigError(f"unknown training option(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    if config is not None and not isinstance(config, TrainConfig):
        raise ConfigError(
            f"config= takes a TrainConfig, got a {type(config).__name__}; pass nerkit.TrainConfig(epochs=3), "
            "or the options as keywords: fit(train, epochs=3)"
        )
    return replace(config or TrainConfig(), **options)


@dataclass
class _Run:
    """Everything one training run holds between its steps."""

    ner: NerModel
    config: TrainConfig
    ctx: Context
    table: WindowTable  # the windows as tensors, on the model's device: batches are cut out of it
    labelled: list[int]  # labelled pieces per window: each process weighs its loss by its share
    # Per training window: the table row of the same window without its document context
    # (its own row when it has none); the rows after the windows hold those context-free copies.
    alone: list[int]
    validation: Dataset | None
    optimizer: torch.optim.Optimizer
    scheduler: object
    trainer: torch.nn.Module  # the network, under DDP with several processes
    bf16: bool
    progress: Progress
    best_state: dict | None
    run_id: dict | None
    steps: int = 0  # batches in an epoch
    parameters: list = field(default_factory=list)  # the network's, listed once (not walked every step)
    update: Update | None = None  # clip and step: set by begin

    @classmethod
    def begin(cls, ner: NerModel, train: Dataset, validation, config: TrainConfig, ctx: Context) -> "_Run":
        from transformers import get_linear_schedule_with_warmup

        ner.inference = ner.inference.updated(context=config.context)  # saved with the model: predict reads it
        windows, _ = encode(
            train.sentences,
            ner.tokenizer,
            ner.label_map,
            train.labels,
            max_len=config.pad_to or ner.max_len,
            stride=config.stride,
            casing=ner.casing,
            context=config.context,
            surroundings=surrounding(train.sentences, train.doc_ids, config.context, train.positions),
        )
        total_steps = math.ceil(len(windows) / config.batch_size) * config.epochs
        with_context = np.flatnonzero(windows.context.any(axis=1))
        alone = np.arange(len(windows))  # per window: the row of its copy without context (itself if none)
        alone[with_context] = len(windows) + np.arange(len(with_context))
        alone = alone.tolist()
        windows += windows.alone(with_context)
        optimizer = build_optimizer(ner.network, config)
        scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup * total_steps), total_steps)
        labelled = windows.labelled().tolist()
        progress, best_state, run_id = Progress(), None, None
        if ctx.distributed:
            torch.manual_seed(config.seed + ctx.rank)  # dropout masks differ between processes
        if config.checkpoint_dir:
            run_id = run_identity(config, train, validation, ner.label_map.names, ctx)
            progress, best_state = start(config, run_id, ner.network, optimizer, scheduler, ctx)
        bf16 = use_bf16(config.precision, ner.device)
        table = WindowTable.build(windows).to(ner.device)
        return cls(ner, config, ctx, table, labelled, alone, validation, optimizer, scheduler, ctx.wrap(ner.network),
                   bf16, progress, best_state, run_id, parameters=list(ner.network.parameters()),
                   update=Update(optimizer, config.grad_clip))  # fmt: skip

    def train_epoch(self, epoch: int) -> EpochSums:
        """The epoch's optimizer steps (from where a resumed run stopped); its sums in this process."""
        from tqdm.auto import tqdm

        config, ctx, progress = self.config, self.ctx, self.progress
        self.ner.network.train()
        batches = self.batches(epoch)
        first = progress.step  # batches done before a resume, else 0
        started = time.perf_counter() - progress.seconds
        # Rank 0 carries a resumed epoch's sums.
        running = _Running(self.ner.device, progress.sums if ctx.is_main else EpochSums())
        bar = tqdm(total=len(batches), initial=first, desc=f"epoch {epoch}/{config.epochs}",
                   disable=not (config.progress and ctx.is_main), leave=False, file=sys.stderr)  # fmt: skip
        # Each global batch, this process's share of it, and the windows it runs as tensors.
        shares = [ctx.share(idx) for idx in batches[first:]]
        cuts = cut(self.table, map(_rows, batches[first:], shares), self.ner.pad_id, config.pad_to)
        for step, (idx, mine, batch) in enumerate(zip(batches[first:], shares, cuts), start=first):
            self.step(idx, mine, batch, running)
            progress.global_step += 1
            bar.update()
            if not bar.disable and (step + 1) % SHOW_EVERY == 0:  # a read-back, so not every step
                bar.set_postfix(loss=f"{running.read().loss * ctx.world_size / (step + 1):.4f}")
            every = config.checkpoint_every
            if config.checkpoint_dir and every and progress.global_step % every == 0 and step + 1 < len(batches):
                progress.epoch, progress.step, progress.sums = epoch, step + 1, running.read()
                progress.seconds = time.perf_counter() - started
                self.checkpoint()
        bar.close()
        sums = running.read()  # the epoch's one wait for the device
        progress.seconds = time.perf_counter() - started
        self.steps = len(batches)
        return sums

    def batches(self, epoch: int) -> list[list[int]]:
        """The epoch's batches of table rows: each window once, without its context with
        probability ``context_dropout``; the same in every process and after a resume (seeded by epoch)."""
        config = self.config
        rng = random.Random(config.seed + epoch)
        rows = [alone if rng.random() < config.context_dropout else k for k, alone in enumerate(self.alone)]
        lengths = [self.table.lengths[r] for r in rows]
        batches = length_grouped_batches(lengths, config.batch_size, config.seed + epoch, config.group_by_length)
        return [[rows[j] for j in batch] for batch in batches]

    def step(self, idx: list[int], mine: list[int], batch: Batch, running: "_Running") -> None:
        """One optimizer step on the global batch ``idx``, of which ``mine`` is this process's share
        and ``batch`` its windows as tensors; this process's part of its loss and pieces go to ``running``.

        With several processes each takes its share of ``idx`` and scales its mean loss by its
        share of the batch's labelled pieces (times the number of processes, which DDP's
        gradient averaging divides out again), so the step equals one process's on all of ``idx``.
        """
        ctx, network, device = self.ctx, self.ner.network, self.ner.device
        weight = 1.0
        if ctx.distributed:
            total = sum(self.labelled[i] for i in idx)
            weight = sum(self.labelled[i] for i in mine) * ctx.world_size / total if total else 0.0
        rows = _rows(idx, mine)
        inputs = batch.model_inputs(device, with_labels=weight > 0)
        if "labels" in inputs:  # the CRF's width, known here: the device need not tell it
            inputs["words"] = max(self.labelled[i] for i in rows)
        # No autocast context at all in fp32: entering a disabled one still costs time on every step.
        with torch.autocast(device.type, dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext():
            out = self.trainer(**inputs)
        if not ctx.distributed:
            loss = out.loss
        elif weight > 0:
            loss = out.loss * weight
        else:  # zero gradients for every parameter
            loss = sum(p.sum() for p in network.parameters()) * 0.0
        loss.backward()
        self.update()  # clipping included
        self.scheduler.step()
        for p in self.parameters:  # optimizer.zero_grad(set_to_none=True), without its per-call bookkeeping
            p.grad = None
        if mine:
            lengths = [self.table.lengths[i] for i in mine]
            running.add(loss, ctx.world_size, sum(lengths), len(mine) * (self.config.pad_to or max(lengths)))

    def end_epoch(self, epoch: int, sums: EpochSums) -> bool:
        """Record the epoch, validate, checkpoint; True when training should stop early."""
        config, ctx, progress = self.config, self.ctx, self.progress
        total = sums.summed(ctx)
        seconds = progress.seconds
        record = {
            "epoch": epoch,
            "loss": total.loss / max(1, self.steps),
            "seconds": round(seconds, 2),
            "tokens": total.tokens,
            "padded_tokens": total.padded_tokens,
            "lr": self.scheduler.get_last_lr()[0],
        }
        message = (
            f"epoch {epoch}/{config.epochs}: loss {record['loss']:.4f} ({seconds:.1f} s, "
            f"{total.tokens / seconds:.0f} tokens/s)"
        )
        if self.validation is not None:
            message += self._validate(epoch, record)
        self._average(epoch)
        progress.history.append(record)
        if ctx.is_main:
            log(config, message)
        stop = config.patience is not None and progress.stale >= config.patience
        progress.epoch, progress.step, progress.sums, progress.seconds = epoch + 1, 0, EpochSums(), 0.0
        progress.done = stop or epoch == config.epochs
        if config.checkpoint_dir:
            self.checkpoint()
        if stop and ctx.is_main:
            log(config, f"no better validation F1 for {progress.stale} epochs; stopping early")
        return stop

    def _validate(self, epoch: int, record: dict) -> str:
        """Score the validation set; keep the weights of the best epoch so far."""
        report = evaluate(self.ner, self.validation, ctx=self.ctx)
        record["val_f1"], record["val_loss"] = report.f1, report.loss
        progress = self.progress
        if report.f1 > progress.best_f1:
            progress.best_f1, progress.best_epoch, progress.stale = report.f1, epoch, 0
            state = self.ner.network.state_dict()
            self.best_state = copy.deepcopy({k: v.detach().cpu() for k, v in state.items()})
        else:
            progress.stale += 1
        return f", validation F1 {report.f1:.4f}"

    def _average(self, epoch: int) -> None:
        """Fold this epoch's weights into the mean of the last ``average_epochs`` epochs' weights.

        The mean is kept where a validation set keeps its best epoch (``best_state``), so it is
        checkpointed with the run and loaded by :meth:`finish`; the epochs it holds follow from
        the epoch number, so a resumed run continues it exactly.
        """
        k = epoch - (self.config.epochs - self.config.average_epochs)  # 1 for the first epoch in the mean
        if not self.config.average_epochs or k < 1:
            return
        state = {name: v.detach().cpu().clone() for name, v in self.ner.network.state_dict().items()}
        if k > 1 and self.best_state is not None:
            for name, value in state.items():
                if value.is_floating_point():
                    value.copy_(self.best_state[name] + (value - self.best_state[name]) / k)
        self.best_state = state

    def checkpoint(self) -> None:
        save_checkpoint(self.config, self.ctx, self.run_id, self.ner.network, self.optimizer, self.scheduler,
                        self.progress, self.best_state)  # fmt: skip

    def finish(self) -> NerModel:
        """The trained model: the best epoch's weights when a validation set chose one, the mean
        of the last epochs' with ``average_epochs``."""
        network = self.ner.network
        if self.best_state is not None:
            network.load_state_dict(self.best_state)
            if self.ctx.is_main and self.config.average_epochs:
                log(self.config, f"kept the mean of the last {self.config.average_epochs} epochs' weights")
            elif self.ctx.is_main:
                log(
                    self.config,
                    f"kept epoch {self.progress.best_epoch} (best validation F1 {self.progress.best_f1:.4f})",
                )
        network.eval()
        self.ner.history = self.progress.history
        self.ner.train_config = self.config.saved()
        return self.ner


def _rows(idx: list[int], mine: list[int]) -> list[int]:
    """The windows a process runs for the global batch ``idx``: its share ``mine``, or with no share
    (a short last batch) the batch's first window. A process with nothing labelled, or no share,
    still runs forward and backward, with zero gradients, because DDP all-reduces every step."""
    return mine or idx[:1]


class _Running:
    """An epoch's sums so far: the losses stay on the device (adding a number read back from a
    GPU would make the host wait for every step) and are added up when read; the piece counts
    are known on the host."""

    def __init__(self, device: torch.device, start: EpochSums):
        # float64, like the Python floats it replaces: the epoch's loss is the same to the last digit.
        self.dtype = torch.float32 if device.type == "mps" else torch.float64
        self.loss, self.pending, self.world_size = start.loss, [], 1
        self.tokens, self.padded_tokens = start.tokens, start.padded_tokens

    def add(self, loss: torch.Tensor, world_size: int, tokens: int, padded_tokens: int) -> None:
        self.pending.append(loss.detach())  # no arithmetic on the step; nothing waits for the device
        self.world_size = world_size
        if len(self.pending) >= FOLD_EVERY:
            self._fold()
        self.tokens += tokens
        self.padded_tokens += padded_tokens

    def read(self) -> EpochSums:
        self._fold()
        return EpochSums(float(self.loss), self.tokens, self.padded_tokens)

    def _fold(self) -> None:
        if self.pending:
            # Each loss widened and divided, then added one after another: the sums each step
            # used to make, in the same order (one read-back for all of them).
            losses = (torch.stack(self.pending).to(self.dtype) / self.world_size).tolist()
            self.pending = []
            for x in losses:
                self.loss += x
