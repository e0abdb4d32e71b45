"""The ``nerkit`` command: train, evaluate, predict (and more, see ``nerkit --help``).

    nerkit train --data wikigold --output runs/wikigold
    nerkit evaluate --model runs/wikigold --data wikigold --test-fraction 0.5 --seed 100 --json
    nerkit predict --model runs/wikigold --input sentences.txt --output tagged.conll

Bad input ends with one line on stderr naming the problem and the fix, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .errors import ConfigError, DataError, NerkitError

QUICK_FRACTION = 0.1  # the recipe's QUICK_RUN: a tenth of each side, one epoch


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {value}")
    return value


def _add_data_args(p: argparse.ArgumentParser, required: bool = True):
    p.add_argument("--data", required=required, help="'wikigold' (bundled), a CoNLL file path, or a URL")
    p.add_argument("--tag-column", type=int, default=-1, help="column holding the tag (default: last)")


def _add_split_args(p: argparse.ArgumentParser, default_fraction: float | None):
    p.add_argument("--test-fraction", type=_fraction, default=default_fraction,
                   help=f"fraction of sentences held out for testing (default: {default_fraction})")
    p.add_argument("--split-by", choices=("sentence", "document"), default="sentence",
                   help="split whole documents or single sentences at random (the recipe: sentence)")
    p.add_argument("--seed", type=int, default=100, help="random seed for the split and training (default: 100)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nerkit", description="Fine-tune, evaluate and serve BERT-family NER taggers.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train on a data set, save the model, evaluate on the test side")
    _add_data_args(t)
    t.add_argument("--test-data", help="a separate test file (instead of splitting --data)")
    _add_split_args(t, 0.5)
    t.add_argument("--model", default=None, help="hub name, preset, or directory (default: the embedded MiniLM)")
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--batch-size", type=int, default=None)
    t.add_argument("--lr", type=float, default=None, help="peak learning rate")
    t.add_argument("--max-len", type=int, default=None, help="word pieces per window (default: the model's limit)")
    t.add_argument("--validation", type=_fraction, default=None,
                   help="carve this fraction of the training side for choosing the best epoch")
    t.add_argument("--patience", type=int, default=None, help="stop after N epochs without better validation F1")
    t.add_argument("--trailing", choices=("ignore", "tag"), default=None,
                   help="trailing word pieces: ignored in the loss (default) or tagged X like the recipe")
    t.add_argument("--casing", choices=("auto", "on", "off"), default="auto",
                   help="word-shape features for uncased models (default: auto, on for uncased tokenizers)")
    t.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto")
    t.add_argument("--quick", action="store_true", help="a tenth of the data and one epoch, to check the set-up")
    t.add_argument("--output", required=True, help="directory to save the model in")
    t.add_argument("--overwrite", action="store_true", help="replace a model already in --output")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="score a saved model on tagged data")
    e.add_argument("--model", required=True, help="a directory written by `nerkit train`")
    _add_data_args(e)
    _add_split_args(e, None)
    e.add_argument("--mode", choices=("default", "strict"), default="default", help="seqeval mode")
    e.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    e.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="tag a file of sentences")
    p.add_argument("--model", required=True, help="a directory written by `nerkit train`")
    p.add_argument("--input", required=True, help="CoNLL file, or one pre-split sentence per line")
    p.add_argument("--format", choices=("auto", "conll", "lines"), default="auto", help="input format (default: guess)")
    p.add_argument("--output", help="where to write CoNLL (default: stdout)")
    p.add_argument("--batch-size", type=int, default=64)
    p.set_defaults(func=cmd_predict)
    return parser


def _load_data(source: str, tag_column: int):
    from .data import load

    return load(source, tag_column=tag_column)


def _split_for_eval(data, args):
    from .data import split

    if args.test_fraction is None:
        return data
    return split(data, test_fraction=args.test_fraction, seed=args.seed, by=args.split_by)[1]


def cmd_train(args) -> int:
    from . import model as model_mod
    from .data import split, subsample, validation_split
    from .metrics import evaluate
    from .train import TrainConfig, fit

    output = Path(args.output)
    if model_mod.holds_model(output) and not args.overwrite:
        raise ConfigError(f"{output} already holds a model; pass --overwrite or choose another --output")
    options = {k: v for k, v in {
        "epochs": 1 if args.quick else args.epochs, "batch_size": args.batch_size, "lr": args.lr,
        "max_len": args.max_len, "trailing": args.trailing, "patience": args.patience,
    }.items() if v is not None}
    options.update(casing={"auto": None, "on": True, "off": False}[args.casing], precision=args.precision,
                   seed=args.seed, progress=not args.no_progress)
    config = TrainConfig(**options)  # checks the options before any data or model is loaded
    data = _load_data(args.data, args.tag_column)
    if args.test_data:
        train, test = data, _load_data(args.test_data, args.tag_column)
    else:
        train, test = split(data, test_fraction=args.test_fraction, seed=args.seed, by=args.split_by)
    if args.quick:
        train, test = subsample(train, QUICK_FRACTION, args.seed), subsample(test, QUICK_FRACTION, args.seed)
    validation = None
    if args.validation:
        train, validation = validation_split(train, args.validation, seed=args.seed)
    print(f"training on {len(train)} sentences, testing on {len(test)}"
          + (f", validating on {len(validation)}" if validation else ""), file=sys.stderr)
    started = time.perf_counter()
    ner = fit(train, args.model, config=config, validation=validation)
    train_seconds = time.perf_counter() - started
    ner.train_config.update({"data": args.data, "test_fraction": args.test_fraction, "split_by": args.split_by})
    ner.save(output, overwrite=args.overwrite)
    report = evaluate(ner, test)
    report.extra = {"train_seconds": round(train_seconds, 1), "train_sentences": len(train), "test_sentences": len(test)}
    (output / "test_report.json").write_text(report.to_json() + "\n")
    print(report)
    print(f"\ntraining took {train_seconds:.1f} s; model saved to {output}")
    return 0


def cmd_evaluate(args) -> int:
    from .metrics import evaluate
    from .model import load_model

    ner = load_model(args.model)
    data = _split_for_eval(_load_data(args.data, args.tag_column), args)
    report = evaluate(ner, data, mode=args.mode)
    print(report.to_json() if args.json else report)
    return 0


def _guess_format(path: Path) -> str:
    with open(path, encoding="utf-8-sig") as f:
        lines = [line.strip() for _, line in zip(range(2000), f)]
    if any(line.startswith("-DOCSTART-") for line in lines):
        return "conll"
    filled = [len(line.split()) for line in lines if line]
    blank = len(lines) - len(filled)
    # CoNLL: short lines (a word and maybe tags) with blank lines between sentences.
    if filled and blank and sorted(filled)[len(filled) // 2] <= 4 and max(filled) <= 12:
        return "conll"
    return "lines"


def cmd_predict(args) -> int:
    from .data import read_conll, read_text_sentences, write_conll
    from .model import load_model
    from .predict import predict

    path = Path(args.input)
    if not path.is_file():
        raise DataError(f"input file {path} does not exist; check the path")
    fmt = args.format if args.format != "auto" else _guess_format(path)
    data = read_conll(path, tag_column=None) if fmt == "conll" else read_text_sentences(path)
    ner = load_model(args.model)
    prediction = predict(ner, data.sentences, batch_size=args.batch_size)
    target = args.output or "/dev/stdout"
    write_conll(target, data.sentences, prediction.tags, doc_ids=data.doc_ids if fmt == "conll" else None)
    if args.output:
        print(f"tagged {len(data)} sentences into {args.output}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except NerkitError as exc:
        print(f"nerkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nerkit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
