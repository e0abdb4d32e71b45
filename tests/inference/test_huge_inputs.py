"""Huge inputs: a line of megabytes without a space is tagged in bounded memory, not gigabytes.

The Rust tokenizer keeps about 70 bytes per character while it normalises one word, so one
50 MB "word" took 3.4 GB; words reach it cut to ``MAX_WORD_CHARS``. The cases run in one
fresh process, whose peak resident memory (``ru_maxrss``) is read after tagging small inputs
and again after the big ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from nerkit.data.documents import MAX_DOCUMENT_CHARS, BadLine, read_documents
from nerkit.text.sentences import MAX_SENTENCE_WORDS, sentence_spans
from nerkit.text.words import split_words

BIG = 4_000_000  # characters: about 280 MB in the tokenizer uncut
BOUND_MB = 120  # the growth allowed for all the big inputs (each is a few copies of 4 MB in Python)
FORMATS = ("lines", "text", "jsonl", "conll")

_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    import nerkit
    from nerkit.inference.files import predict_file

    model_dir, folder = sys.argv[1:3]
    folder = Path(folder)
    model = nerkit.load_model(model_dir)
    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    def run(size):
        out = {}
        for fmt in ("lines", "text", "jsonl"):
            predict_file(model_dir, str(folder / f"{size}.{fmt}"), str(folder / f"{size}.{fmt}.out"), fmt=fmt,
                         progress=False)
        out["support"] = nerkit.evaluate(model, nerkit.load(folder / f"{size}.conll")).support
        return out
    run("small")
    before = peak()
    result = run("big")
    print(json.dumps({"grew": peak() - before, **result}))
    """
)


def _inputs(folder, word: str, size: str) -> None:
    document = word[: MAX_DOCUMENT_CHARS - 100]  # a document may be at most that long (longer ones are refused)
    (folder / f"{size}.lines").write_text(f"Obama visited {word} .\n")
    (folder / f"{size}.text").write_text(f"Obama visited {document} .\n")
    (folder / f"{size}.jsonl").write_text(json.dumps({"id": 1, "text": f"Obama visited {document} ."}) + "\n")
    (folder / f"{size}.conll").write_text(f"Obama I-PER\n{word} O\nParis I-LOC\n")


def test_lines_of_megabytes_without_spaces_are_tagged_in_bounded_memory(trained_tiny, tmp_path):
    model = trained_tiny.save(tmp_path / "model")
    word = "a" * BIG
    _inputs(tmp_path, "Paris", "small")
    _inputs(tmp_path, word, "big")
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(model), str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["grew"] < BOUND_MB, result
    assert result["support"] == 2  # both entities scored, with the huge word between them
    words = [line.split()[0] for line in (tmp_path / "big.lines.out").read_text().splitlines() if line]
    assert words[:2] == ["Obama", "visited"] and len(words[2]) == BIG and words[3] == "."  # written back whole
    for fmt in ("text", "jsonl"):
        record = json.loads((tmp_path / f"big.{fmt}.out").read_text())
        assert len(record["text"]) == MAX_DOCUMENT_CHARS - 100 + len("Obama visited  .")
        for entity in record["entities"]:
            assert record["text"][entity["start"] : entity["end"]] == entity["text"]


def test_a_document_over_the_limit_is_refused_with_the_limit_and_the_others_read():
    lines = [b"Paris.\n", b"a" * (MAX_DOCUMENT_CHARS + 1) + b"\n", b"x" * (5 * MAX_DOCUMENT_CHARS) + b"\n"]
    lines.append(json.dumps({"text": "b " * MAX_DOCUMENT_CHARS}).encode() + b"\n")
    text = list(read_documents(lines[:3], "text"))
    assert text[0].text == "Paris." and all(isinstance(item, BadLine) for item in text[1:])
    assert "1,000,001 characters long, over the limit of 1,000,000" in text[1].problem
    assert "bytes long" in text[2].problem
    assert isinstance(next(iter(read_documents(lines[3:], "jsonl"))), BadLine)


def test_a_run_of_words_without_a_sentence_end_is_cut_every_max_sentence_words():
    text = "word " * (2 * MAX_SENTENCE_WORDS + 10) + "end. Next one."
    spans = sentence_spans(text, split_words(text))
    n = 2 * MAX_SENTENCE_WORDS + 12
    assert spans == [(0, MAX_SENTENCE_WORDS), (MAX_SENTENCE_WORDS, 2 * MAX_SENTENCE_WORDS), (2 * MAX_SENTENCE_WORDS, n),
                     (n, n + 3)]  # fmt: skip
