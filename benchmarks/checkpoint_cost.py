"""What a crash-safe checkpoint costs: training with and without one after every step.

    flock /tmp/nerkit-cpu.lock python benchmarks/checkpoint_cost.py --out runs/checkpoint_cost

The embedded MiniLM is trained for one epoch on a ``--fraction`` of the recipe's training
side (default settings otherwise), alternately without checkpoints and with a checkpoint
after every step (``checkpoint_every=1``: weights, AdamW state, random states, checksums,
fsync, rename), ``--rounds`` times each. The extra time divided by the number of
checkpoints is the cost of one; its ratio to a training step says how often checkpointing
is cheap (the CLI's default is once an epoch, 53 steps at the defaults).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import torch

import nerkit
from nerkit.training import checkpoint


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/checkpoint_cost")
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    part = nerkit.subsample(train, args.fraction, seed=100)
    nerkit.fit(part.select(range(min(16, len(part)))), epochs=1, progress=False)  # warm-up: first loads are slow
    times = {"none": [], "every step": []}
    epoch_seconds = []  # the training loop alone, without checkpoints
    steps = None
    size = 0
    for _ in range(args.rounds):
        for arm in times:
            folder = out / "checkpoints"
            shutil.rmtree(folder, ignore_errors=True)
            extra = {"checkpoint_dir": str(folder), "checkpoint_every": 1} if arm == "every step" else {}
            started = time.perf_counter()
            model = nerkit.fit(part, epochs=1, progress=False, **extra)
            times[arm].append(time.perf_counter() - started)
            if not extra:
                epoch_seconds.append(model.history[0]["seconds"])
            else:
                newest = checkpoint.latest(folder)
                size = sum(p.stat().st_size for p in newest.iterdir())
                steps = int(json.loads((newest / "progress.json").read_text())["global_step"])
    plain, saving = statistics.median(times["none"]), statistics.median(times["every step"])
    per_checkpoint = (saving - plain) / steps
    per_step = statistics.median(epoch_seconds) / steps
    result = {
        "command": "python benchmarks/checkpoint_cost.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "sentences": len(part),
        "steps": steps,
        "checkpoint_bytes": size,
        "seconds_without": times["none"],
        "seconds_with_every_step": times["every step"],
        "seconds_per_checkpoint": per_checkpoint,
        "seconds_per_step": per_step,
        "checkpoint_in_steps": per_checkpoint / per_step,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "checkpoint_cost.json").write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(out / "checkpoints", ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
