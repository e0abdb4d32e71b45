"""nerkit.modeling.checks: a damaged model directory is one line and exit 2 for every command, nothing written over.

The grid: each damage below (a truncated or missing weights file, JSON that does not parse,
tags in another order, shapes that do not match, ...) given to every command that loads a
model (train --model, evaluate, predict, report, export, serve). Then a fuzz test: random
damage to the files of a tiny saved model loads correctly or raises one NerkitError.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nerkit
from cli_errors import error_line
from nerkit.errors import ModelError, NerkitError
from nerkit.modeling.checks import check_model_dir


@pytest.fixture(scope="module")
def good(model_dir) -> Path:
    return model_dir  # only ever copied here


def _json(path: Path, change) -> None:
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value))


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _without_classifier(d: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(d / "model.safetensors")
    save_file({k: v for k, v in tensors.items() if "classifier." not in k}, d / "model.safetensors")


def _reorder(meta: dict) -> None:
    tags = meta["label_map"]["tags"]
    meta["label_map"]["tags"] = [tags[0], *reversed(tags[1:])]


# damage name -> (how, a word the error line must name)
DAMAGES = {
    "truncated weights": (lambda d: _truncate(d / "model.safetensors"), "model.safetensors is truncated"),
    "empty weights": (lambda d: (d / "model.safetensors").write_bytes(b""), "model.safetensors is incomplete"),
    "garbage weights": (lambda d: (d / "model.safetensors").write_bytes(b"\xff" * 64), "model.safetensors"),
    "config without weights": (lambda d: (d / "model.safetensors").unlink(), "no weights beside it"),
    "weights lacking the classifier": (_without_classifier, "lack 2 tensor(s)"),
    "no config.json": (lambda d: (d / "config.json").unlink(), "no config.json"),
    "config.json not JSON": (
        lambda d: (d / "config.json").write_text('{"id2label": '),
        "config.json is not valid JSON",
    ),
    "nerkit.json not JSON": (lambda d: (d / "nerkit.json").write_text("{'tags': 1"), "nerkit.json is not valid JSON"),
    "nerkit.json a list": (lambda d: (d / "nerkit.json").write_text("[1, 2]"), "nerkit.json holds a JSON list"),
    "tags in another order": (lambda d: _json(d / "nerkit.json", _reorder), "the same tags in another order"),
    "one tag fewer": (lambda d: _json(d / "nerkit.json", lambda m: m["label_map"]["tags"].pop()), "other tags"),
    "id2label renamed": (
        lambda d: _json(d / "config.json", lambda c: c["id2label"].update({"1": "I-XYZ"})),
        "other tags",
    ),
    "crf of another size": (
        lambda d: _json(d / "nerkit.json", lambda m: m["crf"]["transitions"].pop()),
        "'crf' must hold",
    ),
    "bad inference options": (
        lambda d: _json(d / "nerkit.json", lambda m: m.update(inference={"stride": -3})),
        "'inference' is not valid",
    ),
    "max_len not a number": (
        lambda d: _json(d / "nerkit.json", lambda m: m.update(max_len="long")),
        "'max_len' should be a int",
    ),
    "newer format": (lambda d: _json(d / "nerkit.json", lambda m: m.update(format_version=99)), "newer nerkit"),
    "no tokenizer files": (
        lambda d: [p.unlink() for p in d.iterdir() if p.name.startswith(("tokenizer", "vocab"))],
        "no tokenizer files",
    ),
    "tokenizer.json not JSON": (lambda d: _truncate(d / "tokenizer.json", 0.3), "tokenizer.json is not valid JSON"),
    "no tokenizer_config.json": (
        lambda d: (d / "tokenizer_config.json").unlink(),
        "the tokenizer has no",
    ),
    # Training found it only when building the model, after the data was read, with a hint about being offline.
    "config.json without model_type": (
        lambda d: _json(d / "config.json", lambda c: c.pop("model_type")),
        "config.json has no 'model_type'",
    ),
    "config without its encoder": (
        lambda d: _json(d / "config.json", lambda c: c.update(encoder_config=[1, "a"])),
        "'encoder_config' must be the encoder",
    ),
}


@pytest.fixture()
def damaged(good, tmp_path, request) -> Path:
    folder = tmp_path / "damaged"
    shutil.copytree(good, folder)
    DAMAGES[request.param][0](folder)
    return folder


def _serve_never_runs(monkeypatch):
    import uvicorn

    def refuse(*args, **kwargs):
        raise AssertionError("a damaged model was served")

    monkeypatch.setattr(uvicorn.Server, "run", refuse)


COMMANDS = ["train", "evaluate", "predict", "report", "export", "serve"]


@pytest.mark.parametrize("damaged", list(DAMAGES), indirect=True)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_damage_is_one_line_and_exit_2_for_every_command(
    damaged, command, request, tiny_conll, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier output\n")
    tagged = tmp_path / "tagged.conll"
    tagged.write_text("earlier output\n")
    argv = {
        "train": ["train", "--data", str(tiny_conll), "--output", str(out / "m"), "--model", str(damaged), "--epochs", "1"],
        "evaluate": ["evaluate", "--model", str(damaged), "--data", str(tiny_conll)],
        "predict": ["predict", "--model", str(damaged), "--input", str(tiny_conll), "--output", str(tagged)],
        "report": ["report", "--model", str(damaged), "--data", str(tiny_conll), "--output", str(out)],
        "export": ["export", "--model", str(damaged), "--output", str(out / "onnx")],
        "serve": ["serve", "--model", str(damaged), "--port", "0"],
    }[command]  # fmt: skip
    _serve_never_runs(monkeypatch)
    damage = request.node.callspec.params["damaged"]
    # A saved nerkit model (format 2) without its classifier is damaged, for training too; a plain
    # transformers encoder without a head (what every tiny model here starts from) still trains.
    err = error_line(capsys, argv)
    assert DAMAGES[damage][1] in err, err
    assert len(err) < 600, err
    assert tagged.read_text() == "earlier output\n" and sorted(p.name for p in out.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("damaged", ["tags in another order", "truncated weights"], indirect=True)
def test_the_library_raises_a_model_error_naming_the_file(damaged):
    with pytest.raises(ModelError, match=str(damaged)):
        nerkit.load_model(damaged)
    with pytest.raises(ModelError):
        check_model_dir(damaged)


def test_a_good_directory_passes_and_old_formats_still_load(good):
    assert check_model_dir(good)["label_map"]["tags"][0] == "O"
    fixture = Path(__file__).parent.parent / "fixtures" / "model-format-1"
    assert check_model_dir(fixture)["format_version"] == 1


_FILES = ["model.safetensors", "config.json", "nerkit.json", "tokenizer.json", "tokenizer_config.json"]


@st.composite
def _corruptions(draw):
    name = draw(st.sampled_from(_FILES))
    how = draw(st.sampled_from(["truncate", "flip", "replace", "delete", "json"]))
    return name, how, draw(st.floats(0, 1)), draw(st.binary(min_size=1, max_size=16)), draw(st.integers(0, 2**31))


def _corrupt(folder: Path, name: str, how: str, where: float, junk: bytes, seed: int) -> None:
    import random

    path = folder / name
    data = path.read_bytes()
    at = int(len(data) * where)
    if how == "truncate":
        path.write_bytes(data[:at])
    elif how == "flip":
        path.write_bytes(data[:at] + junk + data[at + len(junk) :])
    elif how == "replace":
        path.write_bytes(junk)
    elif how == "delete":
        path.unlink()
    elif name.endswith(".json"):  # a structural change: a key dropped or given a value of another type
        value = json.loads(data)
        rng = random.Random(seed)
        keys = sorted(value)
        if keys:
            key = rng.choice(keys)
            value[key] = rng.choice([None, 0, -1, "x", [], {}, [1, "a"], True, 1e308])
        path.write_text(json.dumps(value))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corruption=_corruptions())
def test_fuzz_a_damaged_model_loads_correctly_or_raises_one_nerkit_error(good, tmp_path_factory, corruption):
    folder = tmp_path_factory.mktemp("fuzz") / "model"
    shutil.copytree(good, folder)
    _corrupt(folder, *corruption)
    try:
        model = nerkit.load_model(folder)
    except NerkitError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000
        return
    tags = nerkit.predict(model, [["Obama", "visited", "Paris", "."]]).tags[0]
    assert len(tags) == 4 and set(tags) <= set(model.label_map.tags)
