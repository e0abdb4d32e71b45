"""nerkit.data.spanfiles, annotations and formats: the annotation tools' files read into tagged
sentences, the same for every shape; every bad record one error line with the file and the line."""

import json
import warnings

import pytest

from cli_errors import error_line
from nerkit.data import load
from nerkit.data.formats import guess_data_format
from nerkit.data.spanfiles import read_span_file
from nerkit.data.spans import tag_text, text_spans
from nerkit.errors import ConfigError, DataError
from span_docs import DOCS, records, write_records

SHAPES = ["spacy", "spacy-ents", "doccano", "doccano-entities", "label-studio", "label-studio-min"]
FORMAT = {"spacy-ents": "spacy", "doccano-entities": "doccano", "label-studio-min": "label-studio"}


def _documents(ds):
    """The sentences of each document, in order."""
    docs = {}
    for words, tags, doc in zip(ds.sentences, ds.labels, ds.doc_ids):
        docs.setdefault(doc, []).append((words, tags))
    return [docs[d] for d in sorted(docs)]


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_reads_to_the_same_tags_and_gives_the_spans_back(tmp_path, shape):
    path = write_records(tmp_path / f"{shape}.jsonl", shape)
    ds = load(str(path))  # the format is told from the records
    assert ds == read_span_file(path, FORMAT.get(shape, shape))
    documents = _documents(ds)
    assert len(documents) == len(DOCS) and ds.n_documents == len(DOCS)
    for (text, spans), sentences in zip(DOCS, documents):
        assert sentences == tag_text(text, spans)
        assert text_spans(text, sentences) == spans  # the round trip
    assert ds.labels[0] == ["B-PER", "I-PER", "O", "B-LOC", "O"] and ds.sentences[0][-1] == "."


def test_the_format_is_told_by_content_and_extension_or_given(tmp_path):
    plain = write_records(tmp_path / "spans.txt", "doccano")
    assert guess_data_format(plain) == "spans" and load(str(plain)).labels[0][0] == "B-PER"
    assert guess_data_format(tmp_path / "x.conll") == "conll"
    only_text = tmp_path / "texts.jsonl"
    only_text.write_text('{"text": "Paris"}\n')
    with pytest.raises(DataError, match="cannot tell the annotation format.*--data-format"):
        load(str(only_text))
    # Told the format, a record without its span list is named.
    with pytest.raises(DataError, match=r'texts.jsonl line 1: no "spans" or "ents" list'):
        load(str(only_text), data_format="spacy")
    with pytest.raises(ConfigError, match="data_format"):
        load(str(only_text), data_format="brat")
    # The format given wins over the guess: this JSON read as CoNLL has no tag column.
    with pytest.raises(DataError, match="texts.txt line 1: expected a word and a tag"):
        only_text.with_suffix(".txt").write_text('{"text":"Paris"}\n')
        load(str(only_text.with_suffix(".txt")), data_format="conll")


def _task(result, **extra):
    return {"data": {"text": "Obama visited Paris."}, "annotations": [{"result": result, **extra}]}


def _label(start, end, label, text=None, kind="labels"):
    value = {"start": start, "end": end, "labels": [label]} if label else {"start": start, "end": end}
    if text is not None:
        value["text"] = text
    return {"from_name": "label", "to_name": "text", "type": kind, "value": value}


