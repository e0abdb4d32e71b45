"""nerkit.cli: the CLI end to end with the tiny model, and every bad input's one-line error (exit 2)."""

import json

import pytest

from cli_errors import error_line
from nerkit.cli import main


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory, tiny_model_dir, tiny_conll):
    out = tmp_path_factory.mktemp("cli") / "model"
    code = main(
        [
            "train",
            "--data",
            str(tiny_conll),
            "--test-fraction",
            "0.25",
            "--model",
            str(tiny_model_dir),
            "--epochs",
            "2",
            "--max-len",
            "32",
            "--output",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    return out


def test_train_saves_model_and_test_report(trained_dir, capsys):
    assert (trained_dir / "model.safetensors").exists() and (trained_dir / "nerkit.json").exists()
    report = json.loads((trained_dir / "test_report.json").read_text())
    assert {"f1", "precision", "recall", "per_type"} <= report.keys()


def test_evaluate_json(trained_dir, tiny_conll, capsys):
    assert main(["evaluate", "--model", str(trained_dir), "--data", str(tiny_conll), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"f1", "precision", "recall", "per_type"} <= out.keys()
    assert out["mode"] == "default"


def test_evaluate_table_names_the_mode(trained_dir, tiny_conll, capsys):
    assert main(["evaluate", "--model", str(trained_dir), "--data", str(tiny_conll), "--mode", "strict"]) == 0
    assert "strict mode" in capsys.readouterr().out


def test_predict_lines_to_conll(trained_dir, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Obama visited Paris .\nGoogle is in London .\n")
    out = tmp_path / "out.conll"
    assert main(["predict", "--model", str(trained_dir), "--input", str(src), "--output", str(out)]) == 0
    blocks = out.read_text().strip().split("\n\n")
    assert len(blocks) == 2
    assert [line.split()[0] for line in blocks[0].splitlines()] == ["Obama", "visited", "Paris", "."]
    assert all(len(line.split()) == 2 for b in blocks for line in b.splitlines())


def test_predict_without_output_writes_conll_to_stdout(trained_dir, tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("Obama visited Paris .\n")
    out = tmp_path / "out.conll"
    assert main(["predict", "--model", str(trained_dir), "--input", str(src), "--output", str(out)]) == 0
    capsys.readouterr()
    assert main(["predict", "--model", str(trained_dir), "--input", str(src)]) == 0
    assert capsys.readouterr().out == out.read_text()


def test_predict_conll_input_keeps_documents(trained_dir, tiny_conll, tmp_path):
    out = tmp_path / "out.conll"
    assert main(["predict", "--model", str(trained_dir), "--input", str(tiny_conll), "--output", str(out)]) == 0
    assert out.read_text().count("-DOCSTART-") == 2


def test_missing_data_file(capsys, tmp_path):
    err = error_line(capsys, ["train", "--data", str(tmp_path / "nope.conll"), "--output", str(tmp_path / "m")])
    assert "nope.conll" in err


def test_empty_data_file(capsys, tmp_path):
    (tmp_path / "empty.conll").write_text("")
    err = error_line(capsys, ["train", "--data", str(tmp_path / "empty.conll"), "--output", str(tmp_path / "m")])
    assert "empty" in err


def test_line_without_tag_column(capsys, tmp_path):
    (tmp_path / "bad.conll").write_text("Paris I-LOC\nis\n")
    err = error_line(capsys, ["train", "--data", str(tmp_path / "bad.conll"), "--output", str(tmp_path / "m")])
    assert "line 2" in err


def test_test_fraction_out_of_range(capsys, tmp_path):
    # TrainJob checks it now (not argparse): main returns 2 with one line, no SystemExit.
    err = error_line(capsys, ["train", "--data", "wikigold", "--test-fraction", "1.5", "--output", str(tmp_path / "m")])
    assert "between 0 and 1" in err


def test_max_len_below_8(capsys, tmp_path, tiny_conll, tiny_model_dir):
    err = error_line(
        capsys,
        [
            "train",
            "--data",
            str(tiny_conll),
            "--model",
            str(tiny_model_dir),
            "--max-len",
            "4",
            "--output",
            str(tmp_path / "m"),
            "--no-progress",
        ],
    )
    assert "at least 8" in err


def test_output_holding_a_model_is_not_overwritten(capsys, trained_dir, tiny_conll, tiny_model_dir):
    before = (trained_dir / "model.safetensors").read_bytes()
    err = error_line(
        capsys, ["train", "--data", str(tiny_conll), "--model", str(tiny_model_dir), "--output", str(trained_dir)]
    )
    assert "--overwrite" in err
    assert (trained_dir / "model.safetensors").read_bytes() == before


def test_model_dir_missing(capsys, tmp_path, tiny_conll):
    err = error_line(capsys, ["evaluate", "--model", str(tmp_path / "none"), "--data", str(tiny_conll)])
    assert "does not exist" in err


def test_data_with_other_labels_than_the_model(capsys, trained_dir, tmp_path):
    (tmp_path / "other.conll").write_text("Paris B-GPE\n")
    err = error_line(capsys, ["evaluate", "--model", str(trained_dir), "--data", str(tmp_path / "other.conll")])
    assert "B-GPE" in err
