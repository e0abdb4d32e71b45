"""ONNX parity and speed: PyTorch vs onnxruntime fp32 vs onnxruntime int8 on the wikigold test side.

    flock /tmp/nerkit-cpu.lock python benchmarks/onnx_speed.py --model runs/default --out runs/onnx

What it measures, all in one process on the same sentences:

- parity: the recipe's test side (50/50 split, seed 100) tagged by each backend; sentences
  whose tags differ from PyTorch's, the largest probability difference, and F1 (seqeval,
  default mode) of each backend;
- speed: the whole test side tagged ``--rounds`` times by each backend in turn (rotating
  the order each round), batch size 64, plus ``--single`` sentences one at a time (the
  latency a server sees); the median of the rounds and its ratio to PyTorch's are reported.
  Both libraries use the same number of threads (``--threads``).

If ``--model`` does not exist, a model is first trained with nerkit's defaults on the
recipe's training side and saved there.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import nerkit
from nerkit.evaluation import score
from nerkit.modeling.onnx import export_onnx, load_onnx


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default", help="a model trained with defaults (trained if missing)")
    parser.add_argument("--out", default="runs/onnx", help="folder for the export and onnx_speed.json")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--single", type=int, default=200, help="sentences tagged one at a time for latency")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    data = nerkit.load("wikigold")
    train, test = nerkit.split(data, test_fraction=0.5, seed=100)
    model_dir = Path(args.model)
    trained_here = not model_dir.exists()
    if trained_here:
        print(f"{model_dir} does not exist: training one with the defaults", file=sys.stderr)
        nerkit.fit(train, progress=False).save(model_dir)
    model = nerkit.load_model(model_dir, device="cpu")

    export_dir = out / "export"
    export_seconds = timed(lambda: export_onnx(model, export_dir, int8=True, overwrite=True))
    backends = {
        "torch": model,
        "onnx-fp32": load_onnx(export_dir, threads=args.threads),
        "onnx-int8": load_onnx(export_dir, int8=True, threads=args.threads),
    }

    sentences = test.sentences
    predictions = {
        name: nerkit.predict(m, sentences, batch_size=args.batch_size, probabilities=True)
        for name, m in backends.items()
    }
    reference = predictions["torch"]
    parity = {}
    for name, p in predictions.items():
        report = score(test.labels, p.tags)
        parity[name] = {
            "f1": report.f1,
            "precision": report.precision,
            "recall": report.recall,
            "sentences_with_other_tags_than_torch": sum(a != b for a, b in zip(reference.tags, p.tags)),
            "words_with_other_tags_than_torch": sum(
                x != y for a, b in zip(reference.tags, p.tags) for x, y in zip(a, b)
            ),
            "max_probability_difference": float(
                max(np.abs(a - b).max() for a, b in zip(reference.probabilities, p.probabilities) if len(a))
            ),
        }

    names = list(backends)
    batch_times = {name: [] for name in names}
    single_times = {name: [] for name in names}
    few = sentences[: args.single]
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]  # rotate, so no backend always runs first
        for name in order:
            m = backends[name]
            batch_times[name].append(timed(lambda m=m: nerkit.predict(m, sentences, batch_size=args.batch_size)))
            single_times[name].append(timed(lambda m=m: [nerkit.predict(m, [s], batch_size=1) for s in few]))
    words = sum(len(s) for s in sentences)
    speed = {}
    for name in names:
        batch, single = statistics.median(batch_times[name]), statistics.median(single_times[name])
        speed[name] = {
            "batch_seconds": batch,
            "sentences_per_second": len(sentences) / batch,
            "words_per_second": words / batch,
            "speedup_vs_torch_batch": statistics.median(batch_times["torch"]) / batch,
            "single_sentence_ms": 1000 * single / len(few),
            "speedup_vs_torch_single": statistics.median(single_times["torch"]) / single,
            "all_batch_seconds": batch_times[name],
            "all_single_seconds": single_times[name],
        }
    sizes = {p.name: p.stat().st_size for p in [model_dir / "model.safetensors", *export_dir.glob("*.onnx")]}
    result = {
        "command": "python benchmarks/onnx_speed.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "model": str(model_dir),
        "trained_here": trained_here,
        "test_sentences": len(sentences),
        "test_words": words,
        "threads": args.threads,
        "export_seconds_fp32_and_int8": export_seconds,
        "exporter": json.loads((export_dir / "nerkit.json").read_text())["onnx"],
        "file_bytes": sizes,
        "parity": parity,
        "speed": speed,
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "onnxruntime": __import__("onnxruntime").__version__,
        },
    }
    (out / "onnx_speed.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        "| backend | F1 | sentences with other tags than PyTorch | batch 64: sentences/s | speed-up | "
        "one sentence: ms | speed-up |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in names:
        p, s = parity[name], speed[name]
        print(
            f"| {name} | {p['f1']:.4f} | {p['sentences_with_other_tags_than_torch']} / {len(sentences)} | "
            f"{s['sentences_per_second']:.1f} | {s['speedup_vs_torch_batch']:.2f}x | {s['single_sentence_ms']:.1f} | "
            f"{s['speedup_vs_torch_single']:.2f}x |"
        )
    print(f"\nfiles: {sizes}; export took {export_seconds:.0f} s; written to {out / 'onnx_speed.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
