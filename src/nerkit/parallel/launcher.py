"""Start N processes of one nerkit command on this machine (torchrun --standalone, in-process).

>>> from nerkit.parallel.launcher import launch
>>> launch(["train", "--data", "wikigold", "--output", "runs/ddp"], nproc=2)  # doctest: +SKIP
0

Several machines: start the same command on each with ``torchrun`` (or ``accelerate
launch``), see docs/scaling.md.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Sequence

from ..errors import ConfigError
from ..hardware import plan_processes
from .group import env_world_size

__all__ = ["launch"]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def launch(argv: Sequence[str], nproc: int, device: str | None = None) -> int:
    """Run ``python -m nerkit.cli *argv`` in ``nproc`` local processes; return the exit status.

    Where they run (one GPU each, or the CPU) is decided first, and said in one line; with
    fewer GPUs than processes nothing starts (a ConfigError names the fix). Each process gets an equal share of the CPU cores as its thread count: processes that
    all spin OpenMP threads on every core slow each other down many times over.
    """
    if nproc < 1:
        raise ConfigError(f"--nproc must be at least 1, got {nproc}")
    if env_world_size() > 1:
        raise ConfigError("--nproc starts its own processes; under torchrun or accelerate launch leave it out")
    backend, note = plan_processes(nproc, device)
    # On the CPU each process is a whole copy of the model on the same cores: beyond one per core they
    # only slow each other down, and a mistyped --nproc 1000 would start 1000 and exhaust the memory.
    # Two are always allowed (a laptop's demo, the tests), as before this check.
    if backend == "gloo" and nproc > max(2, _cores()):
        raise ConfigError(
            f"--nproc {nproc} is more processes than this machine's {_cores()} CPU core(s); "
            f"use --nproc {max(2, _cores())} or less"
        )
    print(note, file=sys.stderr, flush=True)
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    # torchrun --standalone, without its argument parser (which would take our options for its own).
    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=nproc,
        run_id=str(uuid.uuid4()),
        rdzv_backend="c10d",
        rdzv_endpoint="localhost:0",
        max_restarts=0,
    )
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
            print(
                f"nerkit: process {rank} of {nproc} failed (exit code {failure.exitcode}); see its messages above",
                file=sys.stderr,
            )
        return 2 if failure.exitcode == 2 else 1
    finally:
        agent_log.setLevel(level)
        if saved is None:
            os.environ.pop("OMP_NUM_THREADS", None)
