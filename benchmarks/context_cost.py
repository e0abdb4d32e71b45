"""What document context costs a training epoch, in word pieces, before any training (issue 14).

    python benchmarks/context_cost.py [--out benchmarks/results/context_cost.json]

For each context size N it encodes the recipe split's training side (wikigold, 50/50 by
sentence, seed 100) with the embedded model's tokenizer as training does, and reports the
word pieces of an epoch with context dropout 0.5 (half the windows with their context, half
without, in expectation) relative to no context. Training time is close to proportional to
pieces at these lengths, so this ratio fixed the context size of the cross-validation arm
before any fold ran (benchmarks/RESULTS.md, issue 14: the largest N within 1.45x).
"""

from __future__ import annotations

import argparse
import json

import nerkit
from nerkit.encoding.context import DEFAULT_CONTEXT_DROPOUT, surrounding
from nerkit.encoding.windows import encode
from nerkit.modeling.store import build

SIZES = (0, 8, 16, 24, 32, 48, 64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="also write the figures here as JSON")
    args = parser.parse_args()
    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    model = build(None, labels=["O", "I-PER"], casing=True)
    rows = []
    base = None
    for n in SIZES:
        around = surrounding(train.sentences, train.doc_ids, n, train.positions)
        windows, _ = encode(train.sentences, model.tokenizer, max_len=model.max_len, context=n, surroundings=around,
                            casing=True)  # fmt: skip
        full = sum(len(w.input_ids) for w in windows)
        alone = sum(len(w.alone().input_ids) for w in windows)
        epoch = DEFAULT_CONTEXT_DROPOUT * alone + (1 - DEFAULT_CONTEXT_DROPOUT) * full
        base = base or epoch
        with_context = sum(1 for w in windows if w.context != (0, 0))
        rows.append({"context": n, "pieces_with_context": full, "pieces_alone": alone, "epoch_pieces": epoch,
                     "ratio": epoch / base, "windows": len(windows), "windows_with_context": with_context})  # fmt: skip
        print(f"context {n:3d}: {epoch / len(windows):6.1f} pieces a window in an epoch, {epoch / base:.3f}x none "
              f"({with_context} of {len(windows)} windows have context)")  # fmt: skip
    if args.out:
        payload = {"command": "python benchmarks/context_cost.py --out " + args.out, "data": "wikigold recipe split, "
                   "training side (848 sentences)", "context_dropout": DEFAULT_CONTEXT_DROPOUT, "rows": rows}  # fmt: skip
        with open(args.out, "w") as f:
            json.dump(payload, f, indent=2)


if __name__ == "__main__":
    main()
