"""Where the model runs and in what precision: the GPU when there is one, bf16 where it is native.

>>> choose_device("cpu")
device(type='cpu')
>>> use_bf16("fp32", choose_device("cpu")), use_bf16("bf16", choose_device("cpu"))
(False, True)
>>> check_precision("fp16")
Traceback (most recent call last):
...
nerkit.errors.ConfigError: precision must be auto, bf16 or fp32, got 'fp16'

This module owns the ``precision`` option of training and inference alike: ``"auto"``
(the default) runs bf16 autocast where the hardware computes bf16 natively (GPUs, CPUs
with AMX or AVX-512 BF16) and fp32 elsewhere, where emulated bf16 is many times slower.
A result compared with an fp32 reference must ask for ``"fp32"``: on a bf16 machine
``"auto"`` gives slightly different numbers.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .errors import ConfigError

__all__ = ["PRECISIONS", "DEFAULT_PRECISION", "check_precision", "choose_device", "bf16_supported", "use_bf16"]

PRECISIONS = ("auto", "bf16", "fp32")
DEFAULT_PRECISION = "auto"


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be auto, bf16 or fp32, got {precision!r}")
    return precision


def choose_device(device: str | torch.device | None = None) -> torch.device:
    """The GPU when there is one, else the CPU (or what the caller asks for)."""
    if device is not None:
        return torch.device(device)
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
