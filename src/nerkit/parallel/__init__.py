"""Several processes, one result: the process group, the launcher and sharded work.

Modules: :mod:`~nerkit.parallel.group` (rank, world size, sums and gathers),
:mod:`~nerkit.parallel.launcher` (``--nproc N`` on one machine) and
:mod:`~nerkit.parallel.shards` (crash-safe sharded work, merged in input order).
"""

from .group import Context, env_world_size, setup, teardown
from .launcher import launch
from .shards import ShardPlan, plan_shards, remove_shards, run_shards

__all__ = [
    "Context",
    "env_world_size",
    "setup",
    "teardown",
    "launch",
    "ShardPlan",
    "plan_shards",
    "run_shards",
    "remove_shards",
]