def test_label_studio_reads_the_first_done_annotation_and_skips_unlabelled_tasks(tmp_path):
    tasks = [
        {  # a cancelled annotation, then the one to read; a relation is not an entity
            "data": {"text": "Obama visited Paris."},
            "annotations": [
                {"was_cancelled": True, "result": [_label(0, 5, "LOC")]},
                {"result": [_label(0, 5, "PER", "Obama"), {"type": "relation", "from_id": "a", "to_id": "b"}]},
                {"result": [_label(14, 19, "LOC")]},
            ],
        },
        {"data": {"text": "Not labelled yet."}, "annotations": []},
        {"data": {"text": "Skipped by the annotator."}, "annotations": [{"was_cancelled": True, "result": []}]},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    with pytest.warns(UserWarning, match="skipped 2 record"):
        ds = load(str(path))
    assert ds.sentences == [["Obama", "visited", "Paris", "."]] and ds.labels == [["B-PER", "O", "O", "O"]]


def test_prodigy_rejected_examples_are_skipped(tmp_path):
    path = tmp_path / "prodigy.jsonl"
    lines = [
        {"text": "Obama visited Paris.", "spans": [{"start": 0, "end": 5, "label": "PER"}], "answer": "accept"},
        {"text": "Paris visited Obama.", "spans": [{"start": 0, "end": 5, "label": "PER"}], "answer": "reject"},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load(str(path)).sentences == [["Obama", "visited", "Paris", "."]]


TEXT = "Obama visited Paris."
BAD = [
    # (name, file content, line named, words of the problem)
    ("bad-json.jsonl", '{"text": "Paris", "label": []}\n\n{"text": "Paris", "label": [}\n', 3, "not valid JSON"),
    ("no-text.jsonl", '{"text": "Paris", "label": []}\n{"label": [[0, 5, "LOC"]]}\n', 2, 'no "text" string'),
    ("not-object.jsonl", '{"text": "Paris", "label": []}\n[0, 5, "LOC"]\n', 2, "not an object"),
    ("range.jsonl", json.dumps({"text": TEXT, "label": [[14, 40, "LOC"]]}), 1, "outside the text of 20 characters"),
    ("cut.jsonl", json.dumps({"text": TEXT, "label": [[0, 3, "PER"]]}), 1, "ends inside the word 'Obama'"),
    ("overlap.jsonl", json.dumps({"text": TEXT, "label": [[0, 13, "X"], [6, 19, "Y"]]}), 1, "overlap"),
    ("shape.jsonl", json.dumps({"text": TEXT, "label": [[0, 5]]}), 1, "is not [start, end, type]"),
    ("classes.jsonl", json.dumps({"text": TEXT, "label": ["positive"]}), 1, "is not [start, end, type]"),
    ("spacy.jsonl", json.dumps({"text": TEXT, "spans": [{"start": 0, "end": 5}]}), 1, '"label"'),
    ("spacy-str.jsonl", json.dumps({"text": TEXT, "spans": "Obama"}), 1, "not a list of spans"),
    ("utf8.jsonl", b'{"text": "Paris", "label": []}\n{"text": "Par\xe4s", "label": []}\n', 2, "UTF-8"),
    (
        "multi.json",
        json.dumps([_task([{**_label(0, 5, "PER"), "value": {"start": 0, "end": 5, "labels": ["A", "B"]}}])]),
        1,
        "exactly one label",
    ),
    ("html.json", json.dumps([_task([_label(0, 5, "PER", kind="hypertextlabels")])]), 1, "hypertextlabels"),
    ("moved.json", json.dumps([_task([_label(1, 6, "PER", "Obama")])]), 1, "not 'Obama'"),
    ("notask.json", json.dumps([{"id": 1, "annotations": []}]), 1, 'no "data": {"text"'),
    # A str "result" was read letter by letter and skipped: the task counted as labelled with no entities.
    ("result-str.json", json.dumps([_task("x")]), 1, 'an annotation\'s "result" is not a list of objects'),
    ("result-strs.json", json.dumps([_task(["x"])]), 1, 'an annotation\'s "result" is not a list of objects'),
    (
        "annotations-str.json",
        json.dumps([{"data": {"text": TEXT}, "annotations": "x"}]),
        1,
        '"annotations" is not a list',
    ),
    (
        "notext.json",
        json.dumps([{"id": 1, "label": [{"start": 0, "end": 1, "labels": ["X"]}]}]),
        1,
        'no "text" string, and no "data"',
    ),
    ("unclosed.json", '[\n  {"data": {"text": "Paris"}, "annotations": []},\n', 3, "not closed"),
    # A RecursionError from the array's decoder was a traceback (lines of JSONL already said this).
    ("deep.json", "[" + "[" * 100_000 + "]" * 100_000 + "]", 1, "nested too deeply"),
]


@pytest.mark.parametrize("name, content, line, problem", BAD, ids=[b[0] for b in BAD])
def test_a_bad_record_is_one_line_naming_the_file_and_line(capsys, tmp_path, name, content, line, problem):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    err = error_line(capsys, ["train", "--data", str(path), "--output", str(tmp_path / "m")])
    assert f"{path} line {line}:" in err and problem in err, err


def test_a_task_deep_in_an_export_is_named_by_its_line(capsys, tmp_path):
    tasks = records("label-studio")
    tasks[2]["annotations"][0]["result"][0]["value"]["end"] -= 1  # cuts a word, and no longer matches its text
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, indent=2))
    starts = [n for n, line in enumerate(path.read_text().split("\n"), 1) if line == "  {"]
    err = error_line(capsys, ["train", "--data", str(path), "--output", str(tmp_path / "m")])
    assert f"{path} line {starts[2]}:" in err and "not 'Merkel'" in err


