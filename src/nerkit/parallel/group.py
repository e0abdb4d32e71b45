"""The process group: which of several processes this one is, and what they share.

>>> Context(rank=1, world_size=2).share([7, 3, 9, 4, 1])   # rank 1's part of a global batch
[3, 4]
>>> Context().sum([1.5, 2])                                # one process: nothing to add up
[1.5, 2]

Under a launcher (``nerkit train --nproc N``, torchrun, ``accelerate launch``) every process
finds ``RANK``/``WORLD_SIZE`` in its environment and :func:`setup` joins the process group:
gloo on CPUs, NCCL on GPUs. How training shares the work is told in
:mod:`nerkit.training.loop`; how prediction does, in :mod:`nerkit.parallel.shards`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from ..hardware import choose_device, plan_processes


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
        ids = (
            [device.index if device.index is not None else torch.cuda.current_device()]
            if device.type == "cuda"
            else None
        )
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
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    # The processes on this machine need a GPU each (or run on the CPU): checked here too, for torchrun.
    backend, _ = plan_processes(int(os.environ.get("LOCAL_WORLD_SIZE", world)), choose_device(device))
    if backend == "nccl":
        # One GPU per process: "cuda" then means this process's own GPU everywhere.
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend)
    return Context(dist.get_rank(), dist.get_world_size(), local_rank, backend)


def teardown(finished: bool = True) -> None:
    """Leave the process group, if this process is in one.

    After a ``finished`` command every process first waits for the others: the first
    process writes the results after the last exchange, and a process that left the
    group (and exited) while another still used it made gloo abort the survivor
    ("terminate called without an active exception"). After an error the launcher
    stops the others, so no process waits then.
    """
    if dist.is_available() and dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()
