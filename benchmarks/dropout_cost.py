"""What nerkit's CPU dropout saves: one epoch of training with it and with torch's own dropout, side by side.

    python benchmarks/dropout_cost.py --rounds 3 --out benchmarks/results/dropout_cost.json

Data: the recipe split's training side (wikigold, 50/50 by sentence, seed 100), the embedded
MiniLM, nerkit's defaults otherwise (document context, CRF, casing), ``--epochs`` epochs (one by default), no evaluation,
the machine's torch threads. ``nerkit-dropout`` is ``fit`` as shipped (``nerkit.training.dropout``
swaps the network's dropout while it trains on a CPU); ``torch-dropout`` is the same with the swap
turned off (the network's own ``nn.Dropout`` and SDPA's dropout). The arms alternate (ABBA: the first arm of a round alternates too), ``--rounds``
times for each precision (``auto``: bf16 where the CPU has it; ``fp32``), so a slow spell hits
both; the epoch's seconds come from ``model.history`` (the loop alone).
The two arms draw different dropout masks, so their losses differ a little; both are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import warnings

import torch

import nerkit
from nerkit.training import loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--precisions", default="auto,fp32")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per run (the seconds are their sum)")
    parser.add_argument("--out")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    shipped = loop.fast_dropout
    arms = {"nerkit-dropout": shipped, "torch-dropout": lambda network: contextlib.nullcontext()}
    results = {}
    for precision in args.precisions.split(","):
        runs = {arm: [] for arm in arms}
        for r in range(args.rounds):
            # ABBA: which arm runs first alternates, since a process's later runs were seen to be
            # a few percent slower or faster than its earlier ones.
            for arm, swap in list(arms.items())[:: 1 if r % 2 == 0 else -1]:
                loop.fast_dropout = swap
                history = nerkit.fit(train, epochs=args.epochs, progress=False, precision=precision).history
                record = {"seconds": round(sum(h["seconds"] for h in history), 2), "loss": history[-1]["loss"],
                          "epoch_seconds": [h["seconds"] for h in history]}  # fmt: skip
                runs[arm].append(record)
                print(
                    f"{precision} round {r + 1} {arm}: {record['seconds']:.2f} s, loss {record['loss']:.4f}", flush=True
                )
        loop.fast_dropout = shipped
        ratios = [t["seconds"] / n["seconds"] for n, t in zip(runs["nerkit-dropout"], runs["torch-dropout"])]
        results[precision] = {
            "runs": runs,
            "torch_over_nerkit_seconds": ratios,
            "median_ratio": statistics.median(ratios),
            "min_ratio": min(ratios),
            "max_ratio": max(ratios),
        }
        print(f"{precision}: torch's dropout takes {statistics.median(ratios):.3f}x nerkit's epoch time "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f})", flush=True)  # fmt: skip
    out = {
        "command": "python benchmarks/dropout_cost.py " + " ".join(
            f"--{k} {v}" for k, v in vars(args).items() if v is not None and k != "out"),
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
        "data": f"wikigold recipe split, training side ({len(train)} sentences), {args.epochs} epoch(s) a run",
        "results": results,
    }  # fmt: skip
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
