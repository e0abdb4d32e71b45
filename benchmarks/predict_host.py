"""The host's share of prediction: nerkit.predict with a tiny BERT, whose arithmetic is next to nothing.

    OMP_NUM_THREADS=1 python benchmarks/predict_host.py --rounds 3
    OMP_NUM_THREADS=1 PYTHONPATH=<other tree>/src python benchmarks/predict_host.py --rounds 3   # another tree
    OMP_NUM_THREADS=1 python benchmarks/predict_host.py --rounds 3 --copies 1   # each sentence once
    OMP_NUM_THREADS=1 python benchmarks/predict_host.py --rounds 3 --text        # raw text, documents
    OMP_NUM_THREADS=1 python benchmarks/predict_host.py --rounds 3 --host-only   # no arithmetic at all

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
``--text`` tags wikigold's documents as raw texts instead (``nerkit.Tagger``: words split
from the text, sentences cut, each read with its neighbours as document context since the
model has context, entities with offsets). ``--host-only`` replaces the network's forward by
one that returns zeros, so what is left is the host's work alone (the CRF's Viterbi included,
which a GPU does on the device): the figure to set against the 50 µs a sentence that
20,000 sentences/s leaves. ``--freeze-gc`` calls ``gc.freeze()`` after the warm-up, as a long-running server could after
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
from types import SimpleNamespace

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
    parser.add_argument("--text", action="store_true", help="wikigold's documents as raw texts, through nerkit.Tagger")
    parser.add_argument("--host-only", action="store_true", help="the network returns zeros: the host's work alone")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    predict = importlib.import_module("nerkit.inference.predict")
    casing = importlib.import_module("nerkit.encoding.casing")
    clock: dict[str, float] = {}
    tagged: list[int] = []  # sentences per predict call

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
    encode = predict.encode
    predict.encode = lambda sentences, *a, **k: tagged.append(len(sentences)) or encode(sentences, *a, **k)
    data = nerkit.load("wikigold")
    sentences = data.sentences * args.copies
    documents: dict[int, list[str]] = {}
    for doc, words in zip(data.doc_ids, data.sentences):
        documents.setdefault(doc, []).extend(words)
    texts = [" ".join(words) for words in documents.values()] * args.copies
    what = f"{len(texts)} texts" if args.text else f"{len(sentences)} sentences"
    print(f"nerkit from {nerkit.__file__}; {what}{'; host only' if args.host_only else ''}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = tiny_model_dir(Path(tmp), nerkit.unique_labels(data))
        model = nerkit.fit(
            nerkit.subsample(data, 0.05, seed=1), str(folder), epochs=1, progress=False, precision="fp32"
        )
        nerkit.predict(model, sentences[:500], precision="fp32")  # warm-up
        if args.host_only:
            labels = model.network(
                **nerkit.encoding.collate(predict.encode([["Paris"]], model.tokenizer)[0], model.pad_id).model_inputs(
                    model.device
                )
            ).logits.shape[-1]
            model.network.forward = lambda input_ids, **_: SimpleNamespace(logits=torch.zeros(*input_ids.shape, labels))
        tagger = nerkit.Tagger(model, precision="fp32")
        if args.freeze_gc:
            gc.freeze()
        print(f"objects the cyclic garbage collector tracks: {len(gc.get_objects())}")
        for r in range(args.rounds):
            clock.clear()
            if hasattr(casing.word_shape, "cache_clear"):
                casing.word_shape.cache_clear()
            tagged.clear()
            started = time.perf_counter()
            if args.text:
                tagger.tag_texts(texts)
            else:
                nerkit.predict(model, sentences, precision="fp32")
            seconds = time.perf_counter() - started
            stages = ", ".join(f"{k.strip('_')} {v:.2f} s" for k, v in clock.items())
            n = sum(tagged)
            print(f"round {r + 1}: {n / seconds:.0f} sentences/s, {1e6 * seconds / n:.0f} µs a sentence "
                  f"({n} sentences in {seconds:.2f} s: {stages})", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
