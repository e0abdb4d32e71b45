"""Per-step overhead: one epoch of a tiny random BERT, nerkit vs the HF Trainer, side by side.

    OMP_NUM_THREADS=1 python benchmarks/overhead.py --repeats 3 --out benchmarks/results/overhead.json

The model is a randomly initialised BERT so small (hidden 16, one layer, the embedded
MiniLM's tokenizer and vocabulary) that its arithmetic is negligible: what is timed is
what each library does around the model on every step (batching, copies, the optimizer,
the scheduler, logging, synchronisation). Both train one epoch on the same sentences (the
recipe split's training half: wikigold, 50/50, seed 100) at the same batch size, so both
take the same number of optimizer steps; neither evaluates nor saves.

- ``nerkit-plain``: ``nerkit.fit`` with the HF Trainer's very model, loss and inputs (``crf=False``,
  ``casing=False``: a token classifier with cross-entropy on first pieces; ``freeze_word_embeddings=False``:
  every weight trained, as the Trainer does; ``context=0``: sentences alone, without the
  document context nerkit adds by default), its other defaults (length-grouped batches, gradient
  clipping at 1.0, linear warm-up, fused AdamW), ``precision`` as given (default fp32), no
  progress bar. Its steps/s is steps / the epoch's seconds (``model.history``: the epoch's loop,
  batches included).
- ``nerkit``: the same with nerkit's full defaults (CRF, casing features, document context, frozen
  word embeddings): other arithmetic per step than ``hf`` (the CRF's likelihood, a forward-backward
  pass over each window's words, and up to 32 pieces of context added; the word-piece table's
  gradient and update skipped), shown for what a default run costs.
- ``hf``: ``transformers.Trainer`` + ``DataCollatorForTokenClassification``, labels on first
  pieces (-100 elsewhere), ``save_strategy="no"``, ``logging_strategy="no"``, no tqdm, otherwise
  the Trainer's defaults: random batches, each padded to its longest sentence.
  Its steps/s is steps / ``train_runtime`` (the Trainer's own timing of ``train()``, which also
  covers its set-up: data loader, optimizer, accelerate's preparation). The ratio
  ``plain/hf_epoch_only`` uses steps / the epoch alone (a callback's clock from epoch begin to
  epoch end), the stricter comparison with nerkit's epoch seconds.
- ``hf-grouped``: the same Trainer told to group by length (its own ``LengthGroupedSampler``), so its
  batches hold about as much padding as nerkit's: ``plain/hf_grouped`` is the difference in what
  each does around the same arithmetic, ``plain/hf`` that plus the padding nerkit does not compute.

The arms alternate (nerkit-plain, hf, hf-grouped, nerkit, nerkit-plain, ...) in one process so a slow spell on a shared
machine hits both; the ratio of each round is reported, with the median and the spread.
``--device cuda`` runs both on the GPU (bf16 with ``--precision bf16``). ``--embedded`` trains the
embedded MiniLM (22M parameters, the same random classifier head in every arm) instead of the tiny
BERT: what the per-step savings are worth where the model's arithmetic is real.
"""

from __future__ import annotations

import argparse
import inspect
import json
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch
import transformers

import nerkit

TINY = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)


