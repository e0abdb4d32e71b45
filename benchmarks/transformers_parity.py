"""Does plain transformers (the custom code saved with a model) tag as nerkit does?

    nerkit train --data wikigold --output runs/wikigold          # or: make train
    python benchmarks/transformers_parity.py --model runs/wikigold
    python benchmarks/transformers_parity.py --model runs/wikigold --precision fp32 --json out.json

Loads the model twice: with nerkit (``nerkit.predict``) and with transformers alone
(``pipeline("token-classification", model=DIR, trust_remote_code=True)``, the pipeline the
model carries, with transformers' module cache in a temporary folder). Both tag the words of
the test side of the split the model was trained with (read from its ``nerkit.json``: the
recipe's 50/50 random split by sentence, seed 100, for ``nerkit train``'s defaults), and the
script counts the words whose tags agree. It also scores both against the gold tags (seqeval
micro F1), and checks that loading the model without ``trust_remote_code`` fails.
Both read each test sentence alone (pre-split words are one sentence to the pipeline), so a
model trained with document context is compared without it here; its context on raw text,
where the pipeline reads a text's neighbouring sentences as nerkit does, is checked by
tests/modeling/test_portable.py.

``--precision`` goes to both (default ``auto``: each uses the model's own option, bf16 where
the CPU computes it natively); ``fp32`` compares exact arithmetic. A model saved by an older
nerkit must be upgraded first (``nerkit upgrade --model DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def tag_with_transformers(directory: str, sentences: list[list[str]], precision: str | None, batch_size: int):
    """Per sentence, the tag of every word from the transformers pipeline (aggregation ``none``, no label ignored)."""
    from transformers import pipeline

    options = {"precision": precision} if precision else {}
    ner = pipeline("token-classification", model=directory, trust_remote_code=True, **options)
    results = ner(
        sentences, is_split_into_words=True, aggregation_strategy="none", ignore_labels=[], batch_size=batch_size
    )
    return [[entry["entity"] for entry in sorted(words, key=lambda e: e["index"])] for words in results]


def fails_without_custom_code(directory: str) -> str:
    from transformers import AutoModelForTokenClassification

    try:
        AutoModelForTokenClassification.from_pretrained(directory)
    except ValueError as exc:
        return "fails: " + " ".join(str(exc).split())[-90:]
    return "LOADS (the custom code was not required)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="runs/wikigold")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default=None)
    parser.add_argument("--batch-size", type=int, default=1, help="windows per call of the transformers pipeline")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_MODULES_CACHE", tempfile.mkdtemp(prefix="hf-modules-"))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    import nerkit
    from nerkit.evaluation.scores import score
    from nerkit.labels import convert_scheme

    model = nerkit.load_model(args.model)
    config = model.train_config
    data = nerkit.load(config.get("data", "wikigold"))
    _, test = nerkit.split(
        data,
        test_fraction=config.get("test_fraction", 0.5),
        seed=config.get("seed", 100),
        by=config.get("split_by", "sentence"),
    )
    options = {"precision": args.precision} if args.precision else {}
    started = time.perf_counter()
    mine = nerkit.predict(model, test.sentences, **options).tags
    nerkit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    theirs = tag_with_transformers(args.model, test.sentences, args.precision, args.batch_size)
    hf_seconds = time.perf_counter() - started
    if model.label_scheme != model.output_scheme:  # the pipeline's "none" entries are the model's classes
        theirs = [convert_scheme(t, model.output_scheme) for t in theirs]
    words = sum(len(s) for s in mine)
    same = sum(a == b for s, t in zip(mine, theirs) for a, b in zip(s, t))
    figures = {
        "model": args.model,
        "data": f"{test.name} test side ({len(test)} sentences), split {config.get('test_fraction', 0.5)} by "
        f"{config.get('split_by', 'sentence')}, seed {config.get('seed', 100)}",
        "precision": args.precision or "the model's own (auto)",
        "words": words,
        "same_tags": same,
        "parity": same / words,
        "sentences_identical": sum(s == t for s, t in zip(mine, theirs)),
        "f1_nerkit": score(test.labels, mine).f1,
        "f1_transformers": score(test.labels, theirs).f1,
        "seconds_nerkit": round(nerkit_seconds, 1),
        "seconds_transformers": round(hf_seconds, 1),
        "without_trust_remote_code": fails_without_custom_code(args.model),
    }
    for key, value in figures.items():
        print(f"{key:>26}: {value}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 0 if same == words else 1


if __name__ == "__main__":
    sys.exit(main())
