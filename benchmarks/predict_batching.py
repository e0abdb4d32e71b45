"""How big should a prediction batch be on this machine? The evidence for predict's default.

    flock /tmp/nerkit-cpu.lock python benchmarks/predict_batching.py runs/speed2/nerkit

Tags the test half of the recipe split (848 sentences) with ``nerkit.predict`` under several
batch limits: sentence counts (``batch_size``, no token cap) and token budgets
(``max_tokens``, padded word pieces per batch). Each setting runs ``--repeats`` times, the
settings interleaved round by round so a slow spell on a shared machine hits them all; the
median sentences/s is reported, with the share of words tagged as the default setting tags
them (padding differs between settings, so fp32 rounding may differ; tags should not). Writes ``benchmarks/results/predict_batching.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

import nerkit

SETTINGS = [
    ("batch_size", 8),
    ("batch_size", 16),
    ("batch_size", 32),
    ("batch_size", 64),
    ("max_tokens", 512),
    ("max_tokens", 1024),
    ("max_tokens", 2048),
    ("max_tokens", 4096),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent / "results" / "predict_batching.json"
    )
    args = parser.parse_args(argv)
    model = nerkit.load_model(args.model)
    _, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    sentences = test.sentences
    nerkit.predict(model, sentences[:64])  # warm-up
    reference = nerkit.predict(model, sentences).tags  # the default setting
    words = sum(len(s) for s in sentences)
    times: dict[str, list[float]] = {f"{k}={v}": [] for k, v in SETTINGS}
    same: dict[str, float] = {}
    for _ in range(args.repeats):
        for key, value in SETTINGS:
            options = (
                {"batch_size": value, "max_tokens": 10**9}
                if key == "batch_size"
                else {"batch_size": 10**6, "max_tokens": value}
            )
            started = time.perf_counter()
            tags = nerkit.predict(model, sentences, **options).tags
            times[f"{key}={value}"].append(time.perf_counter() - started)
            same[f"{key}={value}"] = sum(a == b for x, y in zip(tags, reference) for a, b in zip(x, y)) / words
    rows = {
        name: {
            "sentences_per_s": len(sentences) / statistics.median(t),
            "seconds": [round(x, 3) for x in t],
            "same_tags_as_default": same[name],
        }
        for name, t in times.items()
    }
    best = max(rows, key=lambda n: rows[n]["sentences_per_s"])
    payload = {
        "command": "python benchmarks/predict_batching.py " + " ".join(argv or __import__("sys").argv[1:]),
        "model": args.model,
        "sentences": len(sentences),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "rows": rows,
        "best": best,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"| setting | sentences/s (median of {args.repeats}) | x batch_size=64 | same tags as the default |")
    print("|---|---|---|---|")
    base = rows["batch_size=64"]["sentences_per_s"]
    for name, row in rows.items():
        print(
            f"| {name} | {row['sentences_per_s']:.0f} | {row['sentences_per_s'] / base:.2f} | {row['same_tags_as_default']:.4%} |"
        )
    print(f"best: {best}")


if __name__ == "__main__":
    main()
