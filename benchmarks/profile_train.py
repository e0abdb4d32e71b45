"""Where one training epoch's time goes: torch.profiler over nerkit.fit's defaults.

    python benchmarks/profile_train.py [--fraction 0.1] [--threads 1]

Trains one epoch on a subsample of the recipe split's training half (after a short warm-up
training, so one-off costs are left out) and prints the operators by their own CPU time.
"""

from __future__ import annotations

import argparse
import warnings

import torch
from torch.profiler import ProfilerActivity, profile

import nerkit


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fraction", type=float, default=0.1, help="share of the training half to train on")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rows", type=int, default=30)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    nerkit.fit(nerkit.subsample(train, 0.02, seed=1), epochs=1, progress=False)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        model = nerkit.fit(nerkit.subsample(train, args.fraction, seed=7), epochs=1, progress=False)
    print(model.history)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
