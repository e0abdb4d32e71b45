"""One epoch of training with document context of several sizes, side by side (issue 14, rule 1).

    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/context_time.py --rounds 2 --out benchmarks/results/context_time.json

Data: the recipe split's training side (wikigold, 50/50 by sentence, seed 100; 848
sentences), the embedded MiniLM, nerkit's defaults otherwise, one epoch, no evaluation.
The sizes run interleaved, ``--rounds`` times, and the median seconds of each are compared
with no context.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

import nerkit

SIZES = (0, 16, 24, 32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out")
    args = parser.parse_args()
    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    seconds: dict[int, list[float]] = {n: [] for n in SIZES}
    for _ in range(args.rounds):
        for n in SIZES:
            started = time.perf_counter()
            nerkit.fit(train, epochs=1, context=n, progress=False)
            seconds[n].append(time.perf_counter() - started)
            print(f"context {n}: {seconds[n][-1]:.1f} s", flush=True)
    base = statistics.median(seconds[0])
    rows = [{"context": n, "seconds": s, "median": statistics.median(s), "ratio": statistics.median(s) / base}
            for n, s in seconds.items()]  # fmt: skip
    for row in rows:
        print(f"context {row['context']:2d}: median {row['median']:.1f} s, {row['ratio']:.3f}x no context")
    if args.out:
        payload = {"command": f"OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/context_time.py --rounds "
                   f"{args.rounds} --out {args.out}", "threads": torch.get_num_threads(),
                   "data": "wikigold recipe split, training side (848 sentences), one epoch", "rows": rows}  # fmt: skip
        with open(args.out, "w") as f:
            json.dump(payload, f, indent=2)


if __name__ == "__main__":
    main()
