"""Issue 14, rule 8: document-level label consistency, on 5 folds by article, paired within each fold's model.

    OMP_NUM_THREADS=1 python benchmarks/consistency_cv.py fold K --threads 1     # K = 1..5: train, tag, score
    python benchmarks/consistency_cv.py summary                                  # the table, from the saved folds
    OMP_NUM_THREADS=1 python benchmarks/consistency_cv.py fold K --arm lr2e-4 --threads 1   # a later arm (ARMS)
    python benchmarks/consistency_cv.py compare lr2e-4 [--base ARM]              # that arm against rule 8's defaults (or ARM), by fold

Each fold trains nerkit's shipped defaults on the other four folds (the same folds as issue 5
and issue 14's arms: wikigold by article, seed 100), tags its own fold once, and scores those
tags as the model gave them and after ``nerkit.inference.consistency.consistent_tags``. The
two F1s come from the same model and the same tags, so their difference is the rule's effect
alone (training noise cancels). The fold's tags are saved with the scores
(``benchmarks/results/issue14/consistency_foldK.json``), so other post-processing can be
scored later without training again.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch

import nerkit
from nerkit.analysis.crossval import FoldPlan
from nerkit.data.splits import kfold
from nerkit.evaluation.scores import score
from nerkit.inference.consistency import consistent_tags
from nerkit.training import TrainConfig
from nerkit.training.prepare import prepare_model

RESULTS = Path(__file__).resolve().parent / "results" / "issue14"

# Training options on top of the shipped defaults; "defaults" is rule 8's run (files without a suffix).
# Each later arm is added here, with its rule in RESULTS.md, before any of its folds runs.
ARMS: dict[str, dict] = {
    "defaults": {"lr": 1e-4},  # rule 8's runs: the defaults of then (lr 1e-4 until rule 9)
    "lr2e-4": {"lr": 2e-4},  # issue 14, rule 9: twice the peak learning rate (kept: the default since)
    "lr2e-4-frozen": {"lr": 2e-4, "freeze_word_embeddings": True},  # rule 10: on top of rule 9's (kept)
    # Rule 11: two arms on top of rule 10's defaults, run side by side.
    "lr3e-4-frozen": {"lr": 3e-4, "freeze_word_embeddings": True},
    "lr2e-4-frozen-ep14": {"lr": 2e-4, "freeze_word_embeddings": True, "epochs": 14},
}


def fold_file(k: int, arm: str) -> Path:
    return RESULTS / (f"consistency_fold{k}.json" if arm == "defaults" else f"consistency_fold{k}-{arm}.json")


def run_fold(k: int, arm: str = "defaults") -> dict:
    plan = FoldPlan()
    data = nerkit.load("wikigold")
    train, test = kfold(data, folds=plan.folds, seed=plan.seed, by=plan.by)[k - 1]
    started = time.perf_counter()
    torch.manual_seed(plan.seed)  # what nerkit.analysis.crossval.run_fold does
    model = prepare_model(data, None, TrainConfig(seed=plan.seed))
    model = nerkit.fit(train, model, seed=plan.seed, progress=False, **ARMS[arm])
    seconds = time.perf_counter() - started
    # As tagged: predict applies the rule by default since rule 8.
    tags = nerkit.predict(model, test, consistency=False).tags
    fixed = consistent_tags(test.sentences, tags, test.doc_ids)
    before, after = score(test.labels, tags), score(test.labels, fixed)
    changed = sum(a != b for a, b in zip(tags, fixed))
    return {
        "fold": k,
        "arm": arm,
        "options": ARMS[arm],
        "train_sentences": len(train),
        "test_sentences": len(test),
        "training_seconds": round(seconds, 1),
        "f1": before.f1,
        "f1_consistent": after.f1,
        "change": after.f1 - before.f1,
        "report": before.to_dict(),
        "report_consistent": after.to_dict(),
        "sentences_changed": changed,
        "tags": tags,
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
    }


def compare(arm: str, base: str = "defaults") -> None:
    """The arm against ``base``, paired by fold, with consistency (as shipped) and as tagged (where kept)."""
    pairs = [(json.loads(fold_file(k, base).read_text()), json.loads(fold_file(k, arm).read_text()))
             for k in range(1, 6) if fold_file(k, arm).exists()]  # fmt: skip

    def cell(x: float | None, sign: str = "") -> str:
        return "n/a" if x is None else f"{x:{sign}.4f}"

    def change(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else b - a

    print(f"| fold | {base} (consistent) | {arm} (consistent) | change | {base} as tagged | {arm} as tagged | change |")
    print("|---|---|---|---|---|---|---|")
    for old, new in pairs:
        print(f"| {new['fold']} | {cell(old['f1_consistent'])} | {cell(new['f1_consistent'])} | "
              f"{cell(change(old['f1_consistent'], new['f1_consistent']), '+')} | {cell(old['f1'])} | "
              f"{cell(new['f1'])} | {cell(change(old['f1'], new['f1']), '+')} |")  # fmt: skip
    for key in ("f1_consistent", "f1"):
        kept = [(old[key], new[key]) for old, new in pairs if old[key] is not None and new[key] is not None]
        if len(kept) > 1:
            a, b = [x for x, _ in kept], [y for _, y in kept]
            d = [y - x for x, y in kept]
            print(f"{key} ({len(kept)} folds): {base} {statistics.mean(a):.4f} +- {statistics.stdev(a):.4f}, {arm} "
                  f"{statistics.mean(b):.4f} +- {statistics.stdev(b):.4f}, change {statistics.mean(d):+.4f} +- "
                  f"{statistics.stdev(d):.4f} ({sum(x > 0 for x in d)} of {len(d)} better)")  # fmt: skip


def summary() -> None:
    rows = [json.loads(fold_file(k, "defaults").read_text()) for k in range(1, 6) if fold_file(k, "defaults").exists()]
    print("| fold | test sentences | F1 as tagged | F1 consistent | change | sentences changed |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['fold']} | {r['test_sentences']} | {r['f1']:.4f} | {r['f1_consistent']:.4f} | "
              f"{r['change']:+.4f} | {r['sentences_changed']} |")  # fmt: skip
    if rows:
        f = [r["f1"] for r in rows]
        g = [r["f1_consistent"] for r in rows]
        d = [r["change"] for r in rows]
        sd = statistics.stdev if len(rows) > 1 else (lambda _: 0.0)
        print(f"| mean of {len(rows)} | | {statistics.mean(f):.4f} +- {sd(f):.4f} | {statistics.mean(g):.4f} +- {sd(g):.4f} | "
              f"{statistics.mean(d):+.4f} +- {sd(d):.4f} ({sum(x > 0 for x in d)} of {len(d)} better) | |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fold")
    f.add_argument("k", type=int, choices=range(1, 6))
    f.add_argument("--threads", type=int)
    f.add_argument("--arm", default="defaults", choices=list(ARMS))
    sub.add_parser("summary")
    c = sub.add_parser("compare")
    c.add_argument("arm", choices=[a for a in ARMS if a != "defaults"])
    c.add_argument("--base", default="defaults", choices=list(ARMS))
    args = parser.parse_args()
    if args.command == "summary":
        return summary()
    if args.command == "compare":
        return compare(args.arm, args.base)
    if args.threads:
        torch.set_num_threads(args.threads)
    result = run_fold(args.k, args.arm)
    RESULTS.mkdir(parents=True, exist_ok=True)
    fold_file(args.k, args.arm).write_text(json.dumps(result, indent=1) + "\n")
    print(f"{args.arm} fold {args.k}: F1 {result['f1']:.4f} -> {result['f1_consistent']:.4f} ({result['change']:+.4f}), "
          f"{result['sentences_changed']} sentences changed, trained in {result['training_seconds']} s")  # fmt: skip


if __name__ == "__main__":
    main()
