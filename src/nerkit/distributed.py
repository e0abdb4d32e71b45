"""Several processes, one result: DistributedDataParallel set-up, sharding and gathering.

One machine, N processes (``nerkit train --nproc 4 ...``) re-runs the same command under
PyTorch's own launcher (the elastic agent behind ``torchrun --standalone``)::

    >>> from nerkit.distributed import launch
    >>> launch(["train", "--data", "wikigold", "--output", "runs/ddp"], nproc=2)  # doctest: +SKIP
    0

Several machines: start the same command on each with ``torchrun`` (or ``accelerate
launch``), see docs/scaling.md. Either way every process finds ``RANK``/``WORLD_SIZE`` in
its environment and :func:`setup` joins the process group: gloo on CPUs, NCCL on GPUs.

How the work is shared: ``TrainConfig.batch_size`` is the *global* batch. Every process
draws the same length-grouped batches (same seed) and takes every ``world``-th window of
each, so a step sees exactly the windows one process would, padded per process. Losses
are weighted by each process's share of the labelled word pieces, which makes the
averaged gradient the one a single process computes on the whole batch. Only rank 0
writes files; metrics are computed on shards and gathered. Prediction of large corpora is
sharded too (:func:`run_shards`): each process writes its own shard files, rank 0 merges
them in input order, and a rerun skips the shards already written.

>>> Context(rank=1, world_size=2).share([7, 3, 9, 4, 1])   # rank 1's part of a global batch
[3, 4]
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import Any, Sequence

import torch
import torch.distributed as dist

from .errors import ConfigError


@dataclass
class Context:
    """Where this process stands: its rank among ``world_size`` processes."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def share(self, batch: Sequence[int]) -> list[int]:
        """This process's part of a global batch (sorted by length, so parts stay alike)."""
        return list(batch[self.rank :: self.world_size])

    def wrap(self, network: torch.nn.Module) -> torch.nn.Module:
        """The network under DistributedDataParallel when there are several processes."""
        if not self.distributed:
            return network
        from torch.nn.parallel import DistributedDataParallel

        device = next(network.parameters()).device
        ids = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else None
        return DistributedDataParallel(network, device_ids=ids)

    def sum(self, values: Sequence[float]) -> list[float]:
        """Element-wise sums over all processes (float64, so token counts stay exact)."""
        if not self.distributed:
            return list(values)
        tensor = torch.tensor(list(values), dtype=torch.float64, device=self._device())
        dist.all_reduce(tensor)
        return tensor.cpu().tolist()

    def gather(self, obj: Any) -> list[Any]:
        """One picklable object from each process, in rank order, on every process."""
        if not self.distributed:
            return [obj]
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's ``obj`` on every process."""
        if not self.distributed:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def _device(self) -> torch.device:
        return torch.device("cuda", torch.cuda.current_device()) if self.backend == "nccl" else torch.device("cpu")


