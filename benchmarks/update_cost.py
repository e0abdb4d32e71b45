"""What nerkit's optimizer update saves: one epoch of training with it and with torch's clip and step, side by side.

    python benchmarks/update_cost.py --rounds 2 --out benchmarks/results/update_cost.json

Data: the recipe split's training side (wikigold, 50/50 by sentence, seed 100), the embedded
MiniLM, nerkit's defaults otherwise (document context, CRF, casing, layer decay: 16 parameter
groups), one epoch, no evaluation, the machine's torch threads. ``nerkit-update`` is ``fit`` as
shipped (``nerkit.training.optimizer.Update``: the fused AdamW kernel called directly, the clip
passed as its ``grad_scale``); ``torch-update`` is the same with the update done as before it
(``clip_gradients``, then ``optimizer.step()``). The arms alternate (ABBA), ``--rounds`` times for
each precision (``auto``: bf16 where the CPU has it; ``fp32``); the epoch's seconds come from
``model.history`` (the loop alone). Both compute the same update to rounding, so the losses agree
to about four digits; both are reported.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import warnings

import torch

import nerkit
from nerkit.training import loop
from nerkit.training.optimizer import Update


class TorchUpdate(Update):
    """The update as it was before: nerkit's clip_gradients, then torch's optimizer.step()."""

    def __call__(self) -> None:
        self._torch_path()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--precisions", default="auto,fp32")
    parser.add_argument("--out")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    arms = {"nerkit-update": Update, "torch-update": TorchUpdate}
    results = {}
    for precision in args.precisions.split(","):
        runs = {arm: [] for arm in arms}
        for r in range(args.rounds):
            for arm, kind in list(arms.items())[:: 1 if r % 2 == 0 else -1]:  # ABBA
                loop.Update = kind
                history = nerkit.fit(train, epochs=1, progress=False, precision=precision).history
                record = {"seconds": history[0]["seconds"], "loss": history[0]["loss"]}
                runs[arm].append(record)
                print(
                    f"{precision} round {r + 1} {arm}: {record['seconds']:.2f} s, loss {record['loss']:.5f}", flush=True
                )
        loop.Update = Update
        ratios = [t["seconds"] / n["seconds"] for n, t in zip(runs["nerkit-update"], runs["torch-update"])]
        results[precision] = {"runs": runs, "torch_over_nerkit_seconds": ratios,
                              "median": statistics.median(ratios)}  # fmt: skip
        print(f"{precision}: torch's update / nerkit's, epoch seconds: median {statistics.median(ratios):.3f}x "
              f"({', '.join(f'{x:.3f}' for x in ratios)})", flush=True)  # fmt: skip
    if args.out:
        out = {
            "command": f"python benchmarks/update_cost.py --rounds {args.rounds} --precisions {args.precisions} --out {args.out}",
            "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
            f"torch {torch.__version__}",
            "data": "wikigold recipe split, training side (848 sentences), embedded MiniLM, defaults, 1 epoch",
            "results": results,
        }
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
