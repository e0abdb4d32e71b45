"""Fine-tuning: one options dataclass and one loop.

>>> import nerkit
>>> train, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
>>> model = nerkit.fit(train, epochs=10)          # doctest: +SKIP
epoch 1/10: loss 0.6123 (27.1 s, 1290 tokens/s)
...

Why it is fast: batches hold sentences of similar length (shuffled groups, so training
stays random) padded only to their longest member, so almost no work goes into padding;
bf16 autocast runs where the hardware has native bf16 (AMX/AVX-512 BF16 CPUs, GPUs).
Why it is right: AdamW with weight decay off for biases and LayerNorm, linear warm-up and
decay, gradient clipping; with a validation set the best epoch by validation F1 is kept
(and training may stop early); the test side is never looked at.
Why nothing is lost: with ``checkpoint_dir`` the run is checkpointed at the end of every
epoch (and every ``checkpoint_every`` steps), atomically, and ``resume=True`` continues a
killed run to the same losses and weights as an uninterrupted one (nerkit.checkpoint).
Beyond one process: under torchrun (or ``nerkit train --nproc N``) the same loop runs as
DistributedDataParallel, ``batch_size`` being the global batch (nerkit.distributed).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field, fields, replace

import torch

from . import distributed
from .data import Dataset, unique_labels
from .errors import ConfigError, DataError, ModelError
from .features import IGNORE, check_max_len, collate, encode, length_grouped_batches
from .labels import _canonical_scheme as canonical_scheme
from .crf import attach as attach_crf
from .crf import crf_loss, get_crf
from .labels import convert_scheme, create_label_map, detect_scheme
from .model import NerModel, bf16_supported, build, choose_device


CRF_LR_FACTOR = 100  # the CRF's learning rate relative to the encoder's (TrainConfig.crf)


@dataclass
class TrainConfig:
    """Training options; the defaults suit small models such as the embedded MiniLM.

    Evidence for the defaults is in README.md ("Defaults") and benchmarks/RESULTS.md.
    """

    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-4
    warmup: float = 0.1  # fraction of all steps spent warming the learning rate up
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    seed: int = 100
    max_len: int | None = None  # pieces per window; None = the model's limit (padding is dynamic, so long costs nothing)
    stride: int | None = 32  # overlap of windows for long sentences; None truncates like the recipe (and warns)
    trailing: str = "ignore"  # trailing word pieces: "ignore" (-100 in the loss) or "tag" (the recipe's X)
    trailing_tag: str = "X"
    casing: bool | None = None  # word shapes for uncased models; None = on when the tokenizer lowercases
    precision: str = "auto"  # "auto" (bf16 where native), "bf16" or "fp32"
    group_by_length: bool = True
    pad_to: int | None = None  # fixed padding (the recipe pads every sentence to 200); None = dynamic
    patience: int | None = None  # stop after this many epochs without a better validation F1
    scheme: str | None = None  # tags the model learns (IO, IOB1, BIO, BIOES); None = the data's own. Predictions come back in the data's scheme
    crf: bool | None = None  # a linear-chain CRF on the word logits (nerkit.crf); None = on unless trailing="tag" (RESULTS.md, issue 5)
    device: str | None = None
    progress: bool = True
    checkpoint_dir: str | None = None  # where crash-safe checkpoints go (nerkit.checkpoint); None = none
    checkpoint_every: int = 0  # also checkpoint every this many optimizer steps (0 = at the end of each epoch only)
    resume: bool = False  # continue from the newest checkpoint in checkpoint_dir (a fresh start if there is none)

    def __post_init__(self):
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ConfigError(f"learning rate must be positive, got {self.lr}")
        if not 0 <= self.warmup < 1:
            raise ConfigError(f"warmup is a fraction of the steps in [0, 1), got {self.warmup}")
        if self.trailing not in ("ignore", "tag"):
            raise ConfigError(f"trailing must be 'ignore' or 'tag', got {self.trailing!r}")
        if self.max_len is not None:
            check_max_len(self.max_len)
        if self.precision not in ("auto", "bf16", "fp32"):
            raise ConfigError(f"precision must be auto, bf16 or fp32, got {self.precision!r}")
        if self.checkpoint_every < 0:
            raise ConfigError(f"checkpoint_every is a number of steps, 0 or more, got {self.checkpoint_every}")
        if self.resume and not self.checkpoint_dir:
            raise ConfigError("resume needs the checkpoint folder of the run to continue; give checkpoint_dir (--checkpoint-dir)")
        if self.scheme is not None:
            self.scheme = canonical_scheme(self.scheme, "training scheme (--scheme)")
        if self.crf is True and self.trailing == "tag":
            raise ConfigError("the CRF (--crf) works on words and cannot learn the recipe's X tag; use --trailing ignore with it")


def uses_crf(config: TrainConfig) -> bool:
    """Whether a fresh model gets a CRF: ``crf=None`` means yes, except in the recipe's X-tag mode."""
    return config.crf if config.crf is not None else config.trailing != "tag"


