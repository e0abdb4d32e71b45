"""Which int8 quantization keeps F1: onnxruntime dynamic-quantization settings side by side.

    flock /tmp/nerkit-cpu.lock python benchmarks/int8_variants.py --export runs/issue6/onnx/export

Takes the fp32 ``model.onnx`` of a ``nerkit export`` folder, quantizes it with each
setting below, and tags the recipe's wikigold test side (50/50, seed 100) with each:
F1, sentences whose tags differ from fp32, and the time of one pass (batch 64, after one
warm-up pass; all in this one process, same threads).

Why this matters: on x86 CPUs without VNNI (AVX2 only, like the benchmark machine),
onnxruntime's u8 x s8 kernels can saturate (its documentation recommends
``reduce_range=True`` or u8 weights there), which costs accuracy.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

import nerkit
from nerkit.evaluation import score
from nerkit.modeling.onnx import INT8_FILE, ONNX_FILE, load_onnx, quantize_int8

ALL_OPS = None  # onnxruntime's default: every op type it can quantize (MatMul, Gather, ...)
VARIANTS = {
    "s8 per-channel": dict(per_channel=True, reduce_range=False, op_types=ALL_OPS),
    "s8 per-channel reduce-range": dict(per_channel=True, reduce_range=True, op_types=ALL_OPS),
    "s8 per-tensor": dict(per_channel=False, reduce_range=False, op_types=ALL_OPS),
    "u8 per-channel": dict(per_channel=True, reduce_range=False, weight_type="QUInt8", op_types=ALL_OPS),
    "s8 per-channel, MatMul only": dict(per_channel=True, reduce_range=False, op_types=["MatMul"]),
    "s8 per-channel reduce-range, MatMul only (nerkit's default)": dict(
        per_channel=True, reduce_range=True, op_types=["MatMul"]
    ),
    "u8 per-channel, MatMul only": dict(
        per_channel=True, reduce_range=False, weight_type="QUInt8", op_types=["MatMul"]
    ),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--export", default="runs/issue6/onnx/export", help="a folder written by `nerkit export`")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None, help="JSON file for the results (default: EXPORT/int8_variants.json)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    export = Path(args.export)
    _, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    fp32 = load_onnx(export, threads=args.threads)
    reference = nerkit.predict(fp32, test.sentences).tags
    results = {"fp32": {"f1": score(test.labels, reference).f1, "sentences_differing_from_fp32": 0}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for f in export.iterdir():  # the tokenizer and nerkit.json, with each variant as model.int8.onnx
            if f.is_file() and f.suffix != ".onnx":
                (folder / f.name).write_bytes(f.read_bytes())
        for name, options in VARIANTS.items():
            quantize_int8(export / ONNX_FILE, folder / INT8_FILE, **options)
            model = load_onnx(folder, int8=True, threads=args.threads)
            tags = nerkit.predict(model, test.sentences).tags  # also the warm-up pass
            started = time.perf_counter()
            nerkit.predict(model, test.sentences)
            seconds = time.perf_counter() - started
            results[name] = {
                "options": options,
                "f1": score(test.labels, tags).f1,
                "sentences_differing_from_fp32": sum(a != b for a, b in zip(reference, tags)),
                "seconds": seconds,
                "bytes": (folder / INT8_FILE).stat().st_size,
            }
            print(
                f"{name}: F1 {results[name]['f1']:.4f}, {results[name]['sentences_differing_from_fp32']} sentences "
                f"differ from fp32, {seconds:.1f} s",
                flush=True,
            )
    started = time.perf_counter()
    nerkit.predict(fp32, test.sentences)
    results["fp32"]["seconds"] = time.perf_counter() - started
    print(f"fp32: F1 {results['fp32']['f1']:.4f}, {results['fp32']['seconds']:.1f} s")
    out = Path(args.out) if args.out else export / "int8_variants.json"
    out.write_text(
        json.dumps(
            {"command": "python benchmarks/int8_variants.py " + " ".join(argv or sys.argv[1:]), "results": results},
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
