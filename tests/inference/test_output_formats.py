"""`nerkit predict --output-format`: the annotation tools' shapes for pre-annotation and CoNLL, each
read back to the Tagger's entities; and the bar: a doccano and a Label Studio file train and round-trip."""

import json

import pytest

from cli_errors import error_line
from nerkit.cli import main
from nerkit.data import read_conll
from nerkit.data.annotations import record_spans
from nerkit.data.spanfiles import json_records, read_span_file
from nerkit.data.spans import tag_text
from nerkit.inference.tagger import Tagger
from span_docs import DOCS, records, write_records

TEXTS = [text for text, _ in DOCS]


@pytest.fixture(scope="module")
def expected(trained_tiny):
    return Tagger(trained_tiny)(TEXTS)


def _predict(model_dir, src, out, *extra):
    code = main(
        ["predict", "--model", str(model_dir), "--input", str(src), "--output", str(out), "--no-progress", *extra]
    )
    assert code == 0
    return out


def _spans(entities):
    return [(e["start"], e["end"], e["label"]) for e in entities]


@pytest.mark.parametrize("fmt", ["spacy", "doccano", "label-studio"])
def test_span_formats_hold_the_taggers_entities_and_read_back_as_data(tmp_path, model_dir, expected, fmt):
    src = tmp_path / "docs.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": t, "source": "web"}) + "\n" for i, t in enumerate(TEXTS)))
    out = _predict(model_dir, src, tmp_path / f"out.{fmt}", "--output-format", fmt)
    written = [record for _, record in json_records(out.read_bytes())]
    if fmt == "label-studio":
        assert json.loads(out.read_text()) == written  # one JSON array, as Label Studio imports
        assert [t["data"] for t in written] == [
            {"id": f"d{i}", "text": t, "source": "web"} for i, t in enumerate(TEXTS)
        ]
        prediction = written[0]["predictions"][0]
        assert prediction["model_version"] == "tiny-model" and prediction["result"][0]["to_name"] == "text"
        as_annotations = [{**t, "annotations": t["predictions"]} for t in written]
        got = [record_spans(t, fmt)[1] for t in as_annotations]
    else:
        assert [r["id"] for r in written] == [f"d{i}" for i in range(len(TEXTS))] and written[0]["source"] == "web"
        got = [record_spans(r, fmt)[1] for r in written]
    assert [sorted(map(tuple, g)) for g in got] == [_spans(e) for e in expected]
    if any(expected) and fmt != "label-studio":  # the output is training data as it is
        ds = read_span_file(out)
        assert ds.sentences[:2] == [words for words, _ in tag_text(*DOCS[0])]


