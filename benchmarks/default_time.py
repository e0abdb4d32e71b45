"""Issue 14's time bar, one epoch at a time: today's defaults against the defaults before the issue, interleaved.

    python benchmarks/default_time.py --rounds 3 --out benchmarks/results/default_time.json

Data: the recipe split's training side (wikigold, 50/50 by sentence, seed 100; 848 sentences),
the embedded MiniLM, one epoch of ``nerkit.fit`` per run, the machine's torch threads, no
evaluation. Arms: ``now`` (the defaults), ``before`` (the defaults before issue 14: no document
context, no layer decay, lr 1e-4, word embeddings trained) and ``session6`` (the defaults of
session 6: context 16, layer decay 0.9, lr 1e-4, word embeddings trained). The arms run in
turn, and their order rotates each round, so a slow spell of the (shared, virtual) machine
falls on all of them; the epoch's seconds come from ``model.history`` (the loop alone). A whole
default run is ten such epochs, so the ratio of the medians is the ratio of the runs'
training times, less their fixed costs (loading, encoding), which both pay alike.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import warnings

import torch

import nerkit

ARMS = {
    "now": {},
    "before": {"context": 0, "layer_decay": 1.0, "lr": 1e-4, "freeze_word_embeddings": False},
    "session6": {"lr": 1e-4, "freeze_word_embeddings": False},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    names = list(ARMS)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            history = nerkit.fit(train, epochs=1, progress=False, **ARMS[name]).history
            seconds[name].append(history[0]["seconds"])
            print(f"round {r + 1} {name}: {history[0]['seconds']:.2f} s", flush=True)
    medians = {name: statistics.median(v) for name, v in seconds.items()}
    for name in names:
        print(f"{name}: median {medians[name]:.2f} s ({', '.join(f'{x:.2f}' for x in seconds[name])}), "
              f"{medians[name] / medians['before']:.2f}x before")  # fmt: skip
    if args.out:
        out = {
            "command": f"python benchmarks/default_time.py --rounds {args.rounds} --out {args.out}",
            "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
            f"torch {torch.__version__}",
            "arms": ARMS,
            "seconds": seconds,
            "medians": medians,
            "vs_before": {name: medians[name] / medians["before"] for name in names},
        }
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
