"""Error analysis: which entities a model gets wrong, and how, as an HTML page with plots.

>>> gold = [("PER", 0, 2), ("LOC", 4, 5), ("ORG", 6, 7), ("MISC", 9, 10)]
>>> pred = [("PER", 0, 1), ("ORG", 4, 5), ("ORG", 6, 7), ("LOC", 11, 12)]
>>> [(c, g, p) for c, g, p in categorise(gold, pred)]        # doctest: +NORMALIZE_WHITESPACE
[('boundary', ('PER', 0, 2), ('PER', 0, 1)), ('type', ('LOC', 4, 5), ('ORG', 4, 5)),
 ('correct', ('ORG', 6, 7), ('ORG', 6, 7)), ('missed', ('MISC', 9, 10), None),
 ('spurious', None, ('LOC', 11, 12))]

Every gold entity falls in exactly one category, judged against the predicted entities
that overlap it (spans are ``(type, start, end)`` over words, end exclusive):

- ``correct``: a predicted entity with the same type and the same words;
- ``type``: one with the same words but another type;
- ``boundary``: one of the same type that overlaps but covers other words;
- ``boundary+type``: only overlapping ones of other types and other words;
- ``missed``: no predicted entity overlaps it.

Every predicted entity that overlaps no gold entity is ``spurious``. (A predicted entity
overlapping a gold one is accounted for by that gold entity's category, so an entity split
in two counts as one boundary error, not as one error and one false alarm.) seqeval's F1
counts a boundary error as both a false negative and a false positive; this breakdown says
which of the two kinds of mistake a model actually makes.

:func:`write_error_page` writes ``report.html`` and its PNGs (per-type bars, entity-type
confusion matrix, error counts, learning curve from ``model.history``) plus examples with
gold and predicted entities side by side. ``nerkit report --model DIR --data ...`` calls it.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..data.dataset import Dataset
from ..errors import ConfigError, DataError
from ..evaluation.scores import MODES, Report, score
from ..inference.predict import predict
from ..labels import tags_to_spans
from ..outputs import check_output_dir, done_with, temp_dir
from ..text.highlight import render_fragment

__all__ = ["CATEGORIES", "categorise", "error_counts", "confusion", "write_error_page", "build_error_page"]

CATEGORIES = ("correct", "boundary", "type", "boundary+type", "missed", "spurious")
ERRORS = CATEGORIES[1:]
EXAMPLES = 30  # sentences with errors shown on the page
NONE = "(none)"  # the confusion matrix's row/column for "no entity"

Span = tuple[str, int, int]


def _overlaps(a: Span, b: Span) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def categorise(gold: Sequence[Span], predicted: Sequence[Span]) -> list[tuple[str, Span | None, Span | None]]:
    """``(category, gold span, predicted span)`` for one sentence; see the module docstring.

    Gold entities come first, in order, each with the predicted entity that decided its
    category (None when missed); then the spurious predicted entities.
    """
    gold, predicted = [tuple(s) for s in gold], [tuple(s) for s in predicted]
    exact = set(gold) & set(predicted)
    out = []
    for g in gold:
        if g in exact:
            out.append(("correct", g, g))
            continue
        near = [p for p in predicted if p not in exact and _overlaps(g, p)]
        same_words = [p for p in near if p[1:] == g[1:]]
        same_type = [p for p in near if p[0] == g[0]]
        if same_words:
            out.append(("type", g, same_words[0]))
        elif same_type:
            out.append(("boundary", g, same_type[0]))
        elif near:
            out.append(("boundary+type", g, near[0]))
        else:
            out.append(("missed", g, None))
    for p in predicted:
        if not any(_overlaps(p, g) for g in gold):
            out.append(("spurious", None, p))
    return out


def _spans(tags: Sequence[Sequence[str]]) -> list[list[Span]]:
    return [tags_to_spans(t) for t in tags]


def _check(gold, predicted) -> None:
    if len(gold) != len(predicted):
        raise DataError(f"{len(gold)} gold sentences but {len(predicted)} predicted ones")
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise DataError(f"sentence {i + 1}: {len(g)} gold tags but {len(p)} predicted ones")


def error_counts(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict[str, int]:
    """How many entities fall in each category, over word-level tag sequences.

    >>> error_counts([["I-PER", "I-PER", "O", "I-LOC"]], [["I-PER", "O", "O", "I-ORG"]])
    {'correct': 0, 'boundary': 1, 'type': 1, 'boundary+type': 0, 'missed': 0, 'spurious': 0}
    """
    _check(gold, predicted)
    counts = Counter(c for g, p in zip(_spans(gold), _spans(predicted)) for c, _, _ in categorise(g, p))
    return {c: counts.get(c, 0) for c in CATEGORIES}


def confusion(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> tuple[list[str], list[list[int]]]:
    """An entity-type confusion matrix: rows are gold types, columns predicted types.

    Each gold entity is paired with the predicted entity that overlaps it most (ties: the
    first), or with ``(none)`` when missed; each predicted entity that overlaps no gold one
    adds to the ``(none)`` row. The matrix is about types: a boundary error of the right
    type sits on the diagonal.

    >>> confusion([["I-PER", "O", "I-LOC"]], [["I-PER", "O", "I-ORG"]])
    (['LOC', 'ORG', 'PER', '(none)'], [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    """
    _check(gold, predicted)
    gold_spans, pred_spans = _spans(gold), _spans(predicted)
    types = sorted({s[0] for spans in gold_spans + pred_spans for s in spans})
    names = types + [NONE]
    index = {t: i for i, t in enumerate(names)}
    matrix = [[0] * len(names) for _ in names]
    for gs, ps in zip(gold_spans, pred_spans):
        for g in gs:
            best, best_overlap = None, 0
            for p in ps:
                overlap = min(g[2], p[2]) - max(g[1], p[1])
                if overlap > best_overlap:
                    best, best_overlap = p, overlap
            matrix[index[g[0]]][index[best[0] if best else NONE]] += 1
        for p in ps:
            if not any(_overlaps(p, g) for g in gs):
                matrix[index[NONE]][index[p[0]]] += 1
    return names, matrix


# --------------------------------------------------------------------------- plots


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("the error-analysis plots need matplotlib; run `pip install 'nerkit[report]'`") from None

    matplotlib.use("Agg")  # no display needed; safe in servers and CI
    import matplotlib.pyplot as plt

    return plt


def plot_per_type(report: Report, path: Path) -> Path:
    plt = _pyplot()
    names = sorted(report.per_type) + ["micro avg"]
    rows = [report.per_type[n] for n in names[:-1]] + [
        {"precision": report.precision, "recall": report.recall, "f1": report.f1}
    ]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    width = 0.26
    for k, key in enumerate(("precision", "recall", "f1")):
        xs = [i + (k - 1) * width for i in range(len(names))]
        bars = ax.bar(xs, [r[key] for r in rows], width, label=key)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("score")
    ax.set_title(f"per-type scores (seqeval {report.mode} mode)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_confusion(names: list[str], matrix: list[list[int]], path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 4.4), dpi=100)
    ax.imshow(matrix, cmap="Blues")
    peak = max((v for row in matrix for v in row), default=0)
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=9, color="white" if v > peak / 2 else "black")
    ax.set_xticks(range(len(names)), names, rotation=30)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted type")
    ax.set_ylabel("gold type")
    ax.set_title("entity types (matched by overlap)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_errors(counts: dict[str, int], path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    bars = ax.bar(
        list(ERRORS), [counts[c] for c in ERRORS], color=["#f2a541", "#d1495b", "#8f2d56", "#577590", "#90be6d"]
    )
    ax.bar_label(bars, fontsize=8, padding=1)
    ax.set_ylabel("entities")
    ax.set_title(f"errors ({counts['correct']} entities correct)")
    ax.margins(y=0.15)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_learning_curve(history: list[dict], path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    if not history:
        ax.text(0.5, 0.5, "no training history saved with this model", ha="center", va="center")
        ax.set_axis_off()
    else:
        epochs = [r["epoch"] for r in history]
        ax.plot(epochs, [r["loss"] for r in history], "o-", color="#1f77b4", label="training loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss", color="#1f77b4")
        ax.set_xticks(epochs)
        if any("val_f1" in r for r in history):
            ax2 = ax.twinx()
            points = [(r["epoch"], r["val_f1"]) for r in history if "val_f1" in r]
            ax2.plot(*zip(*points), "s-", color="#d62728", label="validation F1")
            ax2.set_ylabel("validation F1", color="#d62728")
            ax.set_title("learning curve")
        else:
            ax.set_title("learning curve (trained without a validation set)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- page


def _text_and_offsets(words: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    offsets, position = [], 0
    for w in words:
        offsets.append((position, position + len(w)))
        position += len(w) + 1
    return " ".join(words), offsets


def _entities(spans: Sequence[Span], offsets) -> list[dict]:
    return [{"label": t, "start": offsets[s][0], "end": offsets[e - 1][1]} for t, s, e in spans]


def _examples(sentences, gold, predicted, limit: int) -> list[dict]:
    """Sentences with errors, the most errors first (ties in data order)."""
    found = []
    for i, (words, g, p) in enumerate(zip(sentences, _spans(gold), _spans(predicted))):
        errors = [c for c, _, _ in categorise(g, p) if c != "correct"]
        if errors:
            found.append((-len(errors), i, words, g, p, errors))
    found.sort(key=lambda x: x[:2])
    out = []
    for _, i, words, g, p, errors in found[:limit]:
        text, offsets = _text_and_offsets(words)
        out.append(
            {
                "sentence": i + 1,
                "errors": dict(Counter(errors)),
                "gold": render_fragment(text, _entities(g, offsets)),
                "predicted": render_fragment(text, _entities(p, offsets)),
            }
        )
    return out


_CSS = """
body { margin: 0; background: #f6f7f9; color: #1d2430; font: 15px/1.5 system-ui, sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.note { color: #5b6472; } table { border-collapse: collapse; background: #fff; }
td, th { border: 1px solid #dde1e7; padding: .25rem .6rem; text-align: right; vertical-align: top; }
th { background: #eef0f3; } td.text { text-align: left; line-height: 2; }
.plots { display: flex; flex-wrap: wrap; gap: 1rem; } .plots img { background: #fff; border: 1px solid #dde1e7; }
mark.entity { color: #111; padding: .1em .3em; margin: 0 .1em; border-radius: .3em; }
mark.entity .label { font-size: .65em; font-weight: 700; margin-left: .35em; opacity: .75; }
"""


def _score_table(report: Report) -> str:
    rows = ["<tr><th>type</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"]
    for name, r in sorted(report.per_type.items()):
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{r['precision']:.4f}</td><td>{r['recall']:.4f}</td>"
            f"<td>{r['f1']:.4f}</td><td>{int(r['support'])}</td></tr>"
        )
    rows.append(
        f"<tr><th>micro avg</th><td>{report.precision:.4f}</td><td>{report.recall:.4f}</td>"
        f"<td><b>{report.f1:.4f}</b></td><td>{report.support}</td></tr>"
    )
    rows.append(
        f"<tr><th>macro avg</th><td>{report.macro_precision:.4f}</td><td>{report.macro_recall:.4f}</td>"
        f"<td>{report.macro_f1:.4f}</td><td>{report.support}</td></tr>"
    )
    return "<table>" + "".join(rows) + "</table>"


def build_error_page(
    sentences: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    output,
    history: list[dict] | None = None,
    mode: str = MODES[0],
    examples: int = EXAMPLES,
    title: str = "nerkit error analysis",
    report: Report | None = None,
    note: str | None = None,
) -> Path:
    """Write ``output/report.html``, its PNGs and ``summary.json`` from tags alone (no model needed).

    ``note`` says which sentences were scored (shown on the page, ``scored`` in the summary).
    Everything is written in a temporary folder beside ``output`` first and then moved in file by
    file, so a failure leaves an earlier report whole.
    """
    _check(gold, predicted)
    if len(sentences) != len(gold):
        raise DataError(f"{len(sentences)} sentences but {len(gold)} tag lists")
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 0:
        raise ConfigError(f"--examples must be 0 or more, got {examples}")
    output = check_output_dir(output)
    tmp = temp_dir(output)
    try:
        _write_page(
            tmp, sentences, gold, predicted, history, examples, title, report or score(gold, predicted, mode=mode), note
        )
        output.mkdir(parents=True, exist_ok=True)
        for written in sorted(tmp.iterdir()):
            os.replace(written, output / written.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        done_with(tmp)
    return output / "report.html"


def _write_page(
    output: Path, sentences, gold, predicted, history, examples: int, title: str, report: Report, note
) -> None:
    counts = error_counts(gold, predicted)
    names, matrix = confusion(gold, predicted)
    plots = {
        "per_type.png": plot_per_type(report, output / "per_type.png"),
        "confusion.png": plot_confusion(names, matrix, output / "confusion.png"),
        "errors.png": plot_errors(counts, output / "errors.png"),
        "learning_curve.png": plot_learning_curve(history or [], output / "learning_curve.png"),
    }
    shown = _examples(sentences, gold, predicted, examples)
    summary = {
        "scored": note,
        "report": report.to_dict(),
        "errors": counts,
        "confusion": {"types": names, "matrix": matrix},
        "history": history or [],
        "examples": [{k: e[k] for k in ("sentence", "errors")} for e in shown],
    }
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    n_errors = sum(counts[c] for c in ERRORS)
    example_rows = "".join(
        f"<tr><td>{e['sentence']}</td><td>{html.escape(', '.join(f'{k} {v}' for k, v in e['errors'].items()))}</td>"
        f"<td class='text'>{e['gold']}</td><td class='text'>{e['predicted']}</td></tr>"
        for e in shown
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="nerkit">
<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><main>
<h1>{html.escape(title)}</h1>
<p class="note">{len(sentences)} sentences, {report.support} gold entities; entity-level scores by seqeval,
<b>{report.mode} mode</b>, {html.escape(report.scheme)} tags, scored on words.</p>
{f'<p class="note">{html.escape(note)}</p>' if note else ""}
{_score_table(report)}
<h2>Plots</h2>
<div class="plots">{"".join(f'<img src="{name}" alt="{name[:-4]}">' for name in plots)}</div>
<h2>Errors by kind ({n_errors})</h2>
<p class="note">Each gold entity is <i>correct</i>, a <i>type</i> error (right words, wrong type), a
<i>boundary</i> error (right type, overlapping but other words), <i>boundary+type</i> (both) or
<i>missed</i> (nothing overlaps it); a predicted entity that overlaps no gold one is <i>spurious</i>.</p>
<table><tr>{"".join(f"<th>{c}</th>" for c in CATEGORIES)}</tr><tr>{"".join(f"<td>{counts[c]}</td>" for c in CATEGORIES)}</tr></table>
<h2>Examples ({len(shown)} sentences with errors, most errors first)</h2>
<table><tr><th>#</th><th>errors</th><th>gold</th><th>predicted</th></tr>{example_rows}</table>
</main></body></html>
"""
    (output / "report.html").write_text(page, encoding="utf-8")


def write_error_page(
    model, data: Dataset, output, mode: str = MODES[0], examples: int = EXAMPLES, note: str | None = None, **options
) -> Path:
    """Predict ``data`` with ``model`` and write the error-analysis page to ``output``.

    ``note`` says which sentences ``data`` is (:func:`nerkit.evaluation.heldout.held_out` describes them).

    ``options`` are :class:`~nerkit.modeling.options.InferenceOptions` fields for :func:`nerkit.predict`.
    """
    if data.labels is None:
        raise DataError(f"{data.name or 'the data'} has no tags to analyse; give a file with a tag column")
    prediction = predict(model, data, **options)
    report = score(data.labels, prediction.tags, mode=mode, loss=prediction.loss)
    return build_error_page(
        data.sentences,
        data.labels,
        prediction.tags,
        output,
        history=model.history,
        mode=mode,
        examples=examples,
        title=f"nerkit error analysis: {data.name or 'data'}",
        report=report,
        note=note,
    )
