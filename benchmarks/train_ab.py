"""Training speed of two nerkit source trees, side by side: one epoch of the defaults each.

    python benchmarks/train_ab.py --a /tmp/nerkit-before/src --b src --rounds 4 --out benchmarks/results/train_ab.json

Trains the embedded MiniLM with nerkit's defaults (``precision`` as given, default "auto")
for one epoch on the recipe split's training half (wikigold, 50/50, seed 100; 848 sentences),
once per round in each tree, the trees alternating (a, b, b, a, a, b, ...: ABBA, since the
order was seen to move a ratio by a few percent). Each run is a fresh subprocess with
``PYTHONPATH`` set to the tree. Reports the epoch's seconds (``model.history``: the epoch's
loop, batches included) per run, the median ratio a/b (above 1: b is faster) with its spread,
and whether the two trees trained the same weights (a hash of the state dict).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from predict_ab import ab_result, run_in_tree, save  # noqa: E402

CHILD = """
import hashlib, json, sys, warnings
warnings.filterwarnings("ignore")
import torch
import nerkit
precision = sys.argv[1]
train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
model = nerkit.fit(train, epochs=1, progress=False, precision=precision)
digest = hashlib.sha256()
for name, value in sorted(model.network.state_dict().items()):
    digest.update(name.encode() + value.detach().float().numpy().tobytes())
print(json.dumps({"seconds": model.history[0]["seconds"], "loss": model.history[0]["loss"],
                  "weights": digest.hexdigest(), "nerkit": nerkit.__file__}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", required=True, help="the first source tree (the folder holding nerkit/)")
    parser.add_argument("--b", required=True, help="the second source tree")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    rounds = []
    for r in range(args.rounds):
        order = ("a", "b") if r % 2 == 0 else ("b", "a")
        runs = {name: run_in_tree(getattr(args, name), CHILD, args.precision) for name in order}
        a, b = runs["a"], runs["b"]
        rounds.append({"order": "".join(order), "a": a, "b": b, "ratio": a["seconds"] / b["seconds"],
                       "same_weights": a["weights"] == b["weights"]})  # fmt: skip
        print(f"round {r + 1} ({''.join(order)}): a {a['seconds']:.2f} s, b {b['seconds']:.2f} s, a/b "
              f"{rounds[-1]['ratio']:.3f}x, same weights {rounds[-1]['same_weights']}", flush=True)  # fmt: skip
    data = "wikigold recipe split (seed 100), training half, 848 sentences, one epoch"
    result = ab_result("train_ab.py", argv, args, data, rounds, "same_weights")
    print(f"a/b epoch seconds: median {result['ratio_median']:.3f}x (min {result['ratio_min']:.3f}, "
          f"max {result['ratio_max']:.3f}); same weights in every round: {result['same_weights']}")  # fmt: skip
    save(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
