"""The ``nerkit`` command: it parses, calls the library and prints; nothing more.

    nerkit train --data wikigold --output runs/wikigold
    nerkit evaluate --model runs/wikigold --data wikigold --test-fraction 0.5 --seed 100 --json
    nerkit predict --model runs/wikigold --input sentences.txt --output tagged.conll
    nerkit predict --model runs/wikigold --input docs.jsonl --output entities.jsonl --html entities.html
    nerkit predict --model runs/wikigold --input docs.jsonl --output entities.jsonl --engine ray --workers 2
    nerkit serve --model runs/wikigold --port 8000

Every command is a library call with the same names: ``train`` is
:func:`nerkit.training.job.run_train_job`, ``evaluate`` is :func:`nerkit.evaluate`, ``predict``
is :func:`nerkit.inference.files.predict_file` (with ``--engine ray``
:func:`nerkit.predict_ray`), ``serve`` is :func:`nerkit.serving.serve`,
``cv`` is :func:`nerkit.analysis.cross_validate`, ``report`` is
:func:`nerkit.analysis.write_error_page`, ``export`` is :func:`nerkit.modeling.export_onnx` and
``upgrade`` is :func:`nerkit.modeling.upgrade.upgrade`.
Flags are made from the dataclasses that own the options (:mod:`nerkit.cli.flags`).
Bad input ends with one line on stderr naming the problem and the fix, and exit status 2.

>>> build_parser().parse_args(["evaluate", "--model", "m", "--data", "wikigold"]).command
'evaluate'
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..analysis.crossval import FoldPlan, cross_validate
from ..analysis.error_page import EXAMPLES, write_error_page
from ..data.conll import TAG_COLUMN
from ..data.documents import INPUT_FORMATS
from ..data.formats import ReadOptions
from ..data.sources import load
from ..data.splits import DEFAULT_SEED, SPLIT_BY
from ..data.writers import OUTPUT_FORMATS
from ..errors import NerkitError, one_line
from ..evaluation.evaluate import evaluate
from ..evaluation.heldout import Side, held_out
from ..evaluation.scores import MODES
from ..inference.files import SHARD_SIZE, predict_file, predict_in_processes
from ..modeling.onnx import export_onnx
from ..modeling.options import InferenceOptions
from ..modeling.store import BACKENDS, load_model
from ..modeling.upgrade import upgrade
from ..outputs import check_output_dir, check_output_file
from ..parallel.group import teardown
from ..scaling.ray_engine import ENGINES, RayOptions, check_engine, predict_ray
from ..serving.app import ServeOptions
from ..serving.server import serve
from ..training.config import TrainConfig
from ..training.job import TrainJob, run_train_job, train_in_processes
from .flags import add_flags, given

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        # One line, like every other bad input, instead of argparse's usage block.
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def _data_flags(p: argparse.ArgumentParser, split_flags: bool = True) -> None:
    p.add_argument("--data", required=True, help=TrainJob.__dataclass_fields__["data"].metadata["flag"].help)
    p.add_argument(
        "--tag-column",
        type=int,
        default=TAG_COLUMN,
        help=f"column holding the tag, from 0 (default: {TAG_COLUMN}, the last)",
    )
    add_flags(p, ReadOptions)
    if split_flags:
        p.add_argument(
            "--all", action="store_true",
            help="score all of --data, even sentences the model was trained on (default: the test side its "
            "training recorded, or all of data it was not trained on)",
        )  # fmt: skip
        p.add_argument(
            "--test-fraction",
            type=float,
            help="score the test side of this split of --data instead (default: recorded)",
        )
        p.add_argument("--split-by", choices=SPLIT_BY, help="how that split is made (default: recorded, or sentence)")
        p.add_argument("--seed", type=int, help=f"random seed of that split (default: recorded, or {DEFAULT_SEED})")


def _model_flags(p: argparse.ArgumentParser, backend: bool = True) -> None:
    p.add_argument("--model", required=True, help="a directory written by `nerkit train`")
    if backend:
        p.add_argument(
            "--backend", choices=BACKENDS, default=BACKENDS[0],
            help="run the model with PyTorch (default) or onnxruntime (a folder written by `nerkit export`)",
        )  # fmt: skip


def _add_train(sub) -> None:
    t = sub.add_parser("train", help="train on a data set, save the model, evaluate on the test side")
    add_flags(t, TrainJob, required=("data", "output"))
    add_flags(t, ReadOptions)
    add_flags(t, TrainConfig)
    t.add_argument(
        "--nproc", type=int, default=1, help="train in N processes on this machine (DDP; --batch-size is global)"
    )
    t.set_defaults(func=cmd_train)


def _add_evaluate(sub) -> None:
    e = sub.add_parser("evaluate", help="score a saved model on tagged data")
    _model_flags(e)
    _data_flags(e)
    e.add_argument("--mode", choices=MODES, default=MODES[0], help=f"seqeval mode (default: {MODES[0]})")
    e.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    add_flags(e, InferenceOptions)
    e.set_defaults(func=cmd_evaluate)


def _add_predict(sub) -> None:
    p = sub.add_parser("predict", help="tag a file of sentences or documents")
    _model_flags(p)
    p.add_argument(
        "--input", required=True,
        help="CoNLL file, one pre-split sentence per line, one raw-text document per line, JSONL "
        "({\"id\", \"text\"} per line) or Label Studio tasks; '-' reads text, JSONL or tasks from stdin",
    )  # fmt: skip
    p.add_argument("--format", choices=INPUT_FORMATS, default="auto", help="input format (default: guess)")
    p.add_argument("--output", help="where to write CoNLL or JSONL (default: stdout)")
    p.add_argument(
        "--output-format", choices=OUTPUT_FORMATS, default="auto",
        help="jsonl (nerkit's), conll, or an annotation tool's spans for pre-annotation: spacy, doccano, "
        "label-studio (default: CoNLL for sentences, JSONL for documents)",
    )  # fmt: skip
    p.add_argument("--html", help="also write a web page with the entities highlighted, one colour per type")
    add_flags(p, InferenceOptions)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--nproc", type=int, default=1, help="tag in N processes (CoNLL or lines input), merged in order")
    p.add_argument("--shard-dir", help="keep finished shards here, so a rerun skips them (default: OUTPUT.shards)")
    p.add_argument("--shard-size", type=int, default=SHARD_SIZE, help=f"sentences per shard (default: {SHARD_SIZE})")
    p.add_argument("--engine", choices=ENGINES, default=ENGINES[0], help="tag here (local) or on Ray (docs/scaling.md)")
    add_flags(p, RayOptions)
    p.set_defaults(func=cmd_predict)


def _add_serve(sub) -> None:
    s = sub.add_parser("serve", help="an HTTP API (POST /entities) and a web page for a model")
    _model_flags(s)
    add_flags(s, ServeOptions)
    add_flags(s, InferenceOptions)
    s.set_defaults(func=cmd_serve)


def _add_cv(sub) -> None:
    c = sub.add_parser("cv", help="k-fold cross-validation: mean and std of F1, overall and per type")
    _data_flags(c, split_flags=False)
    add_flags(c, FoldPlan)
    c.add_argument("--model", default=None, help="hub name, preset, or directory (default: the embedded MiniLM)")
    # One seed (the plan's); no checkpoints, which one folder cannot hold for several folds.
    add_flags(c, TrainConfig, skip=("seed", "checkpoint_dir", "checkpoint_every", "resume"))
    c.add_argument("--output", help="write all folds and the summary to this JSON file (updated after each fold)")
    c.set_defaults(func=cmd_cv)


def _add_report(sub) -> None:
    r = sub.add_parser("report", help="error analysis: an HTML page with plots and examples")
    _model_flags(r, backend=False)
    _data_flags(r)
    r.add_argument("--mode", choices=MODES, default=MODES[0], help=f"seqeval mode (default: {MODES[0]})")
    r.add_argument(
        "--examples", type=int, default=EXAMPLES, help=f"sentences with errors to show (default: {EXAMPLES})"
    )
    r.add_argument("--output", help="folder for report.html and its PNGs (default: MODEL/report)")
    r.set_defaults(func=cmd_report)


def _add_export(sub) -> None:
    x = sub.add_parser("export", help="write an ONNX model (dynamic batch and length) for onnxruntime")
    _model_flags(x, backend=False)
    x.add_argument("--output", required=True, help="directory for model.onnx, the tokenizer and nerkit.json")
    x.add_argument("--int8", action="store_true", help="also write model.int8.onnx (dynamic int8 quantization)")
    x.add_argument("--overwrite", action="store_true", help="replace an export already in --output")
    x.set_defaults(func=cmd_export)


def _add_upgrade(sub) -> None:
    u = sub.add_parser("upgrade", help="save a model again in the current format (transformers custom code, card)")
    u.add_argument("--model", required=True, help="the model directory, rewritten in place")
    u.set_defaults(func=cmd_upgrade)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nerkit", description="Fine-tune, evaluate and serve BERT-family NER taggers.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_add_train, _add_evaluate, _add_predict, _add_serve, _add_cv, _add_report, _add_export, _add_upgrade):
        add(sub)
    return parser


def cmd_train(args) -> int:
    job = TrainJob(**given(args, TrainJob), reading=ReadOptions(**given(args, ReadOptions)))
    config = job.train_config(**given(args, TrainConfig))
    if args.nproc != 1:
        return train_in_processes(args.argv, args.nproc, job, config)
    result = run_train_job(job, config)
    if result.model is not None:
        print(result.report)
        print(f"\ntraining took {result.seconds:.1f} s; model saved to {job.output}")
    return 0


def _scored_side(args, model) -> Side:
    """The sentences of --data to score: the model's recorded test side unless asked otherwise."""
    data = load(args.data, tag_column=args.tag_column, **given(args, ReadOptions))
    side = held_out(model, data, args.all, args.test_fraction, args.seed, args.split_by, source=args.data)
    if side.warning:
        print(f"nerkit {args.command}: warning: {side.warning}", file=sys.stderr)
    return side


