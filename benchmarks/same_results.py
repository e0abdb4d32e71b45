"""Does a change of code change any result? Train the default model on the recipe split and record it.

    python benchmarks/same_results.py --precision fp32 --out benchmarks/results/same-after.json
    PYTHONPATH=/path/to/old/checkout/src python benchmarks/same_results.py --precision fp32 --out before.json
    python benchmarks/same_results.py --compare before.json benchmarks/results/same-after.json

``--fraction F --epochs E`` makes a shorter check (a share of each half, E epochs) for a busy machine.

The first two commands run ``nerkit.fit(train)`` with nerkit's defaults (the embedded MiniLM,
wikigold, the recipe's random 50/50 split with seed 100) in whichever nerkit is imported, then
tag the test side. They record the micro F1 on the test side, every epoch's training loss, and a
SHA-256 of the predicted tags, so two runs can be compared exactly without storing the tags.
Only the public API common to every nerkit version is used (load, split, fit, predict, evaluate).

``--precision`` is passed to training and prediction alike: ``auto`` picks bf16 on CPUs with
AMX/AVX-512 BF16 and on GPUs, so compare runs made on the same kind of machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path


def record(precision: str, fraction: float = 1.0, epochs: int | None = None) -> dict:
    import torch

    import nerkit

    train, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    if fraction < 1:  # a shorter check on a busy machine: a share of each half
        train, test = nerkit.subsample(train, fraction, seed=1), nerkit.subsample(test, fraction, seed=1)
    started = time.perf_counter()
    model = nerkit.fit(train, progress=False, precision=precision, **({"epochs": epochs} if epochs else {}))
    seconds = time.perf_counter() - started
    tags = nerkit.predict(model, test, precision=precision).tags
    report = nerkit.evaluate(model, test, precision=precision)
    return {
        "nerkit": str(Path(nerkit.__file__).parent),
        "precision": precision,
        "cpu": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "train_sentences": len(train),
        "test_sentences": len(test),
        "epochs": len(model.history),
        "micro_f1": report.f1,
        "losses": [r["loss"] for r in model.history],
        "tags_sha256": hashlib.sha256(json.dumps(tags).encode()).hexdigest(),
        "train_seconds": round(seconds, 1),
    }


def compare(a: dict, b: dict) -> bool:
    same = True
    for key in ("micro_f1", "losses", "tags_sha256"):
        equal = a[key] == b[key]
        same &= equal
        print(f"{key}: {'same' if equal else 'DIFFERENT'} ({a[key] if key != 'losses' else len(a[key])} vs "
              f"{b[key] if key != 'losses' else len(b[key])})")  # fmt: skip
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="fp32")
    parser.add_argument("--fraction", type=float, default=1.0, help="share of each half (a shorter check)")
    parser.add_argument("--epochs", type=int, help="default: nerkit's own default")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = parser.parse_args()
    if args.compare:
        a, b = (json.loads(p.read_text()) for p in args.compare)
        return 0 if compare(a, b) else 1
    result = record(args.precision, args.fraction, args.epochs)
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
