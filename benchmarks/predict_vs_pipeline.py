"""A quick side-by-side check: nerkit.predict vs transformers' token-classification pipeline.

Same model directory, same first 300 test sentences of the recipe split, one process:
nerkit's batched predict, the pipeline called once per sentence (what most users write),
and the pipeline with batch_size=64.

    flock /tmp/nerkit-cpu.lock python benchmarks/predict_vs_pipeline.py [MODEL_DIR]
"""

import sys
import time

from transformers import pipeline

import nerkit

model_dir = sys.argv[1] if len(sys.argv) > 1 else "runs/issue6/default"
train, test = nerkit.split(nerkit.load("wikigold"), 0.5, seed=100)
sents = test.sentences[:300]
m = nerkit.load_model(model_dir)
nerkit.predict(m, sents[:20])  # warm-up
t = time.perf_counter()
nerkit.predict(m, sents)
tn = time.perf_counter() - t
pipe = pipeline("token-classification", model=model_dir, device=-1)
texts = [" ".join(s) for s in sents]
pipe(texts[:5])  # warm-up
t = time.perf_counter()
for x in texts:
    pipe(x)
tp = time.perf_counter() - t
t = time.perf_counter()
pipe(texts, batch_size=64)
tb = time.perf_counter() - t
print(f"nerkit {len(sents)/tn:.1f}/s pipeline-default {len(sents)/tp:.1f}/s pipeline-b64 {len(sents)/tb:.1f}/s "
      f"ratio {tp/tn:.2f} {tb/tn:.2f}")