def cmd_evaluate(args) -> int:
    overrides = given(args, InferenceOptions)
    InferenceOptions().updated(**overrides)  # checked before any work
    model = load_model(args.model, backend=args.backend)
    side = _scored_side(args, model)
    report = evaluate(model, side.data, mode=args.mode, **overrides)  # the model's own options, but those given
    report.extra.update(scored=side.description, scored_sentences=len(side.data), trained_on=side.trained_on)
    print(report.to_json() if args.json else f"{side.description}\n\n{report}")
    return 0


def cmd_predict(args) -> int:
    options = given(args, InferenceOptions)
    where = dict(output=args.output, fmt=args.format, html=args.html, backend=args.backend,
                 output_format=args.output_format)  # fmt: skip
    check_engine(args.engine, args.nproc, args.shard_dir, given(args, RayOptions))
    if args.engine == "ray":
        tagged = predict_ray(args.model, args.input, **where, progress=not args.no_progress,
                             **given(args, RayOptions), **options)  # fmt: skip
    elif args.nproc != 1:
        return predict_in_processes(args.argv, args.nproc, args.model, args.input, **where,
                                    shard_dir=args.shard_dir, shard_size=args.shard_size, **options)  # fmt: skip
    else:
        tagged = predict_file(args.model, args.input, **where, progress=not args.no_progress,
                              shard_dir=args.shard_dir, shard_size=args.shard_size, **options)  # fmt: skip
    if tagged.summary:
        print(tagged.summary, file=sys.stderr)
    if tagged.warning:
        print(tagged.warning, file=sys.stderr)
        return 1
    return 0


