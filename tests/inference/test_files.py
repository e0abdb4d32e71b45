"""nerkit.inference.files: `nerkit predict` on raw-text, JSONL and pre-split files with the tiny
model (moved from the old tests/test_tagger.py)."""

import json

import pytest

from cli_errors import error_line
from nerkit.cli import main
from nerkit.inference.tagger import Tagger


@pytest.fixture(scope="module")
def tagger(trained_tiny):
    return Tagger(trained_tiny)


def _run(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_predict_raw_text_lines_to_jsonl_and_html(capsys, model_dir, tagger, tmp_path):
    texts = ["Barack Obama visited Paris.", "Google opened an office in London."]
    src = tmp_path / "docs.txt"
    src.write_text(f"{texts[0]}\n\n{texts[1]}\n")
    out, page = tmp_path / "out.jsonl", tmp_path / "page.html"
    code, _, err = _run(
        capsys, ["predict", "--model", str(model_dir), "--input", str(src), "--output", str(out), "--html", str(page)]
    )
    assert code == 0, err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [1, 3]  # line numbers; the blank line is skipped
    assert [r["text"] for r in records] == texts
    assert [r["entities"] for r in records] == tagger(texts)
    html = page.read_text()
    n_entities = sum(len(r["entities"]) for r in records)
    assert n_entities and html.count('<mark class="entity"') == n_entities
    assert 'data-label="PER"' in html and "Barack Obama" in html


def test_predict_jsonl_keeps_going_past_bad_lines(capsys, model_dir, tagger, tmp_path):
    src = tmp_path / "docs.jsonl"
    src.write_bytes(
        b'{"id": "a", "text": "Merkel met Obama in Berlin.", "source": "web"}\n'
        b'{"id": "b", "text": \n'
        b"[1, 2]\n"
        b'{"id": "c", "text": "Ob\xe4ma"}\n'
        b'{"id": "d"}\n'
        b'{"text": "Obama visited Paris."}\n'
    )
    code, out, err = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(src)])
    assert code == 1  # finished, but some lines were skipped
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == ["a", 6]
    assert records[0]["source"] == "web"  # other fields are kept
    assert records[0]["entities"] == tagger("Merkel met Obama in Berlin.")
    for line, problem in [(2, "JSON"), (3, "object"), (4, "UTF-8"), (5, '"text"')]:
        assert any(f"line {line} skipped" in x and problem in x for x in err.splitlines()), err
    assert "skipped 4 bad line(s), the first at line 2" in err


def test_predict_guesses_raw_text_and_pre_split_lines(capsys, model_dir, tmp_path):
    raw, split = tmp_path / "raw.txt", tmp_path / "split.txt"
    raw.write_text("Obama visited Paris.\nGoogle is in London, England.\n")
    split.write_text("Obama visited Paris .\nGoogle is in London , England .\n")
    code, out, _ = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(raw)])
    assert code == 0 and [json.loads(line)["text"] for line in out.splitlines()] == raw.read_text().splitlines()
    conll = tmp_path / "out.conll"
    code, _, _ = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(split), "--output", str(conll)])
    assert code == 0 and conll.read_text().splitlines()[0].split()[0] == "Obama"
    assert all(len(line.split()) == 2 for line in conll.read_text().splitlines() if line)  # CoNLL: word TAG


def test_predict_streams_in_bounded_chunks(capsys, model_dir, tmp_path, monkeypatch):
    src = tmp_path / "many.txt"
    src.write_text("".join(f"Obama visited Paris {i}.\n" for i in range(50)))
    sizes = []
    original = Tagger.__call__

    def recording(self, inputs):
        sizes.append(len(inputs))
        return original(self, inputs)

    monkeypatch.setattr(Tagger, "__call__", recording)
    out = tmp_path / "out.jsonl"
    code, _, err = _run(
        capsys,
        [
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(src),
            "--format",
            "text",
            "--batch-size",
            "2",
            "--output",
            str(out),
        ],
    )
    assert code == 0, err
    assert sum(sizes) == 50 and max(sizes) <= 8  # --batch-size 2: chunks of at most 8 documents
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == list(range(1, 51))


