"""Where a nerkit training step's time goes on the tiny random BERT of benchmarks/overhead.py.

    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/step_phases.py --repeats 3

Trains one epoch (the recipe split's training half, batch size 16, fp32) with a copy of
``_Run.step`` that reads the clock between its phases: the batch's inputs (the batch itself is
cut ahead, 64 at a time, outside the step: that time is in the epoch's figure only), forward,
backward, the update (clipping and the optimizer: nerkit.training.optimizer.Update), the
scheduler, releasing the gradients, the loss sums. The phases run exactly as in
``nerkit.training.loop`` (one process, so no share or weighting); the clock readings
themselves add a few microseconds. Prints milliseconds per step for each phase, for
``benchmarks/overhead.py``'s arm with the Trainer's model, loss and inputs (``crf=False,
casing=False, freeze_word_embeddings=False, context=0``) and for nerkit's defaults.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nerkit
import nerkit.training.loop as loop

sys.path.insert(0, str(Path(__file__).parent))
from overhead import tiny_model_dir  # noqa: E402

PHASES = ("batch", "forward", "backward", "update", "scheduler", "release", "sums")


def timed_step(clock: dict):
    def step(self, idx, mine, batch, running):
        marks = [time.perf_counter()]
        inputs = batch.model_inputs(self.ner.device, with_labels=True)
        inputs["words"] = max(self.labelled[i] for i in idx)
        marks.append(time.perf_counter())
        out = self.trainer(**inputs)
        marks.append(time.perf_counter())
        out.loss.backward()
        marks.append(time.perf_counter())
        self.update()
        marks.append(time.perf_counter())
        self.scheduler.step()
        marks.append(time.perf_counter())
        for p in self.parameters:
            p.grad = None
        marks.append(time.perf_counter())
        lengths = [self.table.lengths[i] for i in idx]
        running.add(out.loss, 1, sum(lengths), len(idx) * max(lengths))
        marks.append(time.perf_counter())
        for name, a, b in zip(PHASES, marks, marks[1:]):
            clock[name] = clock.get(name, 0.0) + b - a

    return step


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    steps = -(-len(train) // 16)
    options = dict(epochs=1, batch_size=16, progress=False, precision="fp32", device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        folder = str(tiny_model_dir(Path(tmp), nerkit.unique_labels(train)))
        nerkit.fit(nerkit.subsample(train, 0.1, seed=2), folder, **options)  # warm-up
        clock: dict = {}
        loop._Run.step = timed_step(clock)
        for name, arm in [
            ("nerkit-plain", dict(crf=False, casing=False, freeze_word_embeddings=False, context=0)),
            ("nerkit defaults", {}),
        ]:
            for _ in range(args.repeats):
                clock.clear()
                model = nerkit.fit(train, folder, **options, **arm)
                epoch = 1000 * model.history[0]["seconds"] / steps
                parts = ", ".join(f"{k} {1000 * clock[k] / steps:.2f}" for k in PHASES)
                print(f"{name}: {epoch:.2f} ms/step (epoch); {parts}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
