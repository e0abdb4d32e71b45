"""Prediction speed of two nerkit source trees, side by side: is the new code slower?

    python benchmarks/predict_ab.py --model runs/pred-model --a /tmp/nerkit-before/src --b src --rounds 5

Tags the recipe split's test half (wikigold, 50/50, seed 100; 848 sentences) with
``nerkit.predict(model, sentences, precision=...)`` (the model's other defaults), once per
round in each tree, the trees alternating (a, b, a, b, ...) so a slow spell on a shared
machine hits both. Each round is a fresh subprocess with ``PYTHONPATH`` set to the tree; it
loads the model, warms up on 64 sentences, then times one full pass. Reports sentences/s per
round, the median ratio b/a and its spread, and whether the two trees gave the same tags.

``--model`` is any saved nerkit model; a quick one: ``python benchmarks/predict_ab.py --make-model runs/pred-model``
(the embedded MiniLM with a CRF, one epoch on 5% of the training half: speed does not depend on the weights).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = """
import hashlib, json, sys, time, warnings
warnings.filterwarnings("ignore")
import nerkit
model_dir, precision = sys.argv[1], sys.argv[2]
model = nerkit.load_model(model_dir)
_, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
nerkit.predict(model, test.sentences[:64], precision=precision)
started = time.perf_counter()
tags = nerkit.predict(model, test.sentences, precision=precision).tags
seconds = time.perf_counter() - started
print(json.dumps({"sentences": len(test), "seconds": seconds, "nerkit": nerkit.__file__,
                  "tags": hashlib.sha256(json.dumps(tags).encode()).hexdigest()}))
"""


def make_model(folder: Path) -> None:
    import nerkit

    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    nerkit.fit(nerkit.subsample(train, 0.05, seed=1), epochs=1, progress=False).save(folder, overwrite=True)


def run_in_tree(tree: str, child: str, *argv: str) -> dict:
    """``child`` (Python code) in a fresh process importing nerkit from ``tree``; the JSON of its last line."""
    env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()))
    out = subprocess.run([sys.executable, "-c", child, *argv], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ab_result(script: str, argv, args, data: str, rounds: list[dict], same: str) -> dict:
    """What an A/B benchmark reports: its command, the trees, every round, the median ratio and its
    spread, and whether the two trees agreed (``same``) in every round."""
    ratios = [x["ratio"] for x in rounds]
    return {
        "command": f"python benchmarks/{script} " + " ".join(sys.argv[1:] if argv is None else argv),
        "data": data,
        "a": args.a,
        "b": args.b,
        "precision": args.precision,
        "rounds": rounds,
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        same: all(x[same] for x in rounds),
    }


def save(out: Path | None, result: dict) -> None:
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")


def one(tree: str, args) -> dict:
    return run_in_tree(tree, CHILD, str(args.model), args.precision)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--a", help="the first source tree (the folder holding nerkit/)")
    parser.add_argument("--b", help="the second source tree")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--make-model", type=Path, help="save a quick model here and stop")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.make_model:
        make_model(args.make_model)
        return 0
    rounds = []
    for r in range(args.rounds):
        a, b = one(args.a, args), one(args.b, args)
        ra, rb = a["sentences"] / a["seconds"], b["sentences"] / b["seconds"]
        rounds.append({"a": ra, "b": rb, "ratio": rb / ra, "same_tags": a["tags"] == b["tags"]})
        print(f"round {r + 1}: a {ra:.1f} sentences/s, b {rb:.1f} sentences/s, b/a {rb / ra:.2f}x, "
              f"same tags {a['tags'] == b['tags']}", flush=True)  # fmt: skip
    result = ab_result("predict_ab.py", argv, args, "wikigold recipe split (seed 100), test half, 848 sentences",
                       rounds, "same_tags")  # fmt: skip
    model_files = str(sorted(p.name for p in Path(args.model).iterdir()))
    result["model_files"] = hashlib.sha256(model_files.encode()).hexdigest()[:12]
    print(f"b/a sentences/s: median {result['ratio_median']:.2f}x (min {result['ratio_min']:.2f}, "
          f"max {result['ratio_max']:.2f}); same tags in every round: {result['same_tags']}")  # fmt: skip
    save(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
