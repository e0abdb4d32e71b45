"""Error analysis: categories, confusion matrix, and the HTML page with its PNGs."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_errors import error_line
from nerkit.analysis.error_page import (
    CATEGORIES,
    build_error_page,
    categorise,
    confusion,
    error_counts,
    write_error_page,
)
from nerkit.cli import main
from nerkit.errors import ConfigError, DataError
from nerkit.evaluation.scores import score
from nerkit.labels import spans_to_tags, tags_to_spans

PNG = b"\x89PNG\r\n\x1a\n"


def test_each_kind_of_error():
    gold = [("PER", 0, 2), ("LOC", 3, 4), ("ORG", 5, 7), ("MISC", 8, 9), ("PER", 10, 11)]
    pred = [("PER", 0, 1), ("ORG", 3, 4), ("LOC", 6, 8), ("PER", 10, 11), ("LOC", 12, 13)]
    got = {g or p: c for c, g, p in categorise(gold, pred)}
    assert got == {
        ("PER", 0, 2): "boundary",
        ("LOC", 3, 4): "type",
        ("ORG", 5, 7): "boundary+type",
        ("MISC", 8, 9): "missed",
        ("PER", 10, 11): "correct",
        ("LOC", 12, 13): "spurious",
    }


def test_a_split_entity_is_one_boundary_error_not_a_false_alarm_too():
    assert [c for c, _, _ in categorise([("ORG", 0, 4)], [("ORG", 0, 2), ("ORG", 2, 4)])] == ["boundary"]


def test_counts_agree_with_seqeval():
    gold = [["I-PER", "I-PER", "O", "I-LOC", "O", "I-ORG"], ["I-MISC", "O", "O"]]
    pred = [["I-PER", "O", "O", "I-ORG", "O", "I-ORG"], ["O", "O", "I-PER"]]
    counts = error_counts(gold, pred)
    report = score(gold, pred)
    n_gold = sum(len(tags_to_spans(t)) for t in gold)
    n_pred = sum(len(tags_to_spans(t)) for t in pred)
    assert counts == {"correct": 1, "boundary": 1, "type": 1, "boundary+type": 0, "missed": 1, "spurious": 1}
    assert counts["correct"] / n_gold == pytest.approx(report.recall)
    assert counts["correct"] / n_pred == pytest.approx(report.precision)


spans_strategy = st.lists(
    st.tuples(st.sampled_from(["PER", "LOC", "ORG"]), st.integers(0, 11), st.integers(1, 4)), max_size=5
)


def _tags(raw, n=12):
    spans, used = [], set()
    for t, s, length in raw:
        e = min(n, s + length)
        if not used & set(range(s, e)):
            spans.append((t, s, e))
            used |= set(range(s, e))
    return spans_to_tags(spans, n, "BIO")


@settings(max_examples=150, deadline=None)
@given(spans_strategy, spans_strategy)
def test_every_gold_entity_gets_one_category_and_correct_matches_seqeval(g, p):
    gold, pred = _tags(g), _tags(p)
    cats = categorise(tags_to_spans(gold), tags_to_spans(pred))
    assert sum(1 for c, gs, _ in cats if gs is not None) == len(tags_to_spans(gold))
    assert all(c in CATEGORIES for c, _, _ in cats)
    n_correct = sum(1 for c, _, _ in cats if c == "correct")
    true_positives = len(set(tags_to_spans(gold)) & set(tags_to_spans(pred)))
    assert n_correct == true_positives
    names, matrix = confusion([gold], [pred])
    # every gold entity is one row entry; every spurious one is in the (none) row
    assert sum(map(sum, matrix[:-1])) == len(tags_to_spans(gold))
    assert sum(matrix[-1]) == sum(1 for c, _, _ in cats if c == "spurious")


def test_confusion_matrix_rows_are_gold_types():
    names, matrix = confusion([["I-PER", "O", "I-LOC", "O", "O"]], [["I-ORG", "O", "I-LOC", "O", "I-PER"]])
    assert names == ["LOC", "ORG", "PER", "(none)"]
    row = {n: dict(zip(names, r)) for n, r in zip(names, matrix)}
    assert row["PER"]["ORG"] == 1 and row["LOC"]["LOC"] == 1 and row["(none)"]["PER"] == 1
    assert sum(map(sum, matrix)) == 3


def test_mismatched_lengths_are_refused():
    with pytest.raises(DataError, match="sentence 1"):
        error_counts([["O", "I-PER"]], [["O"]])
    with pytest.raises(ConfigError, match="examples"):
        build_error_page([["a"]], [["O"]], [["O"]], "unused", examples=-1)


@pytest.fixture(scope="module")
def page(trained_tiny, tiny_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return write_error_page(trained_tiny, tiny_data, out, examples=5)


def test_page_embeds_every_plot_as_a_real_png(page):
    text = page.read_text()
    images = re.findall(r'<img src="([^"]+)"', text)
    assert set(images) == {"per_type.png", "confusion.png", "errors.png", "learning_curve.png"}
    for name in images:
        data = (page.parent / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 2000


def test_page_names_the_mode_and_matches_the_scores(page, trained_tiny, tiny_data):
    import nerkit

    text = page.read_text()
    report = nerkit.evaluate(trained_tiny, tiny_data)
    assert "default mode" in text and f"{report.f1:.4f}" in text
    summary = json.loads((page.parent / "summary.json").read_text())
    assert summary["report"]["f1"] == pytest.approx(report.f1)
    assert summary["errors"]["correct"] + summary["errors"]["missed"] <= report.support
    assert len(summary["history"]) == len(trained_tiny.history)


def test_examples_show_gold_and_prediction_side_by_side(tmp_path):
    sentences = [["Obama", "visited", "Paris"], ["Fine", "day"], ["Google", "is", "big"]]
    gold = [["I-PER", "O", "I-LOC"], ["O", "O"], ["I-ORG", "O", "O"]]
    pred = [["I-PER", "O", "I-ORG"], ["O", "O"], ["O", "O", "O"]]
    page = build_error_page(sentences, gold, pred, tmp_path, examples=10)
    text = page.read_text()
    rows = re.findall(
        r"<tr><td>(\d+)</td><td>([^<]*)</td><td class='text'>(.*?)</td><td class='text'>(.*?)</td></tr>", text
    )
    assert [r[0] for r in rows] == ["1", "3"]  # sentence 2 has no error
    assert rows[0][1] == "type 1" and rows[1][1] == "missed 1"
    assert 'data-label="LOC"' in rows[0][2] and 'data-label="ORG"' in rows[0][3]
    assert "<mark" not in rows[1][3]


def test_learning_curve_uses_validation_f1_when_there_is_one(tmp_path):
    history = [{"epoch": 1, "loss": 0.9, "val_f1": 0.4}, {"epoch": 2, "loss": 0.5, "val_f1": 0.6}]
    build_error_page([["Paris"]], [["I-LOC"]], [["I-LOC"]], tmp_path, history=history)
    assert (tmp_path / "learning_curve.png").read_bytes().startswith(PNG)
    assert json.loads((tmp_path / "summary.json").read_text())["history"] == history


def test_cli_report(trained_tiny, tiny_conll, tmp_path, capsys):
    model_dir = tmp_path / "model"
    trained_tiny.save(model_dir)
    assert main(["report", "--model", str(model_dir), "--data", str(tiny_conll), "--examples", "3"]) == 0
    assert "report.html" in capsys.readouterr().out
    assert (model_dir / "report" / "report.html").exists() and (model_dir / "report" / "confusion.png").exists()
    out = tmp_path / "elsewhere"
    assert (
        main(
            [
                "report",
                "--model",
                str(model_dir),
                "--data",
                str(tiny_conll),
                "--test-fraction",
                "0.5",
                "--split-by",
                "document",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    assert (
        summary["report"]["support"]
        < json.loads((model_dir / "report" / "summary.json").read_text())["report"]["support"]
    )


def test_cli_report_bad_inputs(trained_tiny, tiny_conll, tmp_path, capsys):
    err = error_line(capsys, ["report", "--model", str(tmp_path / "none"), "--data", str(tiny_conll)])
    assert "does not exist" in err
    model_dir = tmp_path / "model"
    trained_tiny.save(model_dir)
    err = error_line(capsys, ["report", "--model", str(model_dir), "--data", str(tiny_conll), "--examples", "-1"])
    assert "--examples" in err
    (tmp_path / "other.conll").write_text("Paris B-GPE\n")
    err = error_line(capsys, ["report", "--model", str(model_dir), "--data", str(tmp_path / "other.conll")])
    assert "B-GPE" in err
