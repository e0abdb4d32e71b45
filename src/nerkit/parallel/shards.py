"""Sharded work: large inputs cut into shards, tagged by several processes, crash-safe.

The input is cut into shards of ``size`` items; process r does shards r, r + N, ...,
writing each to its own file atomically (a temporary file, then a rename), so a file
that exists is complete. A rerun with the same input and model skips those shards;
rank 0 merges all shards in input order.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> plan = plan_shards(folder, ["a", "b", "c"], model_dir=folder, size=2)
>>> plan.count
2
>>> run_shards(plan, ["a", "b", "c"], Context(), lambda part: [x.upper() for x in part])
(0, ['A', 'B', 'C'])
>>> run_shards(plan, ["a", "b", "c"], Context(), lambda part: 1 / 0)   # a rerun finds both shards done
(2, ['A', 'B', 'C'])
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..outputs import atomic_file
from .group import Context

__all__ = ["ShardPlan", "plan_shards", "run_shards", "remove_shards", "model_identity"]

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


def model_identity(model_dir) -> list:
    """Names, sizes and modification times of a model folder's files: a retrained model differs."""
    folder = Path(model_dir)
    return (
        sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file())
        if folder.is_dir()
        else [str(model_dir)]
    )


def _write_json(path, value) -> None:
    with atomic_file(path) as f:  # a killed process leaves the old file or none, never half of one
        f.write(json.dumps(value) + "\n")


def plan_shards(folder, items: Sequence, model_dir, size: int, options: dict | None = None) -> ShardPlan:
    """The shard plan for ``items`` in ``folder``: written if new, refused if the folder holds another job's."""
    blob = json.dumps(
        {"items": list(items), "model": model_identity(model_dir), "size": size, "options": options or {}}
    )
    plan = ShardPlan(str(folder), size, len(items), hashlib.sha256(blob.encode()).hexdigest())
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, SHARD_PLAN)
    if os.path.exists(path):
        try:
            saved = json.loads(open(path, encoding="utf-8").read())
        except ValueError:
            saved = {}
        if saved.get("fingerprint") != plan.fingerprint:
            raise ConfigError(
                f"{folder} holds shards of another input, model or --shard-size; "
                "delete it or choose another --shard-dir"
            )
    else:
        _write_json(path, {"fingerprint": plan.fingerprint, "size": size, "items": len(items)})
    return plan


def _read_shard(plan: ShardPlan, k: int, expected: int):
    """A finished shard's results, or None if it is missing or not from this plan."""
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
    skipped = 0
    for k in range(ctx.rank, plan.count, ctx.world_size):
        part = items[k * plan.size : (k + 1) * plan.size]
        if _read_shard(plan, k, len(part)) is not None:
            skipped += 1
            continue
        results = work(part)
        _write_json(plan.path(k), {"fingerprint": plan.fingerprint, "results": results})
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
    shutil.rmtree(folder, ignore_errors=True)