def use_bf16(precision: str, device: torch.device) -> bool:
    if precision == "fp32":
        return False
    if precision == "bf16":
        return True
    return bf16_supported(device)


def _optimizer(network, config: TrainConfig):
    # Weight decay on biases and LayerNorm weights only hurts; the usual BERT recipe skips them.
    decay, no_decay, crf = [], [], []
    for name, p in network.named_parameters():
        if not p.requires_grad:
            continue
        if name.startswith("crf."):
            crf.append(p)
            continue
        (no_decay if p.ndim < 2 or "LayerNorm" in name or "layer_norm" in name else decay).append(p)
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if crf:
        # CRF scores start at zero and must move by whole units; at the encoder's learning
        # rate they would hardly leave it in a few hundred steps.
        groups.append({"params": crf, "weight_decay": 0.0, "lr": config.lr * CRF_LR_FACTOR})
    try:
        # The fused kernel updates all parameters in one pass; the per-tensor loop cost a
        # quarter of each step on a 2-core CPU (22M parameters, most in the embeddings).
        return torch.optim.AdamW(groups, lr=config.lr, fused=True)
    except (RuntimeError, TypeError):  # older torch, or a device without the fused kernel
        return torch.optim.AdamW(groups, lr=config.lr, foreach=True)


def _log(config: TrainConfig, message: str):
    if config.progress:
        print(message, file=sys.stderr, flush=True)


def prepare_model(train: Dataset, model, config: TrainConfig) -> NerModel:
    """A fresh model for the data's tags, or check that a given one covers them."""
    tags = unique_labels(train)
    if isinstance(model, NerModel):
        if not isinstance(model.network, torch.nn.Module):  # e.g. an ONNX export (nerkit.export)
            raise ModelError("this model only runs inference (an ONNX export); train the PyTorch model it was exported from")
        missing = sorted(set(tags) - set(model.label_map.tags))
        if missing:
            raise ModelError(
                f"the model's labels ({', '.join(model.label_map.tags)}) lack {', '.join(missing)} found in the data; "
                "train a new model on this data instead"
            )
        return model
    trailing_tag = config.trailing_tag if config.trailing == "tag" else None
    label_map = create_label_map(tags, trailing_tag=trailing_tag)
    ner = build(
        model, label_map=label_map, casing=config.casing, max_len=config.max_len, device=config.device,
        scheme=detect_scheme(train.labels),
    )
    if uses_crf(config):
        attach_crf(ner.network, label_map.num_labels)
    return ner


