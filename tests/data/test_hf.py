"""nerkit.data.hf: Hugging Face datasets (objects and saved folders) as nerkit data, with
ClassLabel names, named columns and conll2003's -DOCSTART- rows; and through fit/evaluate/CLI."""

import json

import datasets
import pytest

import nerkit
from cli_errors import error_line
from nerkit.cli import main
from nerkit.data.hf import from_hf

NAMES = ["O", "B-PER", "I-PER", "B-LOC"]
FEATURES = datasets.Features(
    {"tokens": datasets.List(datasets.Value("string")), "ner_tags": datasets.List(datasets.ClassLabel(names=NAMES))}
)


def _hf(rows, features=FEATURES):
    return datasets.Dataset.from_dict(
        {"tokens": [r[0] for r in rows], "ner_tags": [r[1] for r in rows]}, features=features
    )


def test_class_ids_are_named_by_the_class_label_and_docstart_rows_start_documents():
    hf = _hf([(["-DOCSTART-"], [0]), (["Barack", "Obama", "visited", "Paris"], [1, 2, 0, 3]), ([], []),
              (["-DOCSTART-"], [0]), (["-DOCSTART-"], [0]), (["Paris"], [3])])  # fmt: skip
    ds = nerkit.load(hf)
    assert ds.sentences == [["Barack", "Obama", "visited", "Paris"], ["Paris"]]
    assert ds.labels == [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC"]]
    assert ds.doc_ids == [0, 1]  # empty documents and rows are not counted


def test_string_tags_and_named_columns():
    hf = datasets.Dataset.from_dict({"words": [["Anna", "sings"]], "labels": [["I-PER", "O"]], "id": ["a"]})
    assert from_hf(hf).labels == [["I-PER", "O"]]  # the default candidates find words and labels
    renamed = hf.rename_columns({"words": "w", "labels": "t"})
    with pytest.raises(nerkit.DataError, match="none of the token columns.*--hf-tokens"):
        from_hf(renamed)
    with pytest.raises(nerkit.DataError, match="no column 'tags'.*--hf-tags"):
        nerkit.load(renamed, hf_tokens="w", hf_tags="tags")
    assert nerkit.load(renamed, hf_tokens="w", hf_tags="t").sentences == [["Anna", "sings"]]


def test_bad_datasets_are_refused_with_the_fix():
    plain_ids = datasets.Dataset.from_dict({"tokens": [["Anna"]], "ner_tags": [[1]]})
    with pytest.raises(nerkit.DataError, match="row 0: tag 1 .* ClassLabel"):
        from_hf(plain_ids)
    with pytest.raises(nerkit.DataError, match="row 0: 2 tokens but 1 tags"):
        from_hf(_hf([(["Anna", "sings"], [1])]))
    with pytest.raises(nerkit.DataError, match=r"splits \(train, test\); pass one, e.g. data\['train'\]"):
        nerkit.load(datasets.DatasetDict({"train": _hf([(["Anna"], [1])]), "test": _hf([(["Anna"], [1])])}))
    assert nerkit.load(datasets.DatasetDict({"train": _hf([(["Anna"], [1])])})).labels == [["B-PER"]]  # its one split
    sentences = datasets.Dataset.from_dict({"tokens": ["Anna sings"], "tags": [1]})
    with pytest.raises(nerkit.DataError, match="row 0: columns 'tokens' and 'tags' must hold one list per row"):
        from_hf(sentences)
    with pytest.raises(nerkit.DataError, match="cannot use a list as data"):
        nerkit.evaluate(None, [["Anna"]])


def _tiny_hf(data, tokens="tokens", tags="ner_tags"):
    """``data`` as a HF dataset with ClassLabel tags, in columns named ``tokens`` and ``tags``."""
    names = sorted({t for s in data.labels for t in s})
    features = datasets.Features(
        {tokens: datasets.List(datasets.Value("string")), tags: datasets.List(datasets.ClassLabel(names=names))}
    )
    columns = {tokens: data.sentences, tags: [[names.index(t) for t in s] for s in data.labels]}
    return datasets.Dataset.from_dict(columns, features=features)


def test_fit_and_evaluate_take_a_hf_dataset(tiny_data, tiny_model_dir, trained_tiny):
    hf = _tiny_hf(tiny_data)
    # A HF dataset without document ids is one document (its sentences are each other's context).
    one_document = nerkit.Dataset(tiny_data.sentences, tiny_data.labels)
    assert (
        nerkit.evaluate(trained_tiny, hf, precision="fp32").to_dict()
        == nerkit.evaluate(trained_tiny, one_document, precision="fp32").to_dict()
    )
    model = nerkit.fit(hf, str(tiny_model_dir), epochs=1, batch_size=4, max_len=32, progress=False)
    assert sorted(model.label_map.tags) == sorted(nerkit.unique_labels(tiny_data))


def test_the_cli_reads_a_saved_dataset_and_its_splits(capsys, tmp_path, trained_tiny, tiny_data):
    model_dir = tmp_path / "model"
    trained_tiny.save(model_dir)
    hf = _tiny_hf(tiny_data, tokens="words", tags="tags")
    datasets.DatasetDict({"train": hf, "test": hf.select(range(4))}).save_to_disk(tmp_path / "saved")
    base = ["evaluate", "--model", str(model_dir), "--precision", "fp32", "--json"]
    assert main([*base, "--data", f"{tmp_path / 'saved'}:test", "--hf-tokens", "words"]) == 0
    first = tiny_data.select(range(4))
    scored = nerkit.evaluate(trained_tiny, nerkit.Dataset(first.sentences, first.labels), precision="fp32").to_dict()
    printed = json.loads(capsys.readouterr().out)
    assert printed.pop("extra")["scored_sentences"] == 4  # what was scored is said (nerkit.evaluation.heldout)
    assert printed == {k: v for k, v in scored.items() if k != "extra"}
    err = error_line(capsys, [*base, "--data", str(tmp_path / "saved")])
    assert "holds the splits train, test" in err and f"{tmp_path / 'saved'}:train" in err
    err = error_line(capsys, [*base, "--data", f"{tmp_path / 'saved'}:dev"])
    assert "no split 'dev'" in err


def test_a_damaged_saved_dataset_is_one_line(capsys, tmp_path):
    # state.json makes it look saved; datasets then failed with a FileNotFoundError traceback.
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "state.json").write_text("{}")
    err = error_line(capsys, ["train", "--data", str(folder), "--output", str(tmp_path / "m")])
    assert f"{folder} looks like a folder written by save_to_disk but cannot be read" in err and "save the" in err
    assert not (tmp_path / "m").exists()
