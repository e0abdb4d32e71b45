"""The ``nerkit`` command: train, evaluate, predict (and more, see ``nerkit --help``).

    nerkit train --data wikigold --output runs/wikigold
    nerkit evaluate --model runs/wikigold --data wikigold --test-fraction 0.5 --seed 100 --json
    nerkit predict --model runs/wikigold --input sentences.txt --output tagged.conll
    nerkit predict --model runs/wikigold --input docs.jsonl --output entities.jsonl --html entities.html
    nerkit serve --model runs/wikigold --port 8000

Bad input ends with one line on stderr naming the problem and the fix, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


# --casing and --crf: "auto" leaves the choice to TrainConfig (None).
_ON_OFF = {"auto": None, "on": True, "off": False}


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
    t.add_argument("--scheme", default=None,
                   help="tag scheme the model learns: IO, IOB1, BIO, BIOES (default: the data's; output is always the data's)")
    t.add_argument("--crf", choices=("auto", "on", "off"), default="auto",
                   help="linear-chain CRF output layer (default: auto, on unless --trailing tag)")
    t.add_argument("--quick", action="store_true", help="a tenth of the data and one epoch, to check the set-up")
    t.add_argument("--output", required=True, help="directory to save the model in")
    t.add_argument("--overwrite", action="store_true", help="replace a model already in --output")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")
    t.add_argument("--nproc", type=int, default=1,
                   help="train in N processes on this machine (DistributedDataParallel; --batch-size is the global batch)")
    t.add_argument("--checkpoint-dir", default=None,
                   help="where checkpoints go (default: OUTPUT.checkpoints; removed once the model is saved)")
    t.add_argument("--checkpoint-every", type=int, default=0,
                   help="checkpoint every K steps too (default: 0, at the end of each epoch only)")
    t.add_argument("--resume", action="store_true", help="continue from the newest checkpoint of a killed run")
    t.add_argument("--keep-checkpoints", action="store_true", help="keep the checkpoints after the model is saved")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="score a saved model on tagged data")
    e.add_argument("--model", required=True, help="a directory written by `nerkit train`")
    _add_data_args(e)
    _add_split_args(e, None)
    e.add_argument("--mode", choices=("default", "strict"), default="default", help="seqeval mode")
    e.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    _add_backend_arg(e)
    e.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="tag a file of sentences or documents")
    p.add_argument("--model", required=True, help="a directory written by `nerkit train`")
    p.add_argument("--input", required=True,
                   help="CoNLL file, one pre-split sentence per line, one raw-text document per line, or JSONL "
                        "({\"id\", \"text\"} per line); '-' reads text or JSONL from stdin")
    p.add_argument("--format", choices=("auto", "conll", "lines", "text", "jsonl"), default="auto",
                   help="input format (default: guess); conll and lines give CoNLL, text and jsonl give JSONL with entities")
    p.add_argument("--output", help="where to write CoNLL or JSONL (default: stdout)")
    p.add_argument("--html", help="also write a web page with the entities highlighted, one colour per type")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--stride", type=int, default=32, help="overlap, in word pieces, of windows over long sentences")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_backend_arg(p)
    p.add_argument("--nproc", type=int, default=1,
                   help="tag in N processes, each writing its own shards, merged in input order (CoNLL or lines input)")
    p.add_argument("--shard-dir", default=None,
                   help="keep finished shards here, so a rerun after a crash skips them (default with --nproc: OUTPUT.shards)")
    p.add_argument("--shard-size", type=int, default=1000, help="sentences per shard (default: 1000)")
    p.set_defaults(func=cmd_predict)
    _add_serve_parser(sub)
    _add_cv_parser(sub)
    _add_report_parser(sub)
    _add_export_parser(sub)
    return parser


def _add_backend_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=("torch", "onnx", "onnx-int8"), default="torch",
                   help="run the model with PyTorch (default) or onnxruntime (a folder written by `nerkit export`)")


def _add_export_parser(sub) -> None:
    x = sub.add_parser("export", help="write an ONNX model (dynamic batch and length) for onnxruntime")
    x.add_argument("--model", required=True, help="a directory written by `nerkit train`")
    x.add_argument("--output", required=True, help="directory for model.onnx, the tokenizer and nerkit.json")
    x.add_argument("--int8", action="store_true", help="also write model.int8.onnx (dynamic int8 quantization)")
    x.add_argument("--overwrite", action="store_true", help="replace an export already in --output")
    x.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    from .export import export_onnx
    from .model import load_model

    ner = load_model(args.model, device="cpu")
    written = export_onnx(ner, args.output, int8=args.int8, overwrite=args.overwrite)
    print(f"wrote {', '.join(str(p) for p in written)}; load with Tagger.load({str(args.output)!r}, backend='onnx')",
          file=sys.stderr)
    return 0


def _add_cv_parser(sub) -> None:
    c = sub.add_parser("cv", help="k-fold cross-validation: mean and std of F1, overall and per type")
    _add_data_args(c)
    c.add_argument("--folds", type=int, default=5, help="number of folds (default: 5)")
    c.add_argument("--by", choices=("document", "sentence"), default="document",
                   help="keep documents whole in folds (default) or split single sentences")
    c.add_argument("--seed", type=int, default=100, help="random seed for the folds and training (default: 100)")
    c.add_argument("--model", default=None, help="hub name, preset, or directory (default: the embedded MiniLM)")
    c.add_argument("--epochs", type=int, default=None)
    c.add_argument("--batch-size", type=int, default=None)
    c.add_argument("--lr", type=float, default=None, help="peak learning rate")
    c.add_argument("--max-len", type=int, default=None, help="word pieces per window (default: the model's limit)")
    c.add_argument("--validation", type=_fraction, default=None,
                   help="carve this fraction of each fold's training side for choosing the best epoch")
    c.add_argument("--patience", type=int, default=None, help="stop after N epochs without better validation F1")
    c.add_argument("--casing", choices=("auto", "on", "off"), default="auto", help="word-shape features (default: auto)")
    c.add_argument("--scheme", default=None, help="tag scheme the model learns: IO, IOB1, BIO, BIOES (default: the data's)")
    c.add_argument("--crf", choices=("auto", "on", "off"), default="auto",
                   help="linear-chain CRF output layer (default: auto, on unless --trailing tag)")
    c.add_argument("--mode", choices=("default", "strict"), default="default", help="seqeval mode")
    c.add_argument("--output", help="write all folds and the summary to this JSON file (updated after each fold)")
    c.add_argument("--no-progress", action="store_true", help="no progress bars")
    c.set_defaults(func=cmd_cv)


def _add_report_parser(sub) -> None:
    r = sub.add_parser("report", help="error analysis: an HTML page with plots and examples")
    r.add_argument("--model", required=True, help="a directory written by `nerkit train`")
    _add_data_args(r)
    _add_split_args(r, None)
    r.add_argument("--mode", choices=("default", "strict"), default="default", help="seqeval mode")
    r.add_argument("--examples", type=int, default=30, help="sentences with errors to show (default: 30)")
    r.add_argument("--output", default=None, help="folder for report.html and its PNGs (default: MODEL/report)")
    r.set_defaults(func=cmd_report)


def _load_data(source: str, tag_column: int):
    from .data import load

    return load(source, tag_column=tag_column)


def _split_for_eval(data, args):
    from .data import split

    if args.test_fraction is None:
        return data
    return split(data, test_fraction=args.test_fraction, seed=args.seed, by=args.split_by)[1]


def cmd_train(args) -> int:
    from . import checkpoint, distributed
    from . import model as model_mod
    from .data import split, subsample, validation_split
    from .train import TrainConfig, fit

    output = Path(args.output)
    if model_mod.holds_model(output) and not args.overwrite:
        raise ConfigError(f"{output} already holds a model; pass --overwrite or choose another --output")
    options = {k: v for k, v in {
        "epochs": 1 if args.quick else args.epochs, "batch_size": args.batch_size, "lr": args.lr,
        "max_len": args.max_len, "trailing": args.trailing, "patience": args.patience, "scheme": args.scheme,
    }.items() if v is not None}
    options.update(casing=_ON_OFF[args.casing], precision=args.precision,
                   seed=args.seed, progress=not args.no_progress, crf=_ON_OFF[args.crf])
    checkpoints = Path(args.checkpoint_dir) if args.checkpoint_dir else output.with_name(output.name + ".checkpoints")
    options.update(checkpoint_dir=str(checkpoints), checkpoint_every=args.checkpoint_every, resume=args.resume)
    config = TrainConfig(**options)  # checks the options before any data or model is loaded
    data = _load_data(args.data, args.tag_column)
    if args.nproc != 1:
        if config.batch_size < args.nproc:
            raise ConfigError(f"--batch-size {config.batch_size} is smaller than --nproc {args.nproc}; the batch is "
                              f"shared between the processes, so use --batch-size {args.nproc} or more")
        # Re-run this very command in N processes; `--nproc 1` last overrides the first.
        return distributed.launch([*args.argv, "--nproc", "1"], args.nproc)
    ctx = distributed.setup(config.device)
    if args.test_data:
        train, test = data, _load_data(args.test_data, args.tag_column)
    else:
        train, test = split(data, test_fraction=args.test_fraction, seed=args.seed, by=args.split_by)
    if args.quick:
        train, test = subsample(train, QUICK_FRACTION, args.seed), subsample(test, QUICK_FRACTION, args.seed)
    validation = None
    if args.validation:
        train, validation = validation_split(train, args.validation, seed=args.seed)
    if ctx.is_main:
        print(f"training on {len(train)} sentences, testing on {len(test)}"
              + (f", validating on {len(validation)}" if validation else "")
              + (f", in {ctx.world_size} processes" if ctx.distributed else ""), file=sys.stderr)
    started = time.perf_counter()
    ner = fit(train, args.model, config=config, validation=validation)
    train_seconds = time.perf_counter() - started
    ner.train_config.update({"data": args.data, "test_fraction": args.test_fraction, "split_by": args.split_by})
    report = distributed.evaluate(ner, test, ctx)  # each process tags its share; all get the same report
    if not ctx.is_main:  # only rank 0 writes
        return 0
    ner.save(output, overwrite=args.overwrite)
    report.extra = {"train_seconds": round(train_seconds, 1), "train_sentences": len(train), "test_sentences": len(test)}
    (output / "test_report.json").write_text(report.to_json() + "\n")
    if not args.keep_checkpoints:  # the saved model supersedes them
        for folder in [*checkpoint.find(checkpoints), *checkpoints.glob(f".{checkpoint.PREFIX}*")]:
            shutil.rmtree(folder, ignore_errors=True)
        if checkpoints.is_dir() and not any(checkpoints.iterdir()):
            checkpoints.rmdir()
    print(report)
    print(f"\ntraining took {train_seconds:.1f} s; model saved to {output}")
    return 0


def cmd_evaluate(args) -> int:
    from .metrics import evaluate
    from .model import load_model

    ner = load_model(args.model, backend=args.backend)
    data = _split_for_eval(_load_data(args.data, args.tag_column), args)
    report = evaluate(ner, data, mode=args.mode)
    print(report.to_json() if args.json else report)
    return 0


def _guess_format(path: Path) -> str:
    from .text import split_words

    with open(path, encoding="utf-8-sig", errors="replace") as f:
        lines = [line.strip() for _, line in zip(range(2000), f)]
    if any(line.startswith("-DOCSTART-") for line in lines):
        return "conll"
    if next((line for line in lines if line), "").startswith("{"):
        return "jsonl"
    filled = [len(line.split()) for line in lines if line]
    blank = len(lines) - len(filled)
    # CoNLL: short lines (a word and maybe tags) with blank lines between sentences, nearly
    # all with the same number of columns (lines of text vary in length).
    columns = max(set(filled), key=filled.count) if filled else 0
    if (filled and blank and sorted(filled)[len(filled) // 2] <= 4 and max(filled) <= 12
            and filled.count(columns) >= 0.9 * len(filled)):
        return "conll"
    # Pre-split sentences are lines that nerkit's own word splitting leaves as they are
    # ("Paris , France ."); anything else ("Paris, France.") is raw text.
    if all([w.text for w in split_words(line)] == line.split() for line in lines[:200] if line):
        return "lines"
    return "text"


def cmd_predict(args) -> int:
    from .data import read_conll, read_text_sentences, write_conll
    from .model import load_model
    from .predict import predict

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.stride < 0:
        raise ConfigError(f"--stride must be 0 or more word pieces, got {args.stride}")
    if args.input == "-":
        if args.format not in ("text", "jsonl"):
            raise ConfigError("reading stdin (--input -) needs --format text or --format jsonl")
        return _predict_documents(args, args.format)
    path = Path(args.input)
    if not path.is_file():
        raise DataError(f"input file {path} does not exist; check the path")
    fmt = args.format if args.format != "auto" else _guess_format(path)
    if fmt in ("text", "jsonl"):
        if args.nproc != 1 or args.shard_dir:
            raise ConfigError(f"--nproc and --shard-dir take CoNLL or one pre-split sentence per line, not {fmt} input; "
                              "split the documents into several files and run one `nerkit predict` per file")
        return _predict_documents(args, fmt)
    data = read_conll(path, tag_column=None) if fmt == "conll" else read_text_sentences(path)
    if args.nproc != 1 or args.shard_dir or os.environ.get("WORLD_SIZE", "1") != "1":
        return _predict_in_shards(args, data, fmt)
    ner = load_model(args.model, backend=args.backend)
    prediction = predict(ner, data.sentences, batch_size=args.batch_size, stride=args.stride)
    target = args.output or sys.stdout
    write_conll(target, data.sentences, prediction.tags, doc_ids=data.doc_ids if fmt == "conll" else None)
    if args.html:
        from .tagger import word_entities

        _write_html(args.html, (word_entities(*x) for x in zip(data.sentences, prediction.tags, prediction.scores)))
    if args.output:
        print(f"tagged {len(data)} sentences into {args.output}", file=sys.stderr)
    return 0


def _predict_in_shards(args, data, fmt: str) -> int:
    """CoNLL out of N processes, each tagging its own shards; a rerun skips finished shards."""
    from . import distributed
    from .data import write_conll
    from .model import load_model

    if args.html:
        raise ConfigError("--html is not available with --nproc or --shard-dir; tag without them for a web page")
    if args.shard_size < 1:
        raise ConfigError(f"--shard-size must be at least 1 sentence, got {args.shard_size}")
    options = {"backend": args.backend, "stride": args.stride}
    if args.nproc != 1:
        if not args.output and not args.shard_dir:
            raise ConfigError("--nproc needs --output (or --shard-dir) for the shards it writes")
        folder = args.shard_dir or f"{args.output}.shards"
        distributed.plan_shards(folder, data.sentences, args.model, args.shard_size, options)  # refuses others' shards
        code = distributed.launch([*args.argv, "--nproc", "1", "--shard-dir", folder], args.nproc)
        if code == 0 and not args.shard_dir:
            distributed.remove_shards(folder)  # a default folder is kept only after a failure, for the rerun
        return code
    if not args.shard_dir:
        raise ConfigError("tagging in several processes needs --shard-dir, a folder all of them can reach")
    # Gloo for the one barrier even when the model runs on a GPU.
    ctx = distributed.setup("cpu")
    plan = distributed.plan_shards(args.shard_dir, data.sentences, args.model, args.shard_size, options)
    ner = load_model(args.model, backend=args.backend)
    done, tags = distributed.run_shards(plan, data.sentences, ctx,
                                        lambda part: _predict_tags(ner, part, args.batch_size, args.stride))
    if not ctx.is_main:
        return 0
    target = args.output or sys.stdout
    write_conll(target, data.sentences, tags, doc_ids=data.doc_ids if fmt == "conll" else None)
    print(f"tagged {len(data)} sentences in {plan.count} shards ({done} finished before)"
          + (f" into {args.output}" if args.output else ""), file=sys.stderr)
    return 0


def _predict_tags(ner, sentences, batch_size: int, stride: int) -> list[list[str]]:
    from .predict import predict

    return predict(ner, sentences, batch_size=batch_size, stride=stride).tags


def _write_html(path: str, documents) -> None:
    from .render import render_html

    Path(path).write_text(render_html(documents), encoding="utf-8")


def _predict_documents(args, fmt: str) -> int:
    """Raw-text or JSONL documents to JSONL with entities, streamed in bounded chunks."""
    from tqdm import tqdm

    from .documents import BadLine, chunks, read_documents, to_json_line
    from .tagger import Tagger

    tagger = Tagger.load(args.model, backend=args.backend, batch_size=args.batch_size, stride=args.stride)
    source = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")
    target = sys.stdout.buffer if not args.output else open(args.output, "wb")
    size = None if args.input == "-" else os.path.getsize(args.input)
    progress = tqdm(total=size, unit="B", unit_scale=True, desc="tagging", disable=args.no_progress or None,
                    file=sys.stderr, dynamic_ncols=True)
    counts = {"documents": 0, "entities": 0, "bad": 0, "first_bad": None}
    page = [] if args.html else None

    def good(items):
        for item in items:
            if isinstance(item, BadLine):
                counts["bad"] += 1
                counts["first_bad"] = counts["first_bad"] or item.line
                if counts["bad"] <= 20:
                    progress.write(f"nerkit predict: line {item.line} skipped: {item.problem}", file=sys.stderr)
            else:
                yield item

    def lines():
        for line in source:
            progress.update(len(line))
            yield line

    try:
        # Bounded chunks: memory stays constant however long the input is.
        for chunk in chunks(good(read_documents(lines(), fmt)), args.batch_size * 4, 1_000_000, size=lambda d: len(d.text)):
            for doc, entities in zip(chunk, tagger([d.text for d in chunk])):
                target.write(to_json_line({**doc.record, "entities": entities}))
                counts["documents"] += 1
                counts["entities"] += len(entities)
                if page is not None:
                    page.append((doc.text, entities))
            target.flush()
    finally:
        progress.close()
        if source is not sys.stdin.buffer:
            source.close()
        if target is not sys.stdout.buffer:
            target.close()
    if not counts["documents"] and not counts["bad"]:
        raise DataError(f"{args.input}: no documents found (the input is empty or blank); write one document per line")
    if page is not None:
        _write_html(args.html, page)
    where = f" into {args.output}" if args.output else ""
    print(f"tagged {counts['documents']} document(s), {counts['entities']} entities{where}", file=sys.stderr)
    if counts["bad"]:
        print(f"nerkit predict: skipped {counts['bad']} bad line(s), the first at line {counts['first_bad']}; "
              "fix them and run again for those documents", file=sys.stderr)
        return 1
    return 0


def cmd_cv(args) -> int:
    from .crossval import cross_validate
    from .train import TrainConfig

    options = {k: v for k, v in {
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "max_len": args.max_len,
        "patience": args.patience, "scheme": args.scheme,
    }.items() if v is not None}
    options.update(casing=_ON_OFF[args.casing], progress=not args.no_progress,
                   crf=_ON_OFF[args.crf])
    TrainConfig(**options)  # checks the options before any data or model is loaded
    data = _load_data(args.data, args.tag_column)
    output = Path(args.output) if args.output else None

    def save(result):
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(result.to_dict(), indent=2) + "\n")

    from .crossval import CrossValidation

    partial = CrossValidation([], n_folds=args.folds, by=args.by, seed=args.seed, mode=args.mode, options=options)

    def on_fold(fold):
        partial.folds.append(fold)
        print(f"fold {fold.fold}/{args.folds}: F1 {fold.report.f1:.4f} ({fold.train_sentences} training sentences, "
              f"{fold.test_sentences} test, {fold.seconds:.0f} s)", file=sys.stderr, flush=True)
        save(partial)

    result = cross_validate(data, folds=args.folds, by=args.by, seed=args.seed, mode=args.mode,
                            validation=args.validation, model=args.model, on_fold=on_fold, **options)
    save(result)
    print(result)
    return 0


def cmd_report(args) -> int:
    from .model import load_model
    from .report import write_report

    ner = load_model(args.model)
    data = _split_for_eval(_load_data(args.data, args.tag_column), args)
    output = Path(args.output) if args.output else Path(args.model) / "report"
    page = write_report(ner, data, output, mode=args.mode, examples=args.examples)
    print(f"wrote {page}")
    return 0


def _add_serve_parser(sub) -> None:
    from .serve import DEFAULT_MAX_CHARS

    s = sub.add_parser("serve", help="an HTTP API (POST /entities) and a web page for a model")
    s.add_argument("--model", required=True, help="a directory written by `nerkit train`")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    s.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS,
                   help=f"most characters per request; larger ones get 413 (default: {DEFAULT_MAX_CHARS:,})")
    s.add_argument("--max-batch", type=int, default=32, help="most texts tagged together (default: 32)")
    s.add_argument("--max-wait-ms", type=float, default=5.0,
                   help="how long a request waits for others to share its batch (default: 5)")
    s.add_argument("--batch-size", type=int, default=64, help="sentences per model call (default: 64)")
    s.add_argument("--access-log", action="store_true", help="log every request")
    _add_backend_arg(s)
    s.set_defaults(func=cmd_serve)


def _listen(host: str, port: int):
    """A bound socket, so a taken port is a one-line error before the model loads."""
    import socket

    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, got {port}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ConfigError(f"cannot resolve --host {host!r} ({exc.strerror}); use e.g. 127.0.0.1") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host} port {port}: {exc.strerror}; choose another --port "
                          "(0 picks a free one) or stop what is using it") from None
    return sock


def cmd_serve(args) -> int:
    from .serve import create_app
    from .tagger import Tagger

    try:
        import uvicorn
    except ImportError:
        raise ConfigError("serving needs FastAPI and uvicorn; run `pip install 'nerkit[serve]'`") from None
    for option, value, least in (("--max-chars", args.max_chars, 1), ("--max-batch", args.max_batch, 1),
                                 ("--batch-size", args.batch_size, 1), ("--max-wait-ms", args.max_wait_ms, 0)):
        if value < least:
            raise ConfigError(f"{option} must be at least {least}, got {value}")
    sock = _listen(args.host, args.port)
    try:
        tagger = Tagger.load(args.model, backend=args.backend, batch_size=args.batch_size)
        app = create_app(tagger, max_chars=args.max_chars, max_texts=args.max_batch, max_wait_ms=args.max_wait_ms)
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"nerkit serve: listening on {args.host}: other machines can reach this API", file=sys.stderr)
        print(f"nerkit serve: http://{shown}:{port}/ (API: POST /entities, docs: /docs); Ctrl+C stops",
              file=sys.stderr, flush=True)
        config = uvicorn.Config(app, log_level="warning", access_log=args.access_log)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0


def _leave_process_group() -> None:
    distributed = sys.modules.get("nerkit.distributed")  # imported by the commands that may run in several processes
    if distributed is not None:
        distributed.teardown()


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # `--nproc N` runs this same command in N processes
    try:
        return args.func(args)
    except NerkitError as exc:
        if os.environ.get("RANK", "0") == "0":  # of several processes, one reports
            print(f"nerkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nerkit {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        _leave_process_group()


if __name__ == "__main__":
    sys.exit(main())
