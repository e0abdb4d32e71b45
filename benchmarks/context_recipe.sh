#!/bin/bash
# Issue 14's check on the recipe split: today's defaults ("now", or "frozen" with --freeze-word-embeddings on) and the defaults before issue 14
# ("before": --context 0 --layer-decay 1 --lr 1e-4), trained side by side by `nerkit train --data wikigold`
# on a quiet machine, in the order given (e.g. "now before before now" to balance drift); prints
# F1 (with name consistency, as nerkit train scores it, and without it) and training seconds.
#   bash benchmarks/context_recipe.sh now before before now
set -u
cd "$(dirname "$0")/.."
for arm in "$@"; do
  extra=""
  [ "$arm" = before ] && extra="--context 0 --layer-decay 1 --lr 1e-4"
  [ "$arm" = frozen ] && extra="--freeze-word-embeddings on"   # issue 14, rule 10's option on today's defaults
  out=runs/recipe-$arm
  .venv/bin/nerkit train --data wikigold --output "$out" --overwrite --no-progress $extra > "$out.log" 2>&1
  .venv/bin/python -c "import json; r = json.load(open('$out/test_report.json')); e = r['extra']; \
print(f\"$(date -u +%T) $arm: micro F1 {r['f1']:.4f} (P {r['precision']:.4f}, R {r['recall']:.4f}), \
training {e['train_seconds']} s, {e['train_sentences']} train / {e['test_sentences']} test sentences\")"
  .venv/bin/nerkit evaluate --model "$out" --data wikigold --consistency off 2>/dev/null | grep -m1 -i "micro" | sed "s/^/  $arm without consistency: /"
done