def fit(
    train: Dataset,
    model: NerModel | str | None = None,
    config: TrainConfig | None = None,
    validation: Dataset | None = None,
    **options,
) -> NerModel:
    """Fine-tune ``model`` (a NerModel, a model name/directory, or None for the embedded default) on ``train``.

    ``options`` override fields of ``config`` (``fit(train, epochs=3, lr=5e-5)``).
    Returns the trained model; ``model.history`` holds one record per epoch.
    """
    if train.labels is None:
        raise DataError(f"training data {train.name or ''} has no tags; give a file with a tag column")
    if len(train) == 0:
        raise DataError("training data is empty")
    names = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(options) - names)
    if unknown:
        raise ConfigError(f"unknown training option(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    config = replace(config or TrainConfig(), **options)
    ctx = distributed.setup(config.device)  # one process, or one of several started by torchrun / --nproc
    if config.batch_size < ctx.world_size:
        raise ConfigError(f"batch size {config.batch_size} is smaller than the {ctx.world_size} processes; "
                          f"the batch is shared between them, so use --batch-size {ctx.world_size} or more")
    torch.manual_seed(config.seed)
    # The model may learn another scheme than the data's (e.g. BIO boundaries for IO data);
    # predict() converts back, so users and scores always see the data's own tags.
    data_scheme = detect_scheme(train.labels)
    given = model if isinstance(model, NerModel) else None
    tag_scheme = config.scheme or (given and (given.train_scheme or given.scheme)) or data_scheme
    if tag_scheme != data_scheme:
        train = replace(train, labels=[convert_scheme(t, tag_scheme) for t in train.labels])
    ner = prepare_model(train, model, config)
    if given is None:
        ner.scheme, ner.train_scheme = data_scheme, (tag_scheme if tag_scheme != data_scheme else None)
    device = ner.device
    network, tokenizer = ner.network, ner.tokenizer
    windows, _ = encode(
        train.sentences, tokenizer, ner.label_map, train.labels,
        max_len=config.pad_to or ner.max_len, stride=config.stride, casing=ner.casing,
    )
    lengths = [len(w.input_ids) for w in windows]
    steps_per_epoch = math.ceil(len(windows) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    from transformers import get_linear_schedule_with_warmup

    optimizer = _optimizer(network, config)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup * total_steps), total_steps)
    bf16 = use_bf16(config.precision, device)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    # Labelled pieces per window: with several processes each weighs its loss by its share of a batch's.
    labelled = [sum(1 for x in w.labels if x != IGNORE) for w in windows]
    progress, best_state, run_id = Progress(), None, None
    if ctx.distributed:
        torch.manual_seed(config.seed + ctx.rank)  # dropout masks differ between processes
    if config.checkpoint_dir:
        run_id = _run_identity(config, train, validation, ner, ctx)
        progress, best_state = _start(config, run_id, network, optimizer, scheduler, ctx)
    trainer = ctx.wrap(network)
    step_args = dict(windows=windows, labelled=labelled, ctx=ctx, pad_id=pad_id, pad_to=config.pad_to, device=device,
                     bf16=bf16, network=network, optimizer=optimizer, scheduler=scheduler, grad_clip=config.grad_clip)
    from tqdm.auto import tqdm

    for epoch in range(progress.epoch, 0 if progress.done else config.epochs + 1):
        network.train()
        batches = length_grouped_batches(lengths, config.batch_size, config.seed + epoch, config.group_by_length)
        first = progress.step  # batches done before a resume, else 0
        started = time.perf_counter() - progress.seconds
        # loss, real tokens, padded tokens of this process so far; rank 0 carries a resumed epoch's sums.
        sums = list(progress.sums) if ctx.is_main else [0.0, 0, 0]
        bar = tqdm(total=len(batches), initial=first, desc=f"epoch {epoch}/{config.epochs}",
                   disable=not (config.progress and ctx.is_main), leave=False, file=sys.stderr)
        for step in range(first, len(batches)):
            done = _train_step(trainer, batches[step], **step_args)
            sums = [a + b for a, b in zip(sums, done)]
            progress.global_step += 1
            bar.update()
            bar.set_postfix(loss=f"{sums[0] * ctx.world_size / (step + 1):.4f}")
            if config.checkpoint_dir and config.checkpoint_every and progress.global_step % config.checkpoint_every == 0 \
                    and step + 1 < len(batches):
                progress.epoch, progress.step, progress.sums = epoch, step + 1, sums
                progress.seconds = time.perf_counter() - started
                _checkpoint(config, ctx, run_id, network, optimizer, scheduler, progress, best_state)
        bar.close()
        total_loss, real_tokens, padded_tokens = ctx.sum(sums)
        seconds = time.perf_counter() - started
        record = {
            "epoch": epoch,
            "loss": total_loss / max(1, len(batches)),
            "seconds": round(seconds, 2),
            "tokens": int(real_tokens),
            "padded_tokens": int(padded_tokens),
            "lr": scheduler.get_last_lr()[0],
        }
        message = f"epoch {epoch}/{config.epochs}: loss {record['loss']:.4f} ({seconds:.1f} s, {real_tokens / seconds:.0f} tokens/s)"
        if validation is not None:
            report = distributed.evaluate(ner, validation, ctx)
            record["val_f1"], record["val_loss"] = report.f1, report.loss
            message += f", validation F1 {report.f1:.4f}"
            if report.f1 > progress.best_f1:
                progress.best_f1, progress.best_epoch, progress.stale = report.f1, epoch, 0
                best_state = copy.deepcopy({k: v.detach().cpu() for k, v in network.state_dict().items()})
            else:
                progress.stale += 1
        progress.history.append(record)
        if ctx.is_main:
            _log(config, message)
        stop = config.patience is not None and progress.stale >= config.patience
        progress.epoch, progress.step, progress.sums, progress.seconds = epoch + 1, 0, [0.0, 0, 0], 0.0
        progress.done = stop or epoch == config.epochs
        if config.checkpoint_dir:
            _checkpoint(config, ctx, run_id, network, optimizer, scheduler, progress, best_state)
        if stop:
            if ctx.is_main:
                _log(config, f"no better validation F1 for {progress.stale} epochs; stopping early")
            break
    if best_state is not None:
        network.load_state_dict(best_state)
        if ctx.is_main:
            _log(config, f"kept epoch {progress.best_epoch} (best validation F1 {progress.best_f1:.4f})")
    network.eval()
    ner.history = progress.history
    ner.train_config = {k: v for k, v in asdict(config).items() if k not in ("device", "progress", "checkpoint_dir", "resume")}
    return ner


