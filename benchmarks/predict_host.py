"""The host's share of prediction: nerkit.predict with a tiny BERT, whose arithmetic is next to nothing.

    OMP_NUM_THREADS=1 python benchmarks/predict_host.py --rounds 3
    OMP_NUM_THREADS=1 PYTHONPATH=<other tree>/src python benchmarks/predict_host.py --rounds 3   # another tree
    OMP_NUM_THREADS=1 python benchmarks/predict_host.py --rounds 3 --copies 1   # each sentence once

On a GPU the model's arithmetic for a batch takes microseconds, so prediction's speed is what
the host does per sentence: tokenizing, building windows, cutting batches, assembling the tags.
This tags wikigold five times over (8,480 sentences, no documents, so no context; ``--copies``
sets how many times: with 1, no sentence repeats, so no word is met again only because its
sentence was) with the
tiny random BERT of benchmarks/overhead.py (CRF, casing, one epoch on 5% of wikigold) and
times the three stages of ``nerkit.inference.predict`` by wrapping them: ``encode`` (the
tokenizer call and the windows), ``_run`` (the batches through the network) and ``_assemble``
(the tags in input order). The word-shape cache, where the tree has one, is emptied before
each round, so each round starts cold. Prints sentences/s and seconds per stage for each round.
``--freeze-gc`` calls ``gc.freeze()`` after the warm-up, as a long-running server could after
loading its model, so Python's cyclic collector no longer walks what torch, transformers and
the model hold every time the windows' lists pile up.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

import nerkit

sys.path.insert(0, str(Path(__file__).parent))
from overhead import tiny_model_dir  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--freeze-gc",
        action="store_true",
        help="gc.freeze() after the warm-up: what is loaded leaves the collector's sight",
    )
    parser.add_argument("--copies", type=int, default=5, help="times wikigold's sentences are tagged in one call")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    predict = importlib.import_module("nerkit.inference.predict")
    casing = importlib.import_module("nerkit.encoding.casing")
    clock: dict[str, float] = {}

    def timed(name, function):
        def wrapper(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                clock[name] = clock.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    for name in ("encode", "_run", "_assemble"):
        setattr(predict, name, timed(name, getattr(predict, name)))
    data = nerkit.load("wikigold")
    sentences = data.sentences * args.copies
    print(f"nerkit from {nerkit.__file__}; {len(sentences)} sentences")
    with tempfile.TemporaryDirectory() as tmp:
        folder = tiny_model_dir(Path(tmp), nerkit.unique_labels(data))
        model = nerkit.fit(
            nerkit.subsample(data, 0.05, seed=1), str(folder), epochs=1, progress=False, precision="fp32"
        )
        nerkit.predict(model, sentences[:500], precision="fp32")  # warm-up
        if args.freeze_gc:
            gc.freeze()
        print(f"objects the cyclic garbage collector tracks: {len(gc.get_objects())}")
        for r in range(args.rounds):
            clock.clear()
            if hasattr(casing.word_shape, "cache_clear"):
                casing.word_shape.cache_clear()
            started = time.perf_counter()
            nerkit.predict(model, sentences, precision="fp32")
            seconds = time.perf_counter() - started
            stages = ", ".join(f"{k.strip('_')} {v:.2f} s" for k, v in clock.items())
            print(f"round {r + 1}: {len(sentences) / seconds:.0f} sentences/s ({seconds:.2f} s: {stages})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
