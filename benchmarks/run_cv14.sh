#!/bin/bash
# Issue 14's cross-validations as they ran (RESULTS.md): arms one after another, folds 1-5 each,
# one torch thread pinned to core 0, from a frozen copy of src/ (SNAP) so edits made meanwhile
# stay out of the run; results go to OUT (copied to benchmarks/results/ when done).
#   [FOLDS="2 3"] [CORE=1] bash benchmarks/run_cv14.sh SNAP OUT ARM [ARM ...]
set -u
cd "$(dirname "$0")/.."
snap=$1; out=$2; shift 2
mkdir -p "$out"
for arm in "$@"; do
  for k in ${FOLDS:-1 2 3 4 5}; do
    echo "$(date -u +%T) $arm fold $k start"
    OMP_NUM_THREADS=1 PYTHONPATH=$snap taskset -c ${CORE:-0} .venv/bin/python $snap/accuracy.py cv --arm "$arm" --fold $k \
      --threads 1 --results "$out" > "$out/$arm-$k.log" 2>&1
    echo "$(date -u +%T) $arm fold $k done rc=$? $(tail -1 "$out/$arm-$k.log")"
  done
done
