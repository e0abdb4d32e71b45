"""The edges of the CLI: bad output paths and bad data files end in one line and exit 2, nothing written over.

Output paths are checked before anything else: each case below names a model directory
that does not exist, so the output's error coming out proves it was checked first.
"""

from __future__ import annotations

import json

import pytest

from cli_errors import error_line
from nerkit.cli import main


@pytest.fixture()
def places(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "keep.txt").write_text("earlier\n")
    (tmp_path / "file.txt").write_text("earlier\n")
    (tmp_path / "in.txt").write_text("Paris is lovely .\n")
    return tmp_path


def _snapshot(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


BAD_OUTPUTS = {
    "predict --output is a folder": (["predict", "--input", "{in}", "--output", "{folder}"], "is a folder"),
    "predict --output in a missing folder": (
        ["predict", "--input", "{in}", "--output", "{root}/missing/x.conll"],
        "does not exist; create it first",
    ),
    "predict --output under a file": (["predict", "--input", "{in}", "--output", "{file}/x.conll"], "does not exist"),
    "predict --html is a folder": (
        ["predict", "--input", "{in}", "--output", "{root}/x.jsonl", "--html", "{folder}"],
        "--html",
    ),
    "report --output is a file": (["report", "--data", "{in}", "--output", "{file}"], "is a file"),
    "export --output is a file": (["export", "--output", "{file}"], "is a file"),
    "export --output under a file": (["export", "--output", "{file}/onnx"], "is a file, not a folder"),
}


@pytest.mark.parametrize("case", list(BAD_OUTPUTS))
def test_a_bad_output_path_is_one_line_before_any_work(case, places, capsys):
    argv, expected = BAD_OUTPUTS[case]
    names = {"in": places / "in.txt", "folder": places / "folder", "file": places / "file.txt", "root": places}
    argv = [a.format(**names) for a in argv]
    before = _snapshot(places)
    err = error_line(capsys, [*argv[:1], "--model", str(places / "no-such-model"), *argv[1:]])
    assert expected in err and "no-such-model" not in err, err
    assert _snapshot(places) == before


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["train", "--data", "wikigold", "--output", "{file}/model"], "is a file, not a folder"),
        (["train", "--data", "wikigold", "--output", "{file}"], "is a file"),
        (["cv", "--data", "{root}/no-such.conll", "--output", "{root}/missing/cv.json"], "does not exist"),
    ],
)
def test_train_and_cv_check_their_outputs_first(argv, expected, places, capsys):
    names = {"file": places / "file.txt", "root": places}
    before = _snapshot(places)
    err = error_line(capsys, [a.format(**names) for a in argv])
    assert expected in err, err
    assert _snapshot(places) == before


BAD_DATA = {
    "missing file": (lambda p: None, "no such file"),
    "a folder": (lambda p: p.mkdir(), "is a directory"),
    "not UTF-8": (lambda p: p.write_bytes(b"Paris I-LOC\n\xff\xfe O\n"), "not valid utf-8"),
    "empty": (lambda p: p.write_text("\n\n-DOCSTART- O\n\n"), "no sentences found"),
    "no tag column, a huge word": (lambda p: p.write_text("Paris I-LOC\n" + "a" * 2_000_000 + "\n"), "2,000,0"),
    "a tag the model lacks": (lambda p: p.write_text("Paris I-FOOD\n"), "I-FOOD"),
    "a malformed huge tag": (
        lambda p: p.write_text("Paris Z-" + "Q" * 1_000_000 + "\n\nRome O\n\nOslo O\n"),
        "characters)",
    ),
}


@pytest.mark.parametrize(
    "command, case",
    # Training builds a new head for whatever tags the data has: a tag the model lacks is fine there.
    [(c, k) for c in ("evaluate", "report", "train") for k in BAD_DATA if (c, k) != ("train", "a tag the model lacks")],
)
def test_a_bad_data_file_is_one_short_line(case, command, trained_tiny, tmp_path_factory, tmp_path, capsys):
    model = tmp_path_factory.getbasetemp() / "edges-model"
    if not model.exists():
        trained_tiny.save(model)
    data = tmp_path / "data.conll"
    make, expected = BAD_DATA[case]
    make(data)
    argv = {
        "evaluate": ["evaluate", "--model", str(model), "--data", str(data)],
        "report": ["report", "--model", str(model), "--data", str(data), "--output", str(tmp_path / "r")],
        "train": ["train", "--model", str(model), "--data", str(data), "--output", str(tmp_path / "m"), "--epochs", "1"],
    }[command]  # fmt: skip
    err = error_line(capsys, argv)
    assert expected in err and len(err) < 1000, err[:2000]
    assert not (tmp_path / "r").exists() and not (tmp_path / "m").exists()


def test_predict_that_fails_keeps_the_file_it_would_have_replaced(trained_tiny, tmp_path, capsys):
    model = trained_tiny.save(tmp_path / "model")
    out = tmp_path / "entities.jsonl"
    out.write_text('{"id": 1, "entities": []}\n')
    (tmp_path / "blank.txt").write_text("\n   \n\n")
    argv = ["predict", "--model", str(model), "--input", str(tmp_path / "blank.txt"), "--format", "text"]
    err = error_line(capsys, [*argv, "--output", str(out), "--no-progress"])
    assert "no documents found" in err
    assert out.read_text() == '{"id": 1, "entities": []}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blank.txt", "entities.jsonl", "model"]
    (tmp_path / "docs.txt").write_text("Obama visited Paris.\n")
    argv = ["predict", "--model", str(model), "--input", str(tmp_path / "docs.txt"), "--output", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    assert json.loads(out.read_text())["text"] == "Obama visited Paris."
