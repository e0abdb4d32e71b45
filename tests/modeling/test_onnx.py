"""ONNX export: same tags as PyTorch at any batch size and length, int8 close, usable everywhere a model is."""

import json

import numpy as np
import pytest

import nerkit
from cli_errors import error_line
from nerkit.cli import main
from nerkit.data.conll import read_conll
from nerkit.errors import ConfigError, ModelError
from nerkit.modeling.onnx import INT8_FILE, ONNX_FILE, OnnxNetwork, export_onnx, load_onnx

LONG = ["Obama", "visited", "Paris", "."] * 60  # several windows of the tiny model's 64 positions
# The export is checked against PyTorch's fp32 logits, so PyTorch runs in fp32 where the two are compared
# (precision="auto" picks bf16 on a CPU with native bf16); ONNX is asked for the same, for symmetry.
FP32 = dict(precision="fp32")


@pytest.fixture(scope="module")
def exported(model_dir):
    """The tiny model exported by `nerkit export` (the default, dynamo, exporter), fp32 and int8."""
    folder = model_dir.parent / "export"
    assert main(["export", "--model", str(model_dir), "--output", str(folder), "--int8"]) == 0
    return folder


def test_fp32_export_gives_pytorchs_tags_and_probabilities(trained_tiny, exported, tiny_data):
    onnx = nerkit.load_model(exported, backend="onnx")
    assert isinstance(onnx.network, OnnxNetwork)
    sentences = [*tiny_data.sentences, LONG, ["\u200b", "Obama"], []]
    for batch_size in (1, 3, 64):  # dynamic batch; lengths vary within and between batches
        a = nerkit.predict(trained_tiny, sentences, batch_size=batch_size, probabilities=True, **FP32)
        b = nerkit.predict(onnx, sentences, batch_size=batch_size, probabilities=True, **FP32)
        assert a.tags == b.tags
        assert max(np.abs(x - y).max() for x, y in zip(a.probabilities, b.probabilities) if len(x)) < 1e-4
    assert nerkit.predict(onnx, tiny_data, **FP32).loss == pytest.approx(
        nerkit.predict(trained_tiny, tiny_data, **FP32).loss, abs=1e-4
    )


def test_int8_export_stays_close(trained_tiny, exported, tiny_data):
    int8 = nerkit.load_model(exported, backend="onnx-int8")
    assert (exported / INT8_FILE).stat().st_size < (exported / ONNX_FILE).stat().st_size
    fp32_f1 = nerkit.evaluate(trained_tiny, tiny_data, **FP32).f1
    assert nerkit.evaluate(int8, tiny_data, **FP32).f1 >= fp32_f1 - 0.005
    a = nerkit.predict(trained_tiny, tiny_data, probabilities=True, **FP32)
    b = nerkit.predict(int8, tiny_data, probabilities=True, **FP32)
    assert max(np.abs(x - y).max() for x, y in zip(a.probabilities, b.probabilities)) < 0.1


def test_export_folder_carries_what_the_model_needs(trained_tiny, exported):
    meta = json.loads((exported / "nerkit.json").read_text())
    assert meta["label_map"] == trained_tiny.label_map.to_dict()
    assert meta["onnx"]["exporter"] == "dynamo" and meta["onnx"]["max_difference"] < 1e-4
    onnx = load_onnx(exported)
    assert (onnx.max_len, onnx.casing, onnx.output_scheme) == (
        trained_tiny.max_len,
        trained_tiny.casing,
        trained_tiny.output_scheme,
    )
    assert not (exported / "model.safetensors").exists()


def test_tagger_runs_the_onnx_backend(trained_tiny, exported):
    text = "Barack Obama visited Paris. Google opened an office in London."
    expected = nerkit.Tagger(trained_tiny, **FP32)(text)
    got = nerkit.Tagger.load(exported, backend="onnx", **FP32)(text)
    assert [(e["text"], e["label"], e["start"]) for e in got] == [(e["text"], e["label"], e["start"]) for e in expected]
    assert [e["score"] for e in got] == pytest.approx([e["score"] for e in expected], abs=1e-4)


def test_torchscript_exporter_works_too(trained_tiny, tiny_data, tmp_path):
    export_onnx(trained_tiny, tmp_path / "ts", exporter="torchscript")
    onnx = nerkit.load_model(tmp_path / "ts", backend="onnx")
    sentences = [*tiny_data.sentences, LONG]
    assert nerkit.predict(onnx, sentences, **FP32).tags == nerkit.predict(trained_tiny, sentences, **FP32).tags


