"""Side by side on one machine (made for a GPU): training nerkit vs the HF Trainer, and prediction speed.

    python benchmarks/gpu_bench.py --out runs/gpu-check            # on a GPU: the issue-11 bars
    python benchmarks/gpu_bench.py --cpu --quick --out runs/quick   # a few sentences on the CPU, to test the script

Data: wikigold, the recipe's random 50/50 split (seed 100), the embedded all-MiniLM-L6-v2.

- Training: the plain HF Trainer (``TrainingArguments`` bf16 on the GPU, 10 epochs, lr 1e-4, batch
  16, labels on first pieces, no evaluation, no saving) and ``nerkit.fit(train)`` with its
  defaults (bf16 autocast where native, CRF, casing features), each timed from loading the
  model to the end of training (``nerkit.fit`` loads the model and tokenizes the data itself), then scored on the test half (word-level entity micro F1); and nerkit once
  more with a crash-safe checkpoint after every epoch (``nerkit train``'s default), for its cost.
- Prediction: ``nerkit.predict`` on the test half repeated ``--copies`` times (848 x 10 = 8,480
  sentences), best of ``--repeats``, in sentences/s (with the model's default precision and batches);
  then all of wikigold's 1,696 sentences once each (predict tokenizes each distinct word once
  per call, so repeated sentences would flatter it); then the 8,480 again after ``gc.freeze()``,
  as ``nerkit serve`` runs (the last thing the script does).

Writes ``results.json`` and ``results.md`` (a table naming the device) to ``--out``.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import nerkit

HF = dict(epochs=10, lr=1e-4, batch_size=16)


def device_name(device: str) -> str:
    if device == "cuda":
        return f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def hf_rows(tokenizer, data, label2id):
    enc = tokenizer(data.sentences, is_split_into_words=True, truncation=True)
    rows, word_ids = [], []
    for i in range(len(data)):
        wids, labels, previous = enc.word_ids(i), [], None
        for w in wids:
            labels.append(-100 if w is None or w == previous or data.labels is None else label2id[data.labels[i][w]])
            previous = w
        rows.append({k: enc[k][i] for k in ("input_ids", "attention_mask", "token_type_ids")} | {"labels": labels})
        word_ids.append(wids)
    return rows, word_ids


def hf_arm(train, test, args) -> dict:
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
    )

    from nerkit.modeling import embedded_model_dir

    tags = nerkit.unique_labels(train)
    label2id = {t: i for i, t in enumerate(tags)}
    path = embedded_model_dir()
    sync(args.device)
    started = time.perf_counter()  # like nerkit.fit's time: loading the model and the data count too
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForTokenClassification.from_pretrained(
        path, num_labels=len(tags), id2label=dict(enumerate(tags)), label2id=label2id
    )
    rows, _ = hf_rows(tokenizer, train, label2id)
    with tempfile.TemporaryDirectory() as tmp:
        targs = TrainingArguments(
            output_dir=tmp, num_train_epochs=args.epochs, learning_rate=HF["lr"],
            per_device_train_batch_size=HF["batch_size"], bf16=args.device == "cuda", use_cpu=args.device == "cpu",
            report_to="none", save_strategy="no", eval_strategy="no", logging_strategy="no", disable_tqdm=True,
            seed=100,
        )  # fmt: skip
        trainer = Trainer(
            model=model, args=targs, train_dataset=rows, data_collator=DataCollatorForTokenClassification(tokenizer)
        )
        trainer.train()
        sync(args.device)
        seconds = time.perf_counter() - started
        test_rows, test_wids = hf_rows(tokenizer, test, label2id)
        logits = trainer.predict(test_rows).predictions
    pred = []
    for i, sentence in enumerate(test.sentences):
        tags_i, previous, best = ["O"] * len(sentence), None, np.asarray(logits[i]).argmax(-1)
        for pos, w in enumerate(test_wids[i]):
            if w is not None and w != previous:
                tags_i[w] = tags[int(best[pos])]
            previous = w
        pred.append(tags_i)
    return {"train_seconds": round(seconds, 2), "f1": nerkit.score(test.labels, pred).f1}


def nerkit_arm(train, test, args, checkpoints: bool = False) -> tuple[dict, object]:
    """``checkpoints``: a crash-safe checkpoint after every epoch, as ``nerkit train`` writes by default."""
    with tempfile.TemporaryDirectory() as folder:
        sync(args.device)
        started = time.perf_counter()
        model = nerkit.fit(train, epochs=args.epochs, progress=False, device=args.device,
                           checkpoint_dir=folder if checkpoints else None)  # fmt: skip
        sync(args.device)
        seconds = time.perf_counter() - started
    return {"train_seconds": round(seconds, 2), "f1": nerkit.evaluate(model, test).f1}, model


def predict_arm(model, test, distinct, args) -> dict:
    sentences = [list(s) for s in test.sentences] * args.copies
    nerkit.predict(model, sentences[:256])  # warm-up: kernels, allocator

    def best(sentences=sentences) -> float:
        seconds = float("inf")
        for _ in range(args.repeats):
            sync(args.device)
            started = time.perf_counter()
            nerkit.predict(model, sentences)
            sync(args.device)
            seconds = min(seconds, time.perf_counter() - started)
        return seconds

    plain = best()
    # Each of wikigold's sentences once: no word is met again only because its sentence repeats
    # (predict tokenizes each distinct word once per call).
    once = best(distinct)
    # Again as `nerkit serve` runs it: what is loaded frozen out of the cyclic collector's sight
    # (gc.freeze, for the rest of this process: so this runs last).
    gc.freeze()
    frozen = best()
    return {"sentences": len(sentences), "seconds": round(plain, 3), "sentences_per_s": round(len(sentences) / plain),
            "frozen_gc_seconds": round(frozen, 3), "frozen_gc_sentences_per_s": round(len(sentences) / frozen),
            "distinct_sentences": len(distinct), "distinct_sentences_per_s": round(len(distinct) / once)}  # fmt: skip


def markdown(result: dict) -> str:
    hf, nk, pr, ck = result["hf"], result["nerkit"], result["predict"], result["nerkit_checkpoints"]
    speedup = hf["train_seconds"] / nk["train_seconds"]
    return "\n".join(
        [
            f"Device: {result['device']}; torch {result['torch']}, transformers {result['transformers']}.",
            f"Data: {result['data']}. Command: `{result['command']}`.",
            "",
            "| run | training s | micro F1 |",
            "|---|---|---|",
            f"| plain HF Trainer{', bf16' if result['bf16'] else ''}, {result['epochs']} epochs, lr 1e-4, batch 16 "
            f"| {hf['train_seconds']:.1f} | {hf['f1']:.4f} |",
            f"| `nerkit.fit` defaults, {result['epochs']} epochs | {nk['train_seconds']:.1f} | {nk['f1']:.4f} |",
            f"| the same with a checkpoint every epoch (what `nerkit train` writes) | {ck['train_seconds']:.1f} "
            f"| {ck['f1']:.4f} |",
            "",
            f"- training: nerkit {speedup:.2f}x the HF Trainer's speed (bar on a GPU: >= 3x at F1 >= 0.77)",
            f"- prediction: {pr['sentences_per_s']:,} sentences/s ({pr['sentences']:,} sentences, best of "
            f"{result['repeats']}; bar on an H200-class GPU: >= 20,000); {pr['frozen_gc_sentences_per_s']:,} "
            "sentences/s with the garbage collector's view frozen after loading, as `nerkit serve` runs; "
            f"{pr['distinct_sentences_per_s']:,} sentences/s on wikigold's {pr['distinct_sentences']:,} sentences "
            "once each (no sentence repeated)",
            "",
        ]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu", action="store_true", help="run on the CPU even where there is a GPU")
    parser.add_argument("--quick", action="store_true", help="a few sentences, one epoch: to test the script")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--copies", type=int, default=10, help="prediction: the test half repeated this often")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    args.device = "cuda" if torch.cuda.is_available() and not args.cpu else "cpu"
    train, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    if args.quick:
        train, test = nerkit.subsample(train, 0.05, seed=1), nerkit.subsample(test, 0.05, seed=1)
        args.epochs, args.copies, args.repeats = 1, 1, 1
    import transformers

    result = {
        "command": "python benchmarks/gpu_bench.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "device": device_name(args.device),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "data": f"wikigold recipe split (seed 100), {len(train)} training / {len(test)} test sentences",
        "epochs": args.epochs,
        "repeats": args.repeats,
        "bf16": args.device == "cuda",
    }
    # Warm-up, so neither arm pays for starting CUDA, loading libraries or first kernels.
    nerkit.fit(nerkit.subsample(train, 0.1, seed=3), epochs=1, progress=False, device=args.device)
    result["hf"] = hf_arm(train, test, args)
    print(f"HF Trainer: {result['hf']}", flush=True)
    result["nerkit"], model = nerkit_arm(train, test, args)
    print(f"nerkit: {result['nerkit']}", flush=True)
    result["nerkit_checkpoints"], _ = nerkit_arm(train, test, args, checkpoints=True)
    print(f"nerkit with a checkpoint every epoch: {result['nerkit_checkpoints']}", flush=True)
    distinct = [list(s) for s in train.sentences + test.sentences]  # all of wikigold, each sentence once
    result["predict"] = predict_arm(model, test, distinct, args)
    print(f"predict: {result['predict']}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
