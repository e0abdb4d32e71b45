"""This machine's matrix-multiply peak at the shapes a BERT-family encoder uses.

    flock /tmp/nerkit-cpu.lock python benchmarks/matmul_peak.py --hidden 384 --intermediate 1536

The dense layers of an encoder are (tokens x hidden) @ (hidden x hidden) for the query, key,
value and output projections, and (tokens x hidden) @ (hidden x intermediate) and back for the
feed-forward block. Their best GFLOP/s over a few repeats, in fp32 and in bf16, is the floor
against which ``speed.py`` states nerkit's throughput as a fraction ("model FLOPs utilisation").
A model cannot beat it: attention, LayerNorm, softmax, the optimizer and Python all come on top.
"""

from __future__ import annotations

import argparse
import json
import time

import torch


def shapes(hidden: int, intermediate: int, tokens: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of the dense layers for ``tokens`` rows, weighted as the model uses them."""
    return [(tokens, hidden, hidden)] * 4 + [(tokens, hidden, intermediate), (tokens, intermediate, hidden)]


def gflops(m: int, k: int, n: int, dtype: torch.dtype, seconds: float = 0.5) -> float:
    """Best GFLOP/s of an (m x k) @ (k x n) product over ~``seconds`` of repeats."""
    a = torch.randn(m, k).to(dtype)
    b = torch.randn(k, n).to(dtype)
    for _ in range(3):  # warm the allocator and the kernel choice
        a @ b
    best = float("inf")
    deadline = time.perf_counter() + seconds
    reps = 0
    while time.perf_counter() < deadline or reps < 5:
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
        reps += 1
    return 2 * m * k * n / best / 1e9


def peak(hidden: int = 384, intermediate: int = 1536, tokens: int = 512, seconds: float = 0.5) -> dict:
    """Time-weighted GFLOP/s over the encoder's dense shapes, per dtype.

    >>> peak(384, 1536, 512)["fp32"]      # doctest: +SKIP
    131.7
    """
    result = {"hidden": hidden, "intermediate": intermediate, "tokens": tokens, "threads": torch.get_num_threads()}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        flops = total_time = 0.0
        per_shape = {}
        for m, k, n in shapes(hidden, intermediate, tokens):
            g = gflops(m, k, n, dtype, seconds)
            per_shape[f"{m}x{k}x{n}"] = round(g, 1)
            flops += 2 * m * k * n
            total_time += 2 * m * k * n / (g * 1e9)
        result[name] = round(flops / total_time / 1e9, 1)
        result[f"{name}_shapes"] = per_shape
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", type=int, default=384)
    parser.add_argument("--intermediate", type=int, default=1536)
    parser.add_argument("--tokens", type=int, default=512, help="rows per product (batch x padded length)")
    parser.add_argument("--seconds", type=float, default=0.5, help="time spent per shape and dtype")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's, one per core)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(json.dumps(peak(args.hidden, args.intermediate, args.tokens, args.seconds), indent=2))


if __name__ == "__main__":
    main()