def env_world_size() -> int:
    """How many processes the launcher (torchrun, accelerate, nerkit --nproc) started."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def setup(device: str | torch.device | None = None) -> Context:
    """Join the process group the launcher prepared (once), or run as the only process.

    The backend follows the device: NCCL when training on GPUs, gloo on CPUs.
    """
    if dist.is_available() and dist.is_initialized():
        return Context(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)), dist.get_backend())
    world = env_world_size()
    if world <= 1:
        return Context()
    from .model import choose_device

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "gloo"
    if choose_device(device).type == "cuda":
        # One GPU per process: "cuda" then means this process's own GPU everywhere.
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
        backend = "nccl"
    dist.init_process_group(backend)
    return Context(dist.get_rank(), dist.get_world_size(), local_rank, backend)


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def launch(argv: Sequence[str], nproc: int) -> int:
    """Run ``python -m nerkit.cli *argv`` in ``nproc`` local processes; return the exit status.

    Each process gets an equal share of the CPU cores as its thread count: processes that
    all spin OpenMP threads on every core slow each other down many times over.
    """
    if nproc < 1:
        raise ConfigError(f"--nproc must be at least 1, got {nproc}")
    if env_world_size() > 1:
        raise ConfigError("--nproc starts its own processes; under torchrun or accelerate launch leave it out")
    import uuid

    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    # torchrun --standalone, without its argument parser (which would take our options for its own).
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=str(uuid.uuid4()),
                          rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0)
    saved = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = saved or str(max(1, _cores() // nproc))
    # The launcher logs each process's exit; the processes report their own errors, and a crash is reported below.
    agent_log = logging.getLogger("torch.distributed.elastic")
    level = agent_log.level
    agent_log.setLevel(logging.CRITICAL)
    try:
        elastic_launch(config, entrypoint=sys.executable)("-u", "-m", "nerkit.cli", *argv)
        return 0
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        if failure.exitcode != 2:  # 2: the process already printed a nerkit error
            print(f"nerkit: process {rank} of {nproc} failed (exit code {failure.exitcode}); see its messages above",
                  file=sys.stderr)
        return 2 if failure.exitcode == 2 else 1
    finally:
        agent_log.setLevel(level)
        if saved is None:
            os.environ.pop("OMP_NUM_THREADS", None)


def evaluate(model, data, ctx: Context | None = None, mode: str = "default", batch_size: int = 64):
    """Like :func:`nerkit.metrics.evaluate`, each process tagging its own share of ``data``.

    The tags are gathered in input order and scored once, so every process gets the same
    report (and, in training, takes the same best-epoch and early-stopping decisions).
    """
    from .errors import DataError
    from .metrics import evaluate as evaluate_one, score
    from .predict import predict

    ctx = ctx or Context()
    if not ctx.distributed:
        return evaluate_one(model, data, mode=mode, batch_size=batch_size)
    if data.labels is None:
        raise DataError(f"{data.name or 'the data'} has no tags to evaluate against; give a file with a tag column")
    n = len(data)
    lo, hi = n * ctx.rank // ctx.world_size, n * (ctx.rank + 1) // ctx.world_size
    part = predict(model, data.select(range(lo, hi)), batch_size=batch_size) if hi > lo else None
    mine = (part.tags, (part.loss or 0.0) * part.labelled, part.labelled) if part else ([], 0.0, 0)
    parts = ctx.gather(mine)
    tags = [t for p in parts for t in p[0]]
    labelled = sum(p[2] for p in parts)
    loss = sum(p[1] for p in parts) / labelled if labelled else None
    return score(data.labels, tags, mode=mode, loss=loss)


# Sharded prediction: large corpora tagged by several processes, crash-safe.
#
# The input is cut into shards of ``size`` items; process r tags shards r, r + N, ...,
# writing each to its own file atomically (a temporary file, then a rename), so a file
# that exists is complete. A rerun with the same input and model skips those shards;
# rank 0 merges all shards in input order.

SHARD_PLAN = "plan.json"


@dataclass
class ShardPlan:
    folder: str
    size: int  # items per shard
    items: int
    fingerprint: str  # of the input, the model files and the options that change results

    @property
    def count(self) -> int:
        return -(-self.items // self.size)

    def path(self, k: int) -> str:
        return os.path.join(self.folder, f"shard-{k:06d}.json")


def _model_identity(model_dir) -> list:
    """Names, sizes and modification times of a model folder's files: a retrained model differs."""
    from pathlib import Path

    folder = Path(model_dir)
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()) \
        if folder.is_dir() else [str(model_dir)]


def _write_atomically(path: str, text: str) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def plan_shards(folder, items: Sequence, model_dir, size: int, options: dict | None = None) -> ShardPlan:
    """The shard plan for ``items`` in ``folder``: written if new, refused if the folder holds another job's."""
    import hashlib
    import json

    blob = json.dumps({"items": list(items), "model": _model_identity(model_dir), "size": size, "options": options or {}})
    plan = ShardPlan(str(folder), size, len(items), hashlib.sha256(blob.encode()).hexdigest())
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, SHARD_PLAN)
    if os.path.exists(path):
        try:
            saved = json.loads(open(path, encoding="utf-8").read())
        except ValueError:
            saved = {}
        if saved.get("fingerprint") != plan.fingerprint:
            raise ConfigError(f"{folder} holds shards of another input, model or --shard-size; "
                              "delete it or choose another --shard-dir")
    else:
        _write_atomically(path, json.dumps({"fingerprint": plan.fingerprint, "size": size, "items": len(items)}) + "\n")
    return plan


def _read_shard(plan: ShardPlan, k: int, expected: int):
    """A finished shard's results, or None if it is missing or not from this plan."""
    import json

    try:
        with open(plan.path(k), encoding="utf-8") as f:
            shard = json.load(f)
    except (OSError, ValueError):
        return None
    if shard.get("fingerprint") != plan.fingerprint or len(shard.get("results", ())) != expected:
        return None
    return shard["results"]


def run_shards(plan: ShardPlan, items: Sequence, ctx: Context, work) -> tuple[int, list | None]:
    """Run ``work(items of a shard) -> results`` on this process's unfinished shards.

    Returns (how many shards were finished before, all results in input order on rank 0,
    None elsewhere).
    """
    import json

    skipped = 0
    for k in range(ctx.rank, plan.count, ctx.world_size):
        part = items[k * plan.size : (k + 1) * plan.size]
        if _read_shard(plan, k, len(part)) is not None:
            skipped += 1
            continue
        results = work(part)
        _write_atomically(plan.path(k), json.dumps({"fingerprint": plan.fingerprint, "results": results}) + "\n")
    skipped = int(ctx.sum([skipped])[0])  # also waits for every process to finish its shards
    if not ctx.is_main:
        return skipped, None
    merged = []
    for k in range(plan.count):
        expected = len(items[k * plan.size : (k + 1) * plan.size])
        results = _read_shard(plan, k, expected)
        if results is None:
            raise ConfigError(f"shard {plan.path(k)} is missing or damaged after tagging; run the same command again")
        merged.extend(results)
    return skipped, merged


def remove_shards(folder) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
