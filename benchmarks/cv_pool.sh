#!/bin/bash
# How issue 14's later arms ran (RESULTS.md): one worker per core, "bash benchmarks/cv_pool.sh 0 & bash benchmarks/cv_pool.sh 1",
# each taking "SNAP ARM FOLD" lines off runs/cv/tasks.txt and running the same per-fold command as run_cv14.sh.
cd /work/main
core=$1
while true; do
  task=$(flock runs/cv/tasks.lock bash -c 'head -1 runs/cv/tasks.txt; sed -i 1d runs/cv/tasks.txt')
  [ -z "$task" ] && break
  set -- $task
  snap=$1; arm=$2; k=$3
  echo "$(date -u +%T) core $core: $arm fold $k start"
  OMP_NUM_THREADS=1 PYTHONPATH=$snap taskset -c $core .venv/bin/python $snap/accuracy.py cv --arm "$arm" --fold $k \
    --threads 1 --results runs/cv/r14 > "runs/cv/r14/$arm-$k.log" 2>&1
  echo "$(date -u +%T) core $core: $arm fold $k done: $(tail -1 runs/cv/r14/$arm-$k.log)"
done
