"""Issue 14, rule 8: document-level label consistency, on 5 folds by article, paired within each fold's model.

    OMP_NUM_THREADS=1 python benchmarks/consistency_cv.py fold K --threads 1     # K = 1..5: train, tag, score
    python benchmarks/consistency_cv.py summary                                  # the table, from the saved folds

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


def run_fold(k: int) -> dict:
    plan = FoldPlan()
    data = nerkit.load("wikigold")
    train, test = kfold(data, folds=plan.folds, seed=plan.seed, by=plan.by)[k - 1]
    started = time.perf_counter()
    torch.manual_seed(plan.seed)  # what nerkit.analysis.crossval.run_fold does
    model = prepare_model(data, None, TrainConfig(seed=plan.seed))
    model = nerkit.fit(train, model, seed=plan.seed, progress=False)
    seconds = time.perf_counter() - started
    tags = nerkit.predict(model, test).tags
    fixed = consistent_tags(test.sentences, tags, test.doc_ids)
    before, after = score(test.labels, tags), score(test.labels, fixed)
    changed = sum(a != b for a, b in zip(tags, fixed))
    return {
        "fold": k,
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


def summary() -> None:
    rows = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("consistency_fold*.json"))]
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
    sub.add_parser("summary")
    args = parser.parse_args()
    if args.command == "summary":
        return summary()
    if args.threads:
        torch.set_num_threads(args.threads)
    result = run_fold(args.k)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"consistency_fold{args.k}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"fold {args.k}: F1 {result['f1']:.4f} -> {result['f1_consistent']:.4f} ({result['change']:+.4f}), "
          f"{result['sentences_changed']} sentences changed, trained in {result['training_seconds']} s")  # fmt: skip


if __name__ == "__main__":
    main()