@pytest.mark.parametrize("content", ["", "\n\n", "[]", "[\n]\n"])
def test_an_empty_file_is_named(capsys, tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    err = error_line(
        capsys, ["train", "--data", str(path), "--data-format", "doccano", "--output", str(tmp_path / "m")]
    )
    assert str(path) in err and "no documents found" in err


SPAN_PROBLEMS = [
    ([(14, 40, "LOC")], "outside the text of 20 characters"),
    ([(0, 3, "PER")], "ends inside the word 'Obama'"),
    ([(2, 5, "PER")], "starts inside the word 'Obama'"),
    ([(0, 13, "X"), (6, 19, "Y")], "overlap"),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("spans, problem", SPAN_PROBLEMS, ids=["range", "end", "start", "overlap"])
def test_every_shape_names_a_bad_span_by_file_and_line(capsys, tmp_path, shape, spans, problem):
    docs = [DOCS[0], (TEXT, spans)]  # the bad record is the second
    path = write_records(tmp_path / f"{shape}.jsonl", shape, docs)
    if shape.startswith("label-studio"):  # the value's text would not match either; drop it to reach the span check
        tasks = json.loads(path.read_text())
        regions = (
            tasks[1]["label"] if shape.endswith("min") else [r["value"] for r in tasks[1]["annotations"][0]["result"]]
        )
        for value in regions:
            del value["text"]
        path.write_text(json.dumps(tasks, indent=2))
        line = path.read_text().split("\n").index("  {", 2) + 1
    else:
        line = 2
    err = error_line(capsys, ["train", "--data", str(path), "--output", str(tmp_path / "m")])
    assert f"{path} line {line}:" in err and problem in err, err


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_names_bad_json_and_a_missing_text(capsys, tmp_path, shape):
    good = records(shape, DOCS[:1])[0]
    broken = json.dumps(good)[:-2]
    path = tmp_path / f"{shape}.json"
    path.write_text(f"{json.dumps(good)}\n{broken}\n")  # JSON lines, the second cut short
    err = error_line(capsys, ["train", "--data", str(path), "--output", str(tmp_path / "m")])
    assert f"{path} line 2: not valid JSON" in err
    missing = {k: v for k, v in good.items() if k not in ("text", "data")}
    path.write_text(f"{json.dumps(good)}\n{json.dumps(missing)}\n")
    err = error_line(capsys, ["train", "--data", str(path), "--output", str(tmp_path / "m")])
    assert f"{path} line 2:" in err and ('no "text"' in err or 'no "data": {"text"' in err), err