def test_label_studio_tasks_in_keep_their_fields_and_annotations_and_get_predictions(tmp_path, model_dir, expected):
    tasks = records("label-studio")
    tasks[0]["predictions"] = [{"model_version": "old", "result": []}]
    for t in tasks:
        for r in t["annotations"][0]["result"]:
            r["from_name"], r["to_name"] = "ner", "doc"
    src = tmp_path / "export.json"
    src.write_text(json.dumps(tasks, indent=1))
    out = _predict(model_dir, src, tmp_path / "out.json", "--output-format", "label-studio")
    written = json.loads(out.read_text())
    assert [{k: v for k, v in t.items() if k != "predictions"} for t in written] == [
        {k: v for k, v in t.items() if k != "predictions"} for t in tasks
    ]
    assert all(len(t["predictions"]) == 1 for t in written)  # the old prediction is replaced
    results = [t["predictions"][0]["result"] for t in written]
    assert [[(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in rs] for rs in results] == [
        _spans(e) for e in expected
    ]
    assert {(r["from_name"], r["to_name"]) for rs in results for r in rs} == {("ner", "doc")}
    # Without an output format, tasks in give nerkit's JSONL out: the task with its entities.
    out = _predict(model_dir, src, tmp_path / "out.jsonl")
    assert [json.loads(line)["entities"] for line in out.read_text().splitlines()] == expected


def test_documents_to_conll_and_sentences_to_spans(tmp_path, model_dir, expected, trained_tiny):
    src = tmp_path / "docs.txt"
    src.write_text("\n".join(TEXTS) + "\n")
    out = _predict(model_dir, src, tmp_path / "out.conll", "--output-format", "conll")
    ds = read_conll(out)
    assert ds.n_documents == len(TEXTS)
    for doc, entities in zip(range(len(TEXTS)), expected):
        sentences = [(w, t) for w, t, d in zip(ds.sentences, ds.labels, ds.doc_ids) if d == doc]
        assert sentences == tag_text(TEXTS[doc], _spans(entities), trained_tiny.output_scheme)
    # Pre-split sentences to doccano: the text is the words joined by spaces.
    conll = tmp_path / "in.conll"
    conll.write_text("".join(f"{w}\n" for w in ["Obama", "visited", "Paris", "."]) + "\n")
    out = _predict(model_dir, conll, tmp_path / "out.jsonl", "--format", "conll", "--output-format", "doccano")
    record = json.loads(out.read_text())
    assert record["text"] == "Obama visited Paris ." and record["id"] == 1
    assert [tuple(x) for x in record["label"]] == _spans(Tagger(trained_tiny)([["Obama", "visited", "Paris", "."]])[0])


def test_several_processes_write_conll_only(capsys, tmp_path, model_dir):
    src = tmp_path / "in.txt"
    src.write_text("Obama visited Paris .\n")
    err = error_line(capsys, ["predict", "--model", str(model_dir), "--input", str(src), "--output",
                              str(tmp_path / "o"), "--nproc", "2", "--output-format", "doccano"])  # fmt: skip
    assert "CoNLL only" in err and not (tmp_path / "o.shards").exists()


@pytest.mark.parametrize("fmt", ["doccano", "label-studio"])
def test_an_annotation_tools_file_trains_and_round_trips_through_predict(capsys, tmp_path, tiny_model_dir, fmt):
    """The bar: `nerkit train` on a doccano JSONL / a Label Studio export, then `nerkit predict`
    back into the same format gives the trained model's entities, readable as the tool's data."""
    data = write_records(tmp_path / ("train.jsonl" if fmt == "doccano" else "export.json"), fmt)
    model = tmp_path / "model"
    code = main(["train", "--data", str(data), "--test-data", str(data), "--model", str(tiny_model_dir),
                 "--epochs", "40", "--batch-size", "4", "--lr", "5e-3", "--warmup", "0", "--max-len", "32",
                 "--output", str(model), "--no-progress"])  # fmt: skip
    assert code == 0
    assert json.loads((model / "test_report.json").read_text())["f1"] > 0.9  # it learned the spans
    out = _predict(model, data, tmp_path / "predicted", "--output-format", fmt)
    tagger = Tagger.load(model)
    written = [r for _, r in json_records(out.read_bytes())]
    if fmt == "label-studio":
        written = [{**t, "annotations": t["predictions"]} for t in written]
    got = [sorted(map(tuple, record_spans(r, fmt)[1])) for r in written]
    assert got == [_spans(e) for e in tagger(TEXTS)]
    assert sum(g == spans for g, (_, spans) in zip(got, DOCS)) >= 3  # and they are (nearly) the annotations


def test_label_studio_tasks_one_per_line_are_told_apart_from_jsonl(tmp_path, model_dir, expected):
    src = tmp_path / "tasks.jsonl"
    src.write_text("".join(json.dumps({"id": i, "data": {"text": t}}) + "\n" for i, t in enumerate(TEXTS)))
    out = _predict(model_dir, src, tmp_path / "out.json", "--output-format", "label-studio")
    written = json.loads(out.read_text())
    assert [t["id"] for t in written] == list(range(len(TEXTS)))
    got = [[(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in t["predictions"][0]["result"]]
           for t in written]  # fmt: skip
    assert got == [_spans(e) for e in expected]
