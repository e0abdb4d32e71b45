"""Where a run stands, and how it survives a crash: progress, checkpoints of it, and resuming.

>>> sums = EpochSums(loss=1.5, tokens=40, padded_tokens=44) + EpochSums(0.5, 10, 12)
>>> sums
EpochSums(loss=2.0, tokens=50, padded_tokens=56)
>>> Progress.from_dict(Progress(epoch=3, sums=sums).to_dict()).sums == sums
True

With ``TrainConfig.checkpoint_dir`` a run is checkpointed at the end of every epoch (and
every ``checkpoint_every`` steps); ``resume=True`` continues a killed run to the same losses
and weights as an uninterrupted one. A checkpoint records what identifies its run (the
options that change the result, fingerprints of the data, the tags, the number of
processes), and a resume with anything else is refused with the differences named.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field, fields

from ..data.dataset import Dataset
from ..errors import ConfigError
from ..parallel.group import Context
from . import checkpoint
from .config import TrainConfig

__all__ = ["EpochSums", "Progress", "run_identity", "start", "save_checkpoint", "log"]


@dataclass
class EpochSums:
    """An epoch's training loss summed over its steps, and the real and padded word pieces it ran."""

    loss: float = 0.0
    tokens: int = 0
    padded_tokens: int = 0

    def __add__(self, other: "EpochSums") -> "EpochSums":
        return EpochSums(self.loss + other.loss, self.tokens + other.tokens, self.padded_tokens + other.padded_tokens)

    def summed(self, ctx: Context) -> "EpochSums":
        """The sums over all processes."""
        loss, tokens, padded = ctx.sum([self.loss, self.tokens, self.padded_tokens])
        return EpochSums(loss, int(tokens), int(padded))


@dataclass
class Progress:
    """Where a run stands: what a checkpoint holds besides tensors and random states."""

    epoch: int = 1  # the epoch running (or next)
    step: int = 0  # its batches already done; the batch order itself comes from the epoch's seed
    global_step: int = 0
    sums: EpochSums = field(default_factory=EpochSums)  # of the epoch so far
    seconds: float = 0.0
    history: list = field(default_factory=list)
    best_f1: float = -1.0
    best_epoch: int | None = None
    stale: int = 0  # epochs since the best validation F1
    done: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict) -> "Progress":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in saved.items() if k in known}
        values["sums"] = EpochSums(**values.get("sums", {}))
        return cls(**values)


def log(config: TrainConfig, message: str) -> None:
    if config.progress:
        print(message, file=sys.stderr, flush=True)


def _fingerprint(data: Dataset | None) -> str | None:
    if data is None:
        return None
    return hashlib.sha256(json.dumps([data.sentences, data.labels]).encode()).hexdigest()


def run_identity(config: TrainConfig, train: Dataset, validation: Dataset | None, tags, ctx: Context) -> dict:
    """What a checkpoint must share with the run that resumes it."""
    identity = {
        "options": config.identity(),
        "train": _fingerprint(train),
        "validation": _fingerprint(validation),
        "tags": list(tags),
        "processes": ctx.world_size,
    }
    return json.loads(json.dumps(identity))  # as it reads back from progress.json


def start(
    config: TrainConfig, run_id: dict, network, optimizer, scheduler, ctx: Context
) -> tuple[Progress, dict | None]:
    """Fresh progress, or that of the newest checkpoint (its state loaded) when resuming."""
    folder = config.checkpoint_dir
    path = checkpoint.latest(folder)
    if path is None:
        if config.resume and ctx.is_main:
            log(config, f"no checkpoint in {folder}; starting from the beginning")
        return Progress(), None
    if not config.resume:
        raise ConfigError(
            f"{folder} holds checkpoints of an earlier run; pass --resume (resume=True) to continue it, "
            "or choose another --checkpoint-dir"
        )
    restored = checkpoint.load(path, network, optimizer, scheduler)
    saved = restored.progress.pop("run", {})
    if saved != run_id:
        raise ConfigError(
            f"checkpoint {path} belongs to another run ({_differences(saved, run_id)}); "
            "resume with the same options and data, or choose another --checkpoint-dir"
        )
    checkpoint.set_rng_state(restored.rng[ctx.rank])
    progress = Progress.from_dict(restored.progress)
    if ctx.is_main:
        log(config, f"resuming from {path} (epoch {progress.epoch}, step {progress.step})")
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
        processes = saved.get("processes")
        notes.append(f"written by {processes} processes, {now['processes']} now (use --nproc {processes})")
    return "; ".join(notes) or "a different run"


def save_checkpoint(
    config: TrainConfig, ctx: Context, run_id: dict, network, optimizer, scheduler, progress: Progress, best_state
) -> None:
    """Save a checkpoint (rank 0 writes; every process contributes its sums and random state)."""
    sums = progress.sums.summed(ctx)
    rng = ctx.gather(checkpoint.rng_state())
    if ctx.is_main:
        state = {**progress.to_dict(), "sums": asdict(sums), "run": run_id}
        checkpoint.save(
            config.checkpoint_dir, progress.global_step, network, optimizer, scheduler, state, rng, best_state
        )
