"""Where the model runs and in what precision: the GPU when there is one, bf16 where it is native.

>>> choose_device("cpu")
device(type='cpu')
>>> use_bf16("fp32", choose_device("cpu")), use_bf16("bf16", choose_device("cpu"))
(False, True)
>>> plan_processes(2, "cpu")
('gloo', 'nerkit: 2 processes on the CPU (gloo)')
>>> check_precision("fp16")
Traceback (most recent call last):
...
nerkit.errors.ConfigError: precision must be auto, bf16 or fp32, got 'fp16'

This module owns the ``precision`` option of training and inference alike: ``"auto"``
(the default) runs bf16 autocast where the hardware computes bf16 natively (GPUs, CPUs
with AMX or AVX-512 BF16) and fp32 elsewhere, where emulated bf16 is many times slower.
A result compared with an fp32 reference must ask for ``"fp32"``: on a bf16 machine
``"auto"`` gives slightly different numbers. The test suite can play such a machine:
``NERKIT_TEST_PRECISION=bf16`` makes ``"auto"`` pick bf16 everywhere (and ``=fp32`` makes it
pick fp32), so the tests that must ask for fp32 show themselves on any CPU.

It also decides how ``--nproc N`` processes share the machine (:func:`plan_processes`):
one GPU each (NCCL), or all on the CPU (gloo), never two processes on one GPU, which
NCCL refuses with a traceback from every process.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from .errors import ConfigError

__all__ = [
    "PRECISIONS",
    "DEFAULT_PRECISION",
    "check_precision",
    "check_device",
    "choose_device",
    "bf16_supported",
    "use_bf16",
    "plan_processes",
]

PRECISIONS = ("auto", "bf16", "fp32")
DEFAULT_PRECISION = "auto"


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be auto, bf16 or fp32, got {precision!r}")
    return precision


def check_device(device: str | torch.device | None) -> str | torch.device | None:
    """``device`` itself when torch knows it and this machine has it; else a ConfigError naming the fix.

    Checked with the options, before any work: otherwise ``--device cuda`` on a machine without
    a GPU, or a mistyped ``--device gpu``, fails deep inside torch with a traceback when the
    model is moved, after the data was read.

    >>> check_device("cpu"), check_device(None)
    ('cpu', None)
    >>> check_device("gpu")
    Traceback (most recent call last):
    ...
    nerkit.errors.ConfigError: unknown device 'gpu'; use cpu, cuda or cuda:N (or leave out --device: the GPU when there is one)
    """
    if device is None:
        return None
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(
            f"unknown device {device!r}; use cpu, cuda or cuda:N (or leave out --device: the GPU when there is one)"
        ) from None
    if parsed.type == "cpu":
        return device
    if parsed.type == "mps":
        available = torch.backends.mps.is_available()
    else:  # cuda, xpu, ...: the torch module of that name says; meta and the like have none
        module = getattr(torch, parsed.type, None)
        available = bool(getattr(module, "is_available", lambda: False)())
    if not available:
        raise ConfigError(
            f"device {device!r} is not available on this machine (no such GPU, or torch built without it); "
            "use --device cpu, or leave out --device to use the GPU when there is one"
        )
    count = torch.cuda.device_count() if parsed.type == "cuda" else None
    if count is not None and parsed.index is not None and parsed.index >= count:
        raise ConfigError(
            f"device {device!r}: this machine has {count} GPU(s), cuda:0 to cuda:{count - 1}; use one with --device"
        )
    return device


def choose_device(device: str | torch.device | None = None) -> torch.device:
    """The GPU when there is one, else the CPU (or what the caller asks for)."""
    if device is not None:
        try:
            chosen = torch.device(device)
        except (RuntimeError, TypeError):
            raise ConfigError(
                f"device {device!r} is not a device PyTorch knows; use e.g. 'cpu', 'cuda' or 'cuda:1'"
            ) from None
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError(f"device {device!r} asks for a GPU, but PyTorch sees none here; use 'cpu', or omit it")
        if chosen.type == "cuda" and chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise ConfigError(
                f"device {device!r}: there are only {torch.cuda.device_count()} GPU(s), numbered from 0; use another"
            )
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def cpu_has_fast_bf16() -> bool:
    """True on CPUs with native bf16 matrix units (AVX-512 BF16 or AMX).

    On AVX2-only CPUs bf16 autocast is emulated and slower than fp32, so it stays off.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split()
    except (OSError, IndexError):
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def bf16_supported(device: torch.device) -> bool:
    forced = os.environ.get("NERKIT_TEST_PRECISION")
    if forced in ("bf16", "fp32"):  # the test suite playing a machine with (or without) native bf16
        return forced == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_has_fast_bf16()
    return False


def use_bf16(precision: str, device: torch.device) -> bool:
    """Whether to run bf16 autocast for ``precision`` on ``device``."""
    if check_precision(precision) == "fp32":
        return False
    if precision == "bf16":
        return True
    return bf16_supported(device)


def plan_processes(nproc: int, device: str | torch.device | None = None) -> tuple[str, str]:
    """How ``nproc`` processes on this machine share it: the backend and a one-line note.

    One GPU per process (NCCL) when there are enough GPUs; on the CPU (gloo) when there is
    no GPU or the CPU is asked for; otherwise a ConfigError saying what to change (two
    processes on one GPU would each try to own it).
    """
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    wanted = torch.device(device).type if device is not None else ("cuda" if gpus else "cpu")
    if wanted == "cuda":
        if gpus >= nproc:
            return "nccl", f"nerkit: {nproc} processes, one GPU each (NCCL)"
        fix = f"use --nproc {gpus}" if gpus else "there is none here; leave out --device"
        raise ConfigError(
            f"--nproc {nproc} needs {nproc} GPUs (one per process) but this machine has {gpus}; "
            f"{fix}, or run on the CPU (--device cpu for training, CUDA_VISIBLE_DEVICES= for prediction)"
        )
    return "gloo", f"nerkit: {nproc} processes on the CPU (gloo)"