def _train_step(trainer, idx, *, windows, labelled, ctx, pad_id, pad_to, device, bf16, network, optimizer, scheduler,
                grad_clip) -> tuple[float, int, int]:
    """One optimizer step on the global batch ``idx``: (this process's part of its loss, real tokens, padded tokens).

    With several processes each takes its share of ``idx`` and scales its mean loss by its
    share of the batch's labelled pieces (times the number of processes, which DDP's
    gradient averaging divides out again), so the step equals one process's on all of ``idx``.
    """
    mine = ctx.share(idx)
    weight = 1.0
    if ctx.distributed:
        total = sum(labelled[i] for i in idx)
        weight = sum(labelled[i] for i in mine) * ctx.world_size / total if total else 0.0
    # A process with nothing labelled in its share (or no share: a short last batch) still
    # runs forward and backward, with zero gradients, because DDP all-reduces every step.
    batch = collate([windows[i] for i in mine or idx[:1]], pad_id, pad_to)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        out = trainer(**batch.model_inputs(device, with_labels=weight > 0))
    crf = get_crf(network)
    if crf is not None and weight > 0:  # the CRF's sequence likelihood replaces the per-piece cross-entropy
        out.loss = crf_loss(crf, out.logits, batch.labels.to(device))
    if not ctx.distributed:
        loss = out.loss
    elif weight > 0:
        loss = out.loss * weight
    else:  # zero gradients for every parameter, the CRF's (used outside the forward pass) too
        loss = sum(p.sum() for p in network.parameters()) * 0.0
    loss.backward()
    if grad_clip:
        torch.nn.utils.clip_grad_norm_(network.parameters(), grad_clip)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    if not mine:
        return 0.0, 0, 0
    return loss.item() / ctx.world_size, int(batch.attention_mask.sum()), batch.input_ids.numel()


