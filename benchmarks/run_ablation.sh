#!/bin/bash
# Issue 5's ablation as it ran (RESULTS.md): for each of the 5 document folds, one locked job
# trains casing-off and crf-off side by side, one torch thread each. Set PYTHONPATH to a
# frozen copy of src/ to keep edits made meanwhile out of the run (the run used runs/ablate/snap).
#   bash benchmarks/run_ablation.sh [LOGDIR]
set -u
cd "$(dirname "$0")/.."
logs=${1:-runs/ablate}
mkdir -p "$logs"
for k in 1 2 3 4 5; do
  flock /tmp/nerkit-cpu.lock bash -c '
    k=$1; logs=$2
    echo "$(date -u +%T) fold $k start"
    python benchmarks/accuracy.py cv --arm casing-off --fold $k --threads 1 > $logs/casing-off-$k.log 2>&1 &
    a=$!
    python benchmarks/accuracy.py cv --arm crf-off --fold $k --threads 1 > $logs/crf-off-$k.log 2>&1 &
    b=$!
    wait $a; ra=$?; wait $b; rb=$?
    echo "$(date -u +%T) fold $k done rc=$ra,$rb"' _ $k "$logs"
done
python benchmarks/accuracy.py ablation casing-off crf-off
