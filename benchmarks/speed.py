"""Side-by-side speed: the recipe vs plain Hugging Face vs nerkit, one run, one machine.

    flock /tmp/nerkit-cpu.lock python benchmarks/speed.py --hf-full --recipe-full --out benchmarks/results

Same data (wikigold, the recipe's 50/50 split, seed 100), same model (the embedded
all-MiniLM-L6-v2), every arm in its own subprocess so each peak memory is clean.

Arms
- ``recipe``: the recipe's way, expressed with nerkit's own loop: trailing pieces tagged X,
  every sentence padded to 200 pieces, batch 8, lr 3e-5, no warm-up, fp32, no length grouping.
  (nerkit's loop uses fused AdamW and gradient clipping where the recipe used the plain
  AdamW; that only makes this arm faster, so the ratios against it are conservative.)
- ``hf-fp32`` / ``hf-bf16``: plain ``transformers.Trainer`` + ``DataCollatorForTokenClassification``
  (10 epochs, lr 1e-4, batch 16, labels on first pieces, -100 elsewhere), ``bf16`` off/on.
- ``nerkit`` / ``nerkit-bf16``: ``nerkit.fit(train)`` defaults (``precision="auto"``), and the
  same with bf16 forced, so the auto choice is backed by a number.

Throughput (training tokens/s) is measured for every arm on the same subset of the training
sentences (``--throughput-fraction``), one epoch each. A token is a real word piece (with
[CLS]/[SEP]); padding does not count. A full training (F1 on the test half) always runs for
nerkit's defaults; the HF Trainer's 10 epochs (``--hf-full``, ~9 minutes here) and the recipe's
5 epochs (``--recipe-full``, ~17 minutes) are optional. The bar's F1 comparison needs both:

    flock /tmp/nerkit-cpu.lock python benchmarks/speed.py --hf-full --recipe-full --out benchmarks/results

Prediction (sentences/s on the test half): ``nerkit.predict`` in fp32 and bf16 (and the tag
agreement of each with fp32), and ``pipeline("token-classification")`` on the same sentences
(words joined by spaces), at its default batch size and at ``--pipeline-batch``. The pipeline's
entities are mapped back to words to score its F1 as well.

``--quick`` runs everything on a few sentences for 1 epoch to debug the script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ARMS_TPUT = ["recipe", "hf-fp32", "hf-bf16", "nerkit", "nerkit-bf16"]

RECIPE = dict(
    trailing="tag",
    pad_to=200,
    max_len=200,
    stride=None,
    batch_size=8,
    epochs=5,
    lr=3e-5,
    warmup=0.0,
    group_by_length=False,
    precision="fp32",
    casing=False,
)
HF = dict(epochs=10, lr=1e-4, batch_size=16)


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux: the whole process's peak resident memory.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def data(args):
    import nerkit

    train, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    if args.quick:
        train, test = nerkit.subsample(train, 0.04, seed=1), nerkit.subsample(test, 0.04, seed=1)
    return train, test


def tput_subset(args, train):
    import nerkit

    return nerkit.subsample(train, args.throughput_fraction, seed=7)


# ---------------------------------------------------------------- nerkit arms


def nerkit_train(train, options):
    import nerkit

    started = time.perf_counter()
    model = nerkit.fit(train, progress=False, **options)
    wall = time.perf_counter() - started
    tokens = sum(r["tokens"] for r in model.history)
    seconds = sum(r["seconds"] for r in model.history)
    padded = sum(r["padded_tokens"] for r in model.history)
    return model, {
        "tokens": tokens,
        "padded_tokens": padded,
        "loop_seconds": seconds,
        "wall_seconds": round(wall, 2),
        "tokens_per_s": tokens / seconds,
        "epochs": len(model.history),
    }


def cpu_fast_bf16() -> bool:
    from nerkit.hardware import cpu_has_fast_bf16

    return cpu_has_fast_bf16()


def arm_tput(name, args):
    import nerkit

    train, _ = data(args)
    sub = tput_subset(args, train)
    if name.startswith("hf"):
        result = hf_train(sub, bf16=name == "hf-bf16", epochs=1)[1]
    else:
        options = dict(RECIPE) if name == "recipe" else {}
        if name == "nerkit-bf16":
            options["precision"] = "bf16"
            # Emulated bf16 (AVX2-only CPUs) is many times slower: a third of the sentences is enough.
            if not cpu_fast_bf16():
                sub = nerkit.subsample(sub, 1 / 3, seed=7)
        options["epochs"] = 1
        result = nerkit_train(sub, options)[1]
    result["sentences"] = len(sub)
    return result


def arm_full_nerkit(args):
    import nerkit

    train, test = data(args)
    options = {"epochs": 1} if args.quick else {}
    model, result = nerkit_train(train, options)
    report = nerkit.evaluate(model, test)
    result["f1"] = report.f1
    model.save(args.runs / "nerkit", overwrite=True)
    return result


def arm_full_recipe(args):
    import nerkit

    train, test = data(args)
    options = dict(RECIPE)
    if args.quick:
        options["epochs"] = 1
    model, result = nerkit_train(train, options)
    result["f1"] = nerkit.evaluate(model, test).f1
    return result


def timed_predict(model, sentences, precision, repeats):
    import nerkit

    nerkit.predict(model, sentences[:32], precision=precision)  # warm-up
    best, tags = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        tags = nerkit.predict(model, sentences, precision=precision).tags
        best = min(best, time.perf_counter() - t)
    return tags, best


def arm_pred_nerkit(args):
    import nerkit

    _, test = data(args)
    model = nerkit.load_model(args.runs / "nerkit")
    out = {"sentences": len(test)}
    fp32_tags, fp32_s = timed_predict(model, test.sentences, "fp32", args.repeats)
    out["fp32_sentences_per_s"] = len(test) / fp32_s
    auto_tags, auto_s = timed_predict(model, test.sentences, "auto", args.repeats)
    out["auto_sentences_per_s"] = len(test) / auto_s
    # Emulated bf16 on an AVX2-only CPU is ~20x slower than fp32: time it (and fp32 again) on a
    # subset of --bf16-sentences so the run stays short; agreement is counted on that subset.
    k = min(len(test), args.bf16_sentences)
    sub = test.sentences[:k]
    bf16_tags, bf16_s = timed_predict(model, sub, "bf16", 1)
    _, fp32_sub_s = timed_predict(model, sub, "fp32", 1)
    out["bf16_subset"] = k
    out["bf16_sentences_per_s"] = k / bf16_s
    out["fp32_subset_sentences_per_s"] = k / fp32_sub_s
    for key, tags, ref in (("auto", auto_tags, fp32_tags), ("bf16", bf16_tags, fp32_tags[:k])):
        words = sum(len(s) for s in ref)
        same = sum(a == b for x, y in zip(tags, ref) for a, b in zip(x, y))
        out[f"{key}_same_tags_as_fp32"] = same / words
    out["f1_fp32"] = nerkit.score(test.labels, fp32_tags).f1
    out["f1_auto"] = nerkit.score(test.labels, auto_tags).f1
    out["f1_bf16_subset"] = nerkit.score(test.labels[:k], bf16_tags).f1
    out["f1_fp32_subset"] = nerkit.score(test.labels[:k], fp32_tags[:k]).f1
    out["pieces"] = piece_count(model.tokenizer, test.sentences)
    return out


def piece_count(tokenizer, sentences):
    enc = tokenizer([list(s) for s in sentences], is_split_into_words=True, truncation=True)
    return sum(len(ids) for ids in enc["input_ids"])


# ---------------------------------------------------------------- plain Hugging Face arms


def hf_encode(tokenizer, dataset, label2id):
    """First word piece carries the word's label, every other position -100 (the HF tutorial's way)."""
    enc = tokenizer([list(s) for s in dataset.sentences], is_split_into_words=True, truncation=True)
    rows, word_ids = [], []
    for i in range(len(dataset)):
        wids = enc.word_ids(i)
        labels, previous = [], None
        for w in wids:
            labels.append(-100 if w is None or w == previous else label2id[dataset.labels[i][w]])
            previous = w
        rows.append(
            {
                "input_ids": enc["input_ids"][i],
                "attention_mask": enc["attention_mask"][i],
                "token_type_ids": enc["token_type_ids"][i],
                "labels": labels,
            }
        )
        word_ids.append(wids)
    return rows, word_ids


def hf_train(train, bf16: bool, epochs: int, output=None, test=None):
    import numpy as np
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
    )

    import nerkit
    from nerkit.modeling import embedded_model_dir

    tags = nerkit.unique_labels(train)
    label2id = {t: i for i, t in enumerate(tags)}
    path = embedded_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForTokenClassification.from_pretrained(
        path, num_labels=len(tags), id2label=dict(enumerate(tags)), label2id=label2id
    )
    rows, _ = hf_encode(tokenizer, train, label2id)
    with tempfile.TemporaryDirectory() as tmp:
        targs = TrainingArguments(
            output_dir=tmp,
            num_train_epochs=epochs,
            learning_rate=HF["lr"],
            per_device_train_batch_size=HF["batch_size"],
            bf16=bf16,
            use_cpu=True,
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            disable_tqdm=True,
            seed=100,
        )
        trainer = Trainer(
            model=model, args=targs, train_dataset=rows, data_collator=DataCollatorForTokenClassification(tokenizer)
        )
        started = time.perf_counter()
        metrics = trainer.train().metrics
        wall = time.perf_counter() - started
    tokens = sum(len(r["input_ids"]) for r in rows) * epochs
    result = {
        "tokens": tokens,
        "loop_seconds": metrics["train_runtime"],
        "wall_seconds": round(wall, 2),
        "tokens_per_s": tokens / metrics["train_runtime"],
        "epochs": epochs,
    }
    if test is not None:
        test_rows, test_wids = hf_encode(tokenizer, test, label2id)
        logits = trainer.predict(test_rows).predictions
        pred = []
        for i, s in enumerate(test.sentences):
            tags_i, previous = ["O"] * len(s), None
            best = np.asarray(logits[i]).argmax(-1)
            for pos, w in enumerate(test_wids[i]):
                if w is not None and w != previous:
                    tags_i[w] = tags[int(best[pos])]
                previous = w
            pred.append(tags_i)
        result["f1"] = nerkit.score(test.labels, pred).f1
    if output is not None:
        model.save_pretrained(output)
        tokenizer.save_pretrained(output)
    return model, result


def arm_full_hf(args):
    if not args.hf_full:
        return {"skipped": "no --hf-full"}
    train, test = data(args)
    return hf_train(train, bf16=False, epochs=1 if args.quick else HF["epochs"], output=args.runs / "hf", test=test)[1]


def pipeline_tags(entities_per_sentence, sentences):
    """Map the pipeline's character spans back onto the words (joined by single spaces)."""
    out = []
    for words, entities in zip(sentences, entities_per_sentence):
        starts, pos = [], 0
        for w in words:
            starts.append(pos)
            pos += len(w) + 1
        tags = ["O"] * len(words)
        for e in entities:
            label = e.get("entity_group") or e.get("entity")
            label = label.split("-", 1)[-1]
            for j, st in enumerate(starts):
                if st >= e["start"] and st + len(words[j]) <= e["end"] + 0 and label != "O":
                    tags[j] = f"I-{label}"
        out.append(tags)
    return out


