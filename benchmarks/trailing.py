"""Trailing word pieces: ignored in the loss (nerkit's default) vs tagged X (the recipe).

Both arms use nerkit's other defaults, the embedded model and the recipe's split
(wikigold, test fraction 0.5, seed 100); only ``trailing`` differs. The CRF is off in both:
with ``trailing="tag"`` the X class is not a word tag, so a CRF over word tags cannot be used,
and leaving it on for the other arm would compare two changes at once.

    flock /tmp/nerkit-cpu.lock python benchmarks/trailing.py [--epochs N] [--quick]

Writes benchmarks/results/trailing.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import nerkit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="default: nerkit's default")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data (to check the script)")
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "trailing.json"))
    args = parser.parse_args()

    train, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    if args.quick:
        train, test = nerkit.subsample(train, 0.1), nerkit.subsample(test, 0.1)
    options = {"progress": False}
    if args.epochs:
        options["epochs"] = args.epochs
    rows = []
    for trailing in ("ignore", "tag"):
        started = time.perf_counter()
        model = nerkit.fit(train, trailing=trailing, crf=False, **options)
        seconds = time.perf_counter() - started
        report = nerkit.evaluate(model, test)
        rows.append(
            {
                "trailing": trailing,
                "f1": report.f1,
                "precision": report.precision,
                "recall": report.recall,
                "loss": report.loss,
                "train_seconds": round(seconds, 1),
                "config": model.train_config,
            }
        )
        print(f"trailing={trailing}: F1 {report.f1:.4f} ({seconds:.0f} s)", flush=True)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(rows, indent=2) + "\n")
    print("\n| trailing pieces | F1 | precision | recall | training time (s) |\n|---|---|---|---|---|")
    for r in rows:
        name = "ignored (-100), nerkit's default" if r["trailing"] == "ignore" else "tagged X (the recipe)"
        print(f"| {name} | {r['f1']:.4f} | {r['precision']:.4f} | {r['recall']:.4f} | {r['train_seconds']} |")


if __name__ == "__main__":
    main()