@dataclass
class Progress:
    """Where a run stands: what a checkpoint holds besides tensors and random states."""

    epoch: int = 1  # the epoch running (or next)
    step: int = 0  # its batches already done; the batch order itself comes from the epoch's seed
    global_step: int = 0
    sums: list = field(default_factory=lambda: [0.0, 0, 0])  # the epoch's loss, real and padded tokens so far
    seconds: float = 0.0
    history: list = field(default_factory=list)
    best_f1: float = -1.0
    best_epoch: int | None = None
    stale: int = 0  # epochs since the best validation F1
    done: bool = False


# Options that may change between a run and its resumption: they do not change the result.
_RESUMABLE_OPTIONS = ("device", "progress", "checkpoint_dir", "checkpoint_every", "resume")


def _fingerprint(data: Dataset | None) -> str | None:
    if data is None:
        return None
    return hashlib.sha256(json.dumps([data.sentences, data.labels]).encode()).hexdigest()


def _run_identity(config: TrainConfig, train: Dataset, validation: Dataset | None, ner: NerModel, ctx) -> dict:
    """What a checkpoint must share with the run that resumes it."""
    options = {k: v for k, v in asdict(config).items() if k not in _RESUMABLE_OPTIONS}
    identity = {"options": options, "train": _fingerprint(train), "validation": _fingerprint(validation),
                "tags": list(ner.label_map.names), "processes": ctx.world_size}
    return json.loads(json.dumps(identity))  # as it reads back from progress.json


def _start(config: TrainConfig, run_id: dict, network, optimizer, scheduler, ctx) -> tuple[Progress, dict | None]:
    """Fresh progress, or that of the newest checkpoint (its state loaded) when resuming."""
    from . import checkpoint

    folder = config.checkpoint_dir
    path = checkpoint.latest(folder)
    if path is None:
        if config.resume and ctx.is_main:
            _log(config, f"no checkpoint in {folder}; starting from the beginning")
        return Progress(), None
    if not config.resume:
        raise ConfigError(f"{folder} holds checkpoints of an earlier run; pass --resume (resume=True) to continue it, "
                          "or choose another --checkpoint-dir")
    restored = checkpoint.load(path, network, optimizer, scheduler)
    saved = restored.progress.pop("run", {})
    if saved != run_id:
        raise ConfigError(f"checkpoint {path} belongs to another run ({_differences(saved, run_id)}); "
                          "resume with the same options and data, or choose another --checkpoint-dir")
    checkpoint.set_rng_state(restored.rng[ctx.rank])
    progress = Progress(**restored.progress)
    if ctx.is_main:
        _log(config, f"resuming from {path} (epoch {progress.epoch}, step {progress.step})")
    return progress, restored.best_state


def _differences(saved: dict, now: dict) -> str:
    notes = []
    for key, value in now["options"].items():
        if saved.get("options", {}).get(key) != value:
            notes.append(f"{key} {saved.get('options', {}).get(key)!r} there, {value!r} now")
    for key, what in (("train", "the training data"), ("validation", "the validation data"), ("tags", "the tags")):
        if saved.get(key) != now[key]:
            notes.append(f"{what} differ")
    if saved.get("processes") != now["processes"]:
        notes.append(f"written by {saved.get('processes')} processes, {now['processes']} now (use --nproc {saved.get('processes')})")
    return "; ".join(notes) or "a different run"


def _checkpoint(config, ctx, run_id, network, optimizer, scheduler, progress: Progress, best_state) -> None:
    """Save a checkpoint (rank 0 writes; every process contributes its sums and random state)."""
    from . import checkpoint

    sums = ctx.sum(progress.sums)
    rng = ctx.gather(checkpoint.rng_state())
    if ctx.is_main:
        state = {**asdict(progress), "sums": sums, "run": run_id}
        checkpoint.save(config.checkpoint_dir, progress.global_step, network, optimizer, scheduler, state, rng, best_state)