def test_a_crf_model_exports_with_its_crf(tiny_model_dir, tiny_data, tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = nerkit.fit(
            tiny_data, str(tiny_model_dir), crf=True, epochs=10, batch_size=4, lr=5e-3, max_len=64, progress=False
        )
    export_onnx(model, tmp_path / "crf", exporter="torchscript")
    onnx = nerkit.load_model(tmp_path / "crf", backend="onnx")
    assert onnx.network.crf is not None
    sentences = [*tiny_data.sentences, LONG]
    assert nerkit.predict(onnx, sentences, **FP32).tags == nerkit.predict(model, sentences, **FP32).tags


def test_onnx_models_refuse_what_they_cannot_do(exported, tiny_data, tmp_path):
    onnx = nerkit.load_model(exported, backend="onnx")
    with pytest.raises(ModelError, match="only runs inference"):
        nerkit.fit(tiny_data, onnx, epochs=1, progress=False)
    with pytest.raises(ModelError, match="cannot be saved as a PyTorch model"):
        onnx.save(tmp_path / "again")
    with pytest.raises(ModelError, match="already an ONNX export"):
        export_onnx(onnx, tmp_path / "again")
    with pytest.raises(ModelError, match="backend='onnx'"):
        nerkit.load_model(exported)  # the PyTorch backend: there are no PyTorch weights here
    with pytest.raises(ModelError, match="unknown backend"):
        nerkit.load_model(exported, backend="tensorrt")
    with pytest.raises(ConfigError, match="exporter must be"):
        export_onnx(onnx, tmp_path / "x", exporter="tflite")


def test_missing_int8_file_names_the_fix(trained_tiny, tmp_path):
    export_onnx(trained_tiny, tmp_path / "fp32", exporter="torchscript")
    with pytest.raises(ModelError, match="--int8"):
        nerkit.load_model(tmp_path / "fp32", backend="onnx-int8")
    with pytest.raises(ModelError, match="does not exist"):
        load_onnx(tmp_path / "nowhere")


def test_damaged_onnx_file_is_a_model_error(exported, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    (broken / ONNX_FILE).write_bytes(b"not a model")
    with pytest.raises(ModelError, match="export the model again"):
        nerkit.load_model(broken, backend="onnx")


def test_cli_predict_and_evaluate_with_onnx(model_dir, exported, tiny_conll, tmp_path, capsys):
    assert (exported / ONNX_FILE).exists() and (exported / INT8_FILE).exists()
    src = tmp_path / "in.txt"
    src.write_text("Obama visited Paris .\nGoogle is in London .\n")
    for backend, model in (("torch", model_dir), ("onnx", exported)):
        assert (
            main(
                [
                    "predict",
                    "--model",
                    str(model),
                    "--input",
                    str(src),
                    "--output",
                    str(tmp_path / f"{backend}.conll"),
                    "--backend",
                    backend,
                    "--precision",
                    "fp32",
                ]
            )
            == 0
        )
    assert (tmp_path / "onnx.conll").read_text() == (tmp_path / "torch.conll").read_text()
    capsys.readouterr()
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(exported),
                "--data",
                str(tiny_conll),
                "--backend",
                "onnx-int8",
                "--json",
                "--precision",
                "fp32",
            ]
        )
        == 0
    )
    torch_f1 = nerkit.evaluate(nerkit.load_model(model_dir), read_conll(tiny_conll), **FP32).f1
    assert json.loads(capsys.readouterr().out)["f1"] >= torch_f1 - 0.005


def test_cli_export_errors(model_dir, exported, trained_tiny, tmp_path, capsys):
    capsys.readouterr()
    err = error_line(capsys, ["export", "--model", str(model_dir), "--output", str(exported)])
    assert "--overwrite" in err
    err = error_line(capsys, ["export", "--model", str(tmp_path / "none"), "--output", str(tmp_path / "o2")])
    assert "does not exist" in err
    fp32_only = tmp_path / "fp32"
    export_onnx(trained_tiny, fp32_only, exporter="torchscript")
    src = tmp_path / "in.txt"
    src.write_text("Obama visited Paris .\n")
    err = error_line(capsys, ["predict", "--model", str(fp32_only), "--input", str(src), "--backend", "onnx-int8"])
    assert "--int8" in err


def test_a_model_with_document_context_exports_and_reads_the_same_neighbours(trained_context, tiny_data, tmp_path):
    folder = trained_context.save(tmp_path / "context-model")
    assert main(["export", "--model", str(folder), "--output", str(tmp_path / "export")]) == 0
    onnx = nerkit.load_model(tmp_path / "export", backend="onnx")
    assert onnx.inference.context == 8  # the context setting travels with the export
    a = nerkit.predict(trained_context, tiny_data, probabilities=True, **FP32)
    b = nerkit.predict(onnx, tiny_data, probabilities=True, **FP32)
    assert a.tags == b.tags
    assert max(np.abs(x - y).max() for x, y in zip(a.probabilities, b.probabilities)) < 1e-4