def tiny_model_dir(folder: Path, tags: list[str]) -> Path:
    """A random tiny BERT token classifier with the embedded model's tokenizer, saved like a hub model."""
    from transformers import AutoTokenizer, BertConfig, BertForTokenClassification

    from nerkit.modeling import embedded_model_dir

    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
    config = BertConfig(vocab_size=tokenizer.vocab_size, max_position_embeddings=512, num_labels=len(tags), **TINY)
    config.id2label, config.label2id = dict(enumerate(tags)), {t: i for i, t in enumerate(tags)}
    torch.manual_seed(0)
    BertForTokenClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def embedded_model_dir(folder: Path, tags: list[str]) -> Path:
    """The embedded MiniLM with a token-classification head for ``tags`` (seeded), saved like a hub model."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from nerkit.modeling import embedded_model_dir as embedded

    labels = dict(id2label=dict(enumerate(tags)), label2id={t: i for i, t in enumerate(tags)})
    torch.manual_seed(0)
    AutoModelForTokenClassification.from_pretrained(embedded(), num_labels=len(tags), **labels).save_pretrained(folder)
    AutoTokenizer.from_pretrained(embedded()).save_pretrained(folder)
    return folder


def run_nerkit(folder: Path, train, args, **options) -> dict:
    started = time.perf_counter()
    model = nerkit.fit(
        train, str(folder), epochs=1, batch_size=args.batch_size, progress=False, precision=args.precision,
        device=args.device, **options,
    )  # fmt: skip
    wall = time.perf_counter() - started
    record = model.history[0]
    steps = -(-len(train) // args.batch_size)
    return {"steps": steps, "loop_seconds": record["seconds"], "wall_seconds": wall, "loss": record["loss"]}


def hf_rows(tokenizer, data, label2id) -> list[dict]:
    enc = tokenizer(data.sentences, is_split_into_words=True, truncation=True)
    rows = []
    for i in range(len(data)):
        labels, previous = [], None
        for w in enc.word_ids(i):
            labels.append(-100 if w is None or w == previous else label2id[data.labels[i][w]])
            previous = w
        rows.append({k: enc[k][i] for k in ("input_ids", "attention_mask", "token_type_ids")} | {"labels": labels})
    return rows


def run_hf(folder: Path, train, args, grouped: bool = False) -> dict:
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
    )

    clock = _clock_callback()()
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForTokenClassification.from_pretrained(folder)
    rows = hf_rows(tokenizer, train, model.config.label2id)
    with tempfile.TemporaryDirectory() as tmp:
        targs = TrainingArguments(
            output_dir=tmp,
            num_train_epochs=1,
            learning_rate=1e-4,
            warmup_steps=0.1,  # transformers 5: a float below 1 is a fraction of the steps
            per_device_train_batch_size=args.batch_size,
            bf16=args.precision == "bf16",
            use_cpu=args.device == "cpu",
            report_to="none",
            save_strategy="no",
            eval_strategy="no",
            logging_strategy="no",
            disable_tqdm=True,
            seed=100,
            **(_grouping() if grouped else {}),
        )
        trainer = Trainer(
            model=model, args=targs, train_dataset=rows, data_collator=DataCollatorForTokenClassification(tokenizer),
            callbacks=[clock],
        )  # fmt: skip
        out = trainer.train()
        epoch = clock.seconds
    wall = time.perf_counter() - started
    return {
        "steps": out.global_step,
        "loop_seconds": out.metrics["train_runtime"],
        "epoch_seconds": epoch,
        "wall_seconds": wall,
        "loss": out.training_loss,
    }


def _grouping() -> dict:
    """The Trainer's own length grouping (its LengthGroupedSampler), under this transformers' name for it."""
    from transformers import TrainingArguments

    if "train_sampling_strategy" in inspect.signature(TrainingArguments).parameters:
        return {"train_sampling_strategy": "group_by_length"}
    return {"group_by_length": True}  # transformers before 5.2x


def _clock_callback():
    from transformers import TrainerCallback

    class EpochClock(TrainerCallback):
        seconds = None

        def on_epoch_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_epoch_end(self, args, state, control, **kwargs):
            self.seconds = time.perf_counter() - self.started

    return EpochClock


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the training half (quick runs)")
    parser.add_argument("--copies", type=int, default=1, help="the training half repeated: a longer epoch, less noise")
    parser.add_argument("--embedded", action="store_true", help="the embedded MiniLM instead of the tiny BERT")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    train, _ = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
    if args.fraction < 1:
        train = nerkit.subsample(train, args.fraction, seed=1)
    if args.copies > 1:
        train = nerkit.Dataset(train.sentences * args.copies, train.labels * args.copies, name=train.name)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = (embedded_model_dir if args.embedded else tiny_model_dir)(Path(tmp), nerkit.unique_labels(train))
        run_nerkit(folder, nerkit.subsample(train, 0.1, seed=2), args)  # warm-up: imports, first calls
        for r in range(args.repeats):
            arms = {
                # The Trainer's arithmetic: its model and loss, every weight trained.
                "nerkit-plain": run_nerkit(
                    folder, train, args, crf=False, casing=False, freeze_word_embeddings=False, context=0
                ),
                "hf": run_hf(folder, train, args),
                "hf-grouped": run_hf(folder, train, args, grouped=True),
                "nerkit": run_nerkit(folder, train, args),
            }
            assert len({a["steps"] for a in arms.values()}) == 1, arms
            for a in arms.values():
                a["steps_per_s"] = a["steps"] / a["loop_seconds"]
            plain, hf = arms["nerkit-plain"]["steps_per_s"], arms["hf"]["steps_per_s"]
            ratios = {
                "plain/hf": plain / hf,
                "plain/hf_epoch_only": plain / (arms["hf"]["steps"] / arms["hf"]["epoch_seconds"]),
                "plain/hf_grouped": plain / arms["hf-grouped"]["steps_per_s"],
                "defaults/hf": arms["nerkit"]["steps_per_s"] / hf,
            }
            rounds.append(arms | {"ratios": ratios})
            speeds = ", ".join(f"{name} {a['steps_per_s']:.1f}" for name, a in arms.items())
            shown = ", ".join(f"{name} {x:.2f}x" for name, x in ratios.items())
            print(f"round {r + 1} ({arms['hf']['steps']} steps each): steps/s {speeds}; {shown}", flush=True)
    summary = {}
    for name in rounds[0]["ratios"]:
        values = [x["ratios"][name] for x in rounds]
        summary[name] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    result = {
        "command": "python benchmarks/overhead.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}, transformers {transformers.__version__}, device {args.device}",
        "data": f"wikigold recipe split, training half ({len(train)} sentences)",
        "model": "embedded all-MiniLM-L6-v2"
        if args.embedded
        else {"tiny_bert": TINY, "tokenizer": "embedded all-MiniLM-L6-v2"},
        "batch_size": args.batch_size,
        "precision": args.precision,
        "rounds": rounds,
        "ratios": summary,
    }
    for name, x in summary.items():
        print(f"{name}: median {x['median']:.2f}x (min {x['min']:.2f}, max {x['max']:.2f})")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