def arm_pred_hf(args):
    from transformers import pipeline

    import nerkit

    _, test = data(args)
    texts = [" ".join(s) for s in test.sentences]
    # Without --hf-full there is no HF-trained model: the pipeline then runs nerkit's trained
    # weights (a plain transformers token classifier; same shapes, so the same speed), but
    # without nerkit's casing features, so its F1 says little.
    source = args.runs / ("hf" if args.hf_full else "nerkit")
    out = {"sentences": len(test), "model": str(source)}
    for key, batch in (("default", None), (f"batch{args.pipeline_batch}", args.pipeline_batch)):
        kwargs = {} if batch is None else {"batch_size": batch}
        tagger = pipeline(
            "token-classification", model=str(source), aggregation_strategy="first", device="cpu", **kwargs
        )
        tagger(texts[:8])  # warm-up
        best, entities = float("inf"), None
        for _ in range(1 if batch is None else args.repeats):  # batch 1 is slow enough to time once
            t = time.perf_counter()
            entities = tagger(texts)
            best = min(best, time.perf_counter() - t)
        out[f"{key}_sentences_per_s"] = len(test) / best
        out[f"{key}_f1"] = nerkit.score(test.labels, pipeline_tags(entities, test.sentences)).f1
    return out


# ---------------------------------------------------------------- machine