def cmd_serve(args) -> int:
    serve(args.model, ServeOptions(**given(args, ServeOptions)), backend=args.backend, **given(args, InferenceOptions))
    return 0


def cmd_cv(args) -> int:
    plan, options = FoldPlan(**given(args, FoldPlan)), given(args, TrainConfig)
    if args.output:
        check_output_file(args.output)  # before the data is read
    data = load(args.data, tag_column=args.tag_column, **given(args, ReadOptions))

    def on_fold(fold):
        print(f"fold {fold.fold}/{plan.folds}: F1 {fold.report.f1:.4f} ({fold.train_sentences} training sentences, "
              f"{fold.test_sentences} test, {fold.seconds:.0f} s)", file=sys.stderr, flush=True)  # fmt: skip

    print(cross_validate(data, plan, model=args.model, on_fold=on_fold, output=args.output, **options))
    return 0


def cmd_report(args) -> int:
    output = check_output_dir(args.output or Path(args.model) / "report")
    model = load_model(args.model)
    side = _scored_side(args, model)
    print(side.description)
    written = write_error_page(model, side.data, output, mode=args.mode, examples=args.examples, note=side.description)
    print(f"wrote {written}")
    return 0


def cmd_export(args) -> int:
    check_output_dir(args.output)  # before the model is loaded
    written = export_onnx(load_model(args.model, device="cpu"), args.output, int8=args.int8, overwrite=args.overwrite)
    print(
        f"wrote {', '.join(map(str, written))}; load with load_model({args.output!r}, backend='onnx')", file=sys.stderr
    )
    return 0


def cmd_upgrade(args) -> int:
    print(
        f"saved {upgrade(args.model)} again: it now loads in transformers with trust_remote_code=True", file=sys.stderr
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # `--nproc N` runs this same command in N processes
    finished = False
    try:
        code = args.func(args)
        finished = True
        return code
    except NerkitError as exc:
        if os.environ.get("RANK", "0") == "0":  # of several processes, one reports
            print(f"nerkit {args.command}: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nerkit {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        teardown(finished)