def test_predict_lines_with_html(capsys, model_dir, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Obama visited Paris .\n")
    page = tmp_path / "page.html"
    code, _, _ = _run(
        capsys,
        [
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(src),
            "--format",
            "lines",
            "--html",
            str(page),
            "--output",
            str(tmp_path / "out.conll"),
        ],
    )
    assert code == 0 and "Obama" in (tmp_path / "out.conll").read_text()
    assert '<mark class="entity"' in page.read_text()


def test_predict_bad_input_is_one_line_and_exit_2(capsys, model_dir, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    assert "no documents" in error_line(
        capsys, ["predict", "--model", str(model_dir), "--input", str(empty), "--format", "text"]
    )
    assert "--format" in error_line(capsys, ["predict", "--model", str(model_dir), "--input", "-"])
    assert "does not exist" in error_line(
        capsys, ["predict", "--model", str(model_dir), "--input", str(tmp_path / "nope.txt")]
    )
    (tmp_path / "doc.txt").write_text("Obama visited Paris.\n")
    assert "does not exist" in error_line(
        capsys,
        ["predict", "--model", str(tmp_path / "no-model"), "--input", str(tmp_path / "doc.txt"), "--format", "text"],
    )
    assert "--stride" in error_line(
        capsys, ["predict", "--model", str(model_dir), "--input", str(tmp_path / "doc.txt"), "--stride", "-1"]
    )
    assert "--batch-size" in error_line(
        capsys, ["predict", "--model", str(model_dir), "--input", str(tmp_path / "doc.txt"), "--batch-size", "0"]
    )


@pytest.mark.parametrize(
    "content, fmt, problem",
    [
        (b"\x1f\x8b\x08\x00\xff\xfe\n\x9c\xc3\x00\n", "text", "not valid UTF-8"),  # a gzip, say
        (b'{"id": 1}\n{"id": 2}\n', "jsonl", 'has no "text" string'),
        (b"[" * 100_000 + b"]" * 100_000, "label-studio", "nested too deeply"),
    ],
)
def test_input_with_no_readable_line_is_one_line_and_keeps_the_output(
    capsys, model_dir, tmp_path, content, fmt, problem
):
    # Every line skipped used to replace the output with an empty file, exit 1, a line per bad line.
    src, out = tmp_path / "input", tmp_path / "out.jsonl"
    src.write_bytes(content)
    out.write_text("an earlier result\n")
    argv = ["predict", "--model", str(model_dir), "--input", str(src), "--format", fmt, "--output", str(out)]
    err = error_line(capsys, [*argv, "--no-progress"])
    assert "none of its" in err and "line 1: " in err and problem in err and "--format" in err, err
    assert out.read_text() == "an earlier result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input", "out.jsonl"]


def test_bad_lines_before_the_first_good_one_are_still_reported(capsys, model_dir, tmp_path):
    src = tmp_path / "docs.jsonl"
    src.write_bytes(b'{"id": 1}\n{"text": "Obama visited Paris."}\n')
    code, out, err = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(src), "--no-progress"])
    assert code == 1 and [json.loads(line)["id"] for line in out.splitlines()] == [2]
    assert "line 1 skipped" in err and "skipped 1 bad line(s), the first at line 1" in err


def test_a_folder_as_input_is_named_a_folder(capsys, model_dir, tmp_path):
    err = error_line(capsys, ["predict", "--model", str(model_dir), "--input", str(tmp_path)])
    assert f"input {tmp_path} is a folder; pass a file in it" in err


@pytest.mark.parametrize(
    "where, named",
    [
        (dict(output="in.txt"), "--output"),
        (dict(output="out.jsonl", html="in.txt"), "--html"),
        (dict(output="out.jsonl", html="out.jsonl"), "is the --output file"),
    ],
)
def test_an_output_on_the_input_or_on_the_other_output_is_refused(capsys, model_dir, tmp_path, where, named):
    # --output on the input replaced the input with its tags; --html on --output replaced the tags.
    (tmp_path / "in.txt").write_text("Obama visited Paris.\n")
    (tmp_path / "out.jsonl").write_text("an earlier result\n")
    argv = ["predict", "--model", str(model_dir), "--input", str(tmp_path / "in.txt"), "--no-progress"]
    for option, name in where.items():
        argv += [f"--{option}", str(tmp_path / name)]
    err = error_line(capsys, argv)
    assert named in err and ("is the input file" in err or "is the --output file" in err), err
    assert (tmp_path / "in.txt").read_text() == "Obama visited Paris.\n"
    assert (tmp_path / "out.jsonl").read_text() == "an earlier result\n"


def test_a_bad_shard_size_is_refused_even_without_shards(capsys, model_dir, tmp_path):
    # --shard-size 0 was silently ignored when neither --shard-dir nor --nproc was given.
    source = tmp_path / "in.txt"
    source.write_text("Paris is lovely .\n")
    out = tmp_path / "out.conll"
    out.write_text("kept\n")
    argv = ["predict", "--model", str(model_dir), "--input", str(source), "--output", str(out), "--shard-size", "0"]
    assert "--shard-size must be at least 1" in error_line(capsys, argv)
    assert out.read_text() == "kept\n"