def arm_matmul(args):
    from matmul_peak import peak

    return peak(384, 1536, 512, seconds=0.1 if args.quick else 0.5)


def model_flops_per_token(mean_len: float) -> dict:
    """Forward FLOPs per token of the embedded MiniLM: 2 x dense weights + attention's two products."""
    from transformers import AutoConfig

    from nerkit.modeling import embedded_model_dir

    c = AutoConfig.from_pretrained(embedded_model_dir())
    h, i, layers = c.hidden_size, c.intermediate_size, c.num_hidden_layers
    dense = layers * (4 * h * h + 2 * h * i)
    attention = layers * 2 * 2 * mean_len * h  # QK^T and AV, per token, at the batch's padded length
    return {"dense_weights": dense, "forward": 2 * dense + attention, "train": 3 * (2 * dense + attention)}


ARMS = {
    "matmul": arm_matmul,
    "full-nerkit": arm_full_nerkit,
    "full-hf": arm_full_hf,
    "full-recipe": arm_full_recipe,
    "pred-nerkit": arm_pred_nerkit,
    "pred-hf": arm_pred_hf,
}


def run_child(arm, args) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        result_file = f.name
    cmd = (
        [
            sys.executable,
            __file__,
            "--child",
            arm,
            "--result",
            result_file,
            "--runs",
            str(args.runs),
            "--throughput-fraction",
            str(args.throughput_fraction),
            "--repeats",
            str(args.repeats),
            "--pipeline-batch",
            str(args.pipeline_batch),
            "--bf16-sentences",
            str(args.bf16_sentences),
        ]
        + (["--quick"] if args.quick else [])
        + (["--hf-full"] if args.hf_full else [])
    )
    print(f"[{time.strftime('%H:%M:%S')}] {arm} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    proc = subprocess.run(cmd)
    if proc.returncode:
        raise SystemExit(f"arm {arm} failed with exit code {proc.returncode}")
    result = json.loads(Path(result_file).read_text())
    os.unlink(result_file)
    result["process_seconds"] = round(time.perf_counter() - started, 1)
    print(f"[{time.strftime('%H:%M:%S')}] {arm}: {json.dumps(result)}", file=sys.stderr, flush=True)
    return result


def child(args):
    import warnings

    warnings.filterwarnings("ignore")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.child.startswith("tput-"):
        result = arm_tput(args.child[5:], args)
    else:
        result = ARMS[args.child](args)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    Path(args.result).write_text(json.dumps(result))


def results_from_log(log: Path) -> tuple[dict, float]:
    """The arms' results as the parent logged them ("[HH:MM:SS] arm: {json}"), and the minutes they spanned."""
    results, times = {}, []
    for line in log.read_text().splitlines():
        if line.startswith("[") and "] " in line and ": {" in line:
            stamp, rest = line[1:].split("] ", 1)
            arm, payload = rest.split(": ", 1)
            results[arm] = json.loads(payload)
            times.append(results[arm].get("process_seconds", 0))
    return results, sum(times) / 60


def machine() -> dict:
    import torch
    import transformers

    model_name = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split()
    return {
        "cpu": model_name,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "avx512_bf16": "avx512_bf16" in flags,
        "amx_bf16": "amx_bf16" in flags,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }


def summarise(r: dict, args) -> dict:
    t = {k[5:]: v for k, v in r.items() if k.startswith("tput-")}
    best_hf = max(t["hf-fp32"]["tokens_per_s"], t["hf-bf16"]["tokens_per_s"])
    nk = t["nerkit"]["tokens_per_s"]
    pn, ph = r["pred-nerkit"], r["pred-hf"]
    hf_pipe_best = max(v for k, v in ph.items() if k.endswith("_sentences_per_s"))
    pieces_per_sentence = pn["pieces"] / pn["sentences"]
    flops = model_flops_per_token(pieces_per_sentence)
    # A peak measured while another process held a core comes out too low (MFU over 100%
    # shows it); --peak takes a separate, quieter matmul_peak.py measurement instead.
    peak32 = max(r["matmul"]["fp32"], (r.get("matmul-separate") or {}).get("fp32", 0))
    f1_ref = [x for x in (r.get("full-hf", {}).get("f1"), r.get("full-recipe", {}).get("f1")) if x is not None]
    s = {
        "train_x_recipe": nk / t["recipe"]["tokens_per_s"],
        "train_x_hf_fp32": nk / t["hf-fp32"]["tokens_per_s"],
        "train_x_hf_bf16": nk / t["hf-bf16"]["tokens_per_s"],
        "train_x_hf_best": nk / best_hf,
        "hf_bf16_over_fp32": t["hf-bf16"]["tokens_per_s"] / t["hf-fp32"]["tokens_per_s"],
        "nerkit_bf16_over_fp32": t["nerkit-bf16"]["tokens_per_s"] / nk,
        "f1_nerkit": r["full-nerkit"]["f1"],
        "f1_reference_best": max(f1_ref) if f1_ref else None,
        "f1_gap": r["full-nerkit"]["f1"] - max(f1_ref) if f1_ref else None,
        "predict_x_pipeline_default": pn["auto_sentences_per_s"] / ph["default_sentences_per_s"],
        "predict_x_pipeline_best": pn["auto_sentences_per_s"] / hf_pipe_best,
        "predict_same_tags_as_fp32": pn["auto_same_tags_as_fp32"],
        "flops_per_token": flops,
        "train_mfu_fp32": nk * flops["train"] / (peak32 * 1e9),
        "train_mfu_fp32_full_run": r["full-nerkit"]["tokens_per_s"] * flops["train"] / (peak32 * 1e9),
        "predict_mfu_fp32": pn["auto_sentences_per_s"] * pieces_per_sentence * flops["forward"] / (peak32 * 1e9),
    }
    s["bar_train_recipe_8x"] = s["train_x_recipe"] >= 8
    s["bar_train_hf_1_5x"] = s["train_x_hf_best"] >= 1.5
    s["bar_f1_within_0_01"] = s["f1_gap"] >= -0.01 if f1_ref else None
    s["bar_predict_3x"] = s["predict_x_pipeline_best"] >= 3
    s["bar_predict_99_5"] = s["predict_same_tags_as_fp32"] >= 0.995
    return s


def markdown(res: dict) -> str:
    r, s, m = res["arms"], res["summary"], res["machine"]
    t = {k[5:]: v for k, v in r.items() if k.startswith("tput-")}
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} ({m['cpu_capability']}, "
        f"AVX-512 BF16 {m['avx512_bf16']}, AMX {m['amx_bf16']}), {m['torch_threads']} threads, transformers {m['transformers']}.",
        f"Command: `{res['command']}` ({res['minutes']:.1f} min of arms)."
        + (
            f" The arms' results were read from the log {res['from_log']} of the run that measured them."
            if res.get("from_log")
            else ""
        ),
        "",
        f"Training throughput, one epoch on the same {t['nerkit']['sentences']} training sentences each "
        "(nerkit-bf16: a third of them where bf16 is emulated; tokens = real word pieces, padding excluded):",
        "",
        "| arm | sentences | tokens/s | padded/real pieces | epoch s | peak RSS MB | x recipe | nerkit x this |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in ARMS_TPUT:
        a = t[name]
        pad = f"{a['padded_tokens'] / a['tokens']:.2f}" if "padded_tokens" in a else "n/a"
        lines.append(
            f"| {name} | {a['sentences']} | {a['tokens_per_s']:.0f} | {pad} | {a['loop_seconds']:.1f} | {a['peak_rss_mb']:.0f} | "
            f"{a['tokens_per_s'] / t['recipe']['tokens_per_s']:.2f} | "
            f"{t['nerkit']['tokens_per_s'] / a['tokens_per_s']:.2f} |"
        )
    fr, fh = r["full-nerkit"], r.get("full-hf", {})
    rec = r.get("full-recipe")
    lines += [
        "",
        "Full trainings on the whole training half, F1 on the test half (seqeval, word level):",
        "",
        "| arm | epochs | tokens/s | wall s | peak RSS MB | F1 |",
        "|---|---|---|---|---|---|",
        f"| nerkit defaults | {fr['epochs']} | {fr['tokens_per_s']:.0f} | {fr['wall_seconds']:.0f} | {fr['peak_rss_mb']:.0f} | {fr['f1']:.4f} |",
        (
            f"| HF Trainer fp32 | {fh['epochs']} | {fh['tokens_per_s']:.0f} | {fh['wall_seconds']:.0f} | {fh['peak_rss_mb']:.0f} | {fh['f1']:.4f} |"
            if "f1" in fh
            else "| HF Trainer fp32 | 10 | - | - | - | not measured (no `--hf-full`) |"
        ),
        (
            f"| recipe | {rec['epochs']} | {rec['tokens_per_s']:.0f} | {rec['wall_seconds']:.0f} | {rec['peak_rss_mb']:.0f} | {rec['f1']:.4f} |"
            if rec
            else "| recipe | 5 | - | - | - | not measured (no `--recipe-full`) |"
        ),
    ]
    pn, ph = r["pred-nerkit"], r["pred-hf"]
    lines += [
        "",
        f"Prediction on the {pn['sentences']} test sentences (best of {res['repeats']}):",
        "",
        "| arm | sentences/s | peak RSS MB | F1 | same tags as nerkit fp32 |",
        "|---|---|---|---|---|",
        f"| nerkit predict, auto (= {'bf16' if m['avx512_bf16'] or m['amx_bf16'] else 'fp32'} here) | {pn['auto_sentences_per_s']:.0f} | {pn['peak_rss_mb']:.0f} | {pn['f1_auto']:.4f} | {pn['auto_same_tags_as_fp32']:.4%} |",
        f"| nerkit predict, fp32 | {pn['fp32_sentences_per_s']:.0f} | | {pn['f1_fp32']:.4f} | 100% |",
        f"| nerkit predict, bf16 forced (first {pn['bf16_subset']} sentences; fp32 on them: {pn['fp32_subset_sentences_per_s']:.0f}/s, F1 {pn['f1_fp32_subset']:.4f}) "
        f"| {pn['bf16_sentences_per_s']:.1f} | | {pn['f1_bf16_subset']:.4f} | {pn['bf16_same_tags_as_fp32']:.4%} |",
    ]
    for key in [k[: -len("_sentences_per_s")] for k in ph if k.endswith("_sentences_per_s")]:
        weights = (
            "HF Trainer's model" if ph.get("model", "/hf").endswith("hf") else "nerkit's weights, no casing features"
        )
        lines.append(
            f"| HF pipeline ({weights}), {key.replace('batch', 'batch_size=')} | {ph[key + '_sentences_per_s']:.0f} | "
            f"{ph['peak_rss_mb']:.0f} | {ph[key + '_f1']:.4f} | n/a |"
        )
    mm = r["matmul"]
    sep = r.get("matmul-separate")
    lines += [
        "",
        f"Matrix-multiply peak at the model's dense shapes (512 rows), in this run: fp32 {mm['fp32']} GFLOP/s, bf16 {mm['bf16']} GFLOP/s"
        + (f"; measured separately (--peak): fp32 {sep['fp32']} GFLOP/s, bf16 {sep['bf16']} GFLOP/s. " if sep else ". ")
        + f"Model FLOPs per real token: {s['flops_per_token']['forward'] / 1e6:.1f} M forward, "
        f"{s['flops_per_token']['train'] / 1e6:.1f} M training (3x).",
        f"nerkit uses {s['train_mfu_fp32']:.1%} of the fp32 peak training ({s['train_mfu_fp32_full_run']:.1%} over the full run) "
        f"and {s['predict_mfu_fp32']:.1%} predicting.",
        "",
        "Bar:",
        "",
        f"- training vs recipe: {s['train_x_recipe']:.1f}x (>= 8x: {'met' if s['bar_train_recipe_8x'] else 'NOT met'})",
        f"- training vs plain HF Trainer, best setting: {s['train_x_hf_best']:.2f}x (fp32 {s['train_x_hf_fp32']:.2f}x, "
        f"bf16 {s['train_x_hf_bf16']:.2f}x; >= 1.5x: {'met' if s['bar_train_hf_1_5x'] else 'NOT met'}); "
        f"HF bf16/fp32 = {s['hf_bf16_over_fp32']:.2f}, nerkit bf16/fp32 = {s['nerkit_bf16_over_fp32']:.2f}",
        (
            f"- F1: nerkit {s['f1_nerkit']:.4f} vs best reference {s['f1_reference_best']:.4f} "
            f"(gap {s['f1_gap']:+.4f}; within 0.01: {'met' if s['bar_f1_within_0_01'] else 'NOT met'})"
            if s["f1_gap"] is not None
            else f"- F1: nerkit {s['f1_nerkit']:.4f}; the recipe's and HF Trainer's F1 were not measured in this run"
        ),
        f"- prediction vs HF pipeline: {s['predict_x_pipeline_default']:.1f}x its default, {s['predict_x_pipeline_best']:.1f}x its best "
        f"(>= 3x: {'met' if s['bar_predict_3x'] else 'NOT met'}); same tags as fp32 on {s['predict_same_tags_as_fp32']:.2%} of words",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--runs", type=Path, default=Path("runs/speed"))
    parser.add_argument("--quick", action="store_true", help="a few sentences, 1 epoch: to debug the script")
    parser.add_argument("--throughput-fraction", type=float, default=0.3)
    parser.add_argument("--repeats", type=int, default=2, help="timed prediction passes (best counts)")
    parser.add_argument("--pipeline-batch", type=int, default=64)
    parser.add_argument(
        "--bf16-sentences", type=int, default=100, help="test sentences for the (slow here) bf16 prediction"
    )
    parser.add_argument(
        "--hf-full",
        action="store_true",
        help="also train the HF Trainer for its 10 epochs, for its F1 (~10-30 min here)",
    )
    parser.add_argument(
        "--from-log",
        type=Path,
        help="rebuild the JSON and table from the '[time] arm: {...}' lines of an interrupted run's log",
    )
    parser.add_argument("--peak", type=Path, help="JSON written by matmul_peak.py, used for the fraction of peak")
    parser.add_argument("--recipe-full", action="store_true", help="also train the recipe for its 5 epochs (~20 min)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    started = time.perf_counter()
    command = "python " + " ".join(["benchmarks/speed.py", *(argv if argv is not None else sys.argv[1:])])
    if args.from_log:
        results, minutes = results_from_log(args.from_log)
    else:
        args.runs.mkdir(parents=True, exist_ok=True)
        arms = ["matmul"] + [f"tput-{a}" for a in ARMS_TPUT] + ["full-nerkit"] + (["full-hf"] if args.hf_full else [])
        arms += ["pred-nerkit", "pred-hf"] + (["full-recipe"] if args.recipe_full else [])
        results = {arm: run_child(arm, args) for arm in arms}
        minutes = (time.perf_counter() - started) / 60
    if args.peak:
        results["matmul-separate"] = json.loads(args.peak.read_text())
    res = {"command": command, "machine": machine(), "repeats": args.repeats, "arms": results}
    if args.from_log:
        res["from_log"] = str(args.from_log)
    res["summary"] = summarise(results, args)
    res["minutes"] = minutes
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "speed-quick" if args.quick else "speed"
    (args.out / f"{stem}.json").write_text(json.dumps(res, indent=2) + "\n")
    (args.out / f"{stem}.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
