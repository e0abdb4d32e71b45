"""nerkit.scaling.ray_engine: `nerkit predict --engine ray` on a local Ray, against plain `nerkit predict`.

Ray starts once for the module (it takes seconds) and each test is one Ray run, so the
module stays short; the runs use the trained tiny model.
"""

import json

import pytest
import ray

from nerkit.cli import main
from nerkit.inference.tagger import Tagger
from nerkit.scaling.progress import BlockWriter
from nerkit.scaling.ray_engine import KILL_ENV, predict_ray

from .conftest import texts


@pytest.fixture(scope="module", autouse=True)
def ray_session():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", object_store_memory=200 * 1024**2)
    yield
    ray.shutdown()


def _predict(capsys, *argv) -> tuple[int, str]:
    code = main(["predict", *map(str, argv), "--no-progress"])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err


def test_two_workers_write_what_plain_predict_writes_in_order(capsys, model_dir, tmp_path):
    src = tmp_path / "docs.txt"
    src.write_text("\n".join(texts(40)) + "\n\n")
    local, on_ray = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert _predict(capsys, "--model", model_dir, "--input", src, "--output", local, "--batch-size", "2")[0] == 0
    code, err = _predict(capsys, "--model", model_dir, "--input", src, "--output", on_ray, "--batch-size", "2",
                         "--engine", "ray", "--workers", "2", "--block-size", "8")  # fmt: skip
    assert code == 0, err
    assert on_ray.read_bytes() == local.read_bytes()  # same entities, scores and ids, in input order
    records = [json.loads(line) for line in on_ray.read_text().splitlines()]
    assert [r["id"] for r in records] == list(range(1, 41)) and sum(len(r["entities"]) for r in records)
    assert f"tagged 40 document(s), {sum(len(r['entities']) for r in records)} entities into {on_ray}" in err


def test_a_killed_worker_loses_and_doubles_nothing(capsys, model_dir, tmp_path, monkeypatch):
    lines = [json.dumps({"id": f"d{i}", "text": t}) for i, t in enumerate(texts(30))]
    lines[4] = '{"id": "bad", "text": '  # a bad line is reported once, by the driver, as plain predict does
    src = tmp_path / "docs.jsonl"
    src.write_text("\n".join(lines) + "\n")
    local, on_ray, marker = tmp_path / "local.jsonl", tmp_path / "ray.jsonl", tmp_path / "killed"
    code, local_err = _predict(capsys, "--model", model_dir, "--input", src, "--output", local, "--batch-size", "1")
    assert code == 1 and "line 5 skipped" in local_err
    # Each worker's second block kills its process (once: the marker stops the others and the retry).
    monkeypatch.setenv(KILL_ENV, f"2:{marker}")
    code, err = _predict(capsys, "--model", model_dir, "--input", src, "--output", on_ray, "--batch-size", "1",
                         "--engine", "ray", "--workers", "2", "--block-size", "4")  # fmt: skip
    assert marker.exists(), "no worker was killed"
    assert code == 1 and err.count("line 5 skipped") == 1 and "skipped 1 bad line(s), the first at line 5" in err
    ids = [json.loads(line)["id"] for line in on_ray.read_text().splitlines()]
    assert sorted(ids) == sorted(f"d{i}" for i in range(30) if i != 4) and len(set(ids)) == len(ids) == 29
    assert on_ray.read_bytes() == local.read_bytes()


def test_a_rerun_after_the_driver_died_skips_the_blocks_done(capsys, model_dir, tmp_path, monkeypatch):
    src, local, out = tmp_path / "docs.txt", tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    src.write_text("\n".join(texts(24)) + "\n")
    assert _predict(capsys, "--model", model_dir, "--input", src, "--output", local, "--batch-size", "1")[0] == 0
    argv = ["--model", model_dir, "--input", src, "--output", out, "--batch-size", "1", "--engine", "ray",
            "--block-size", "4"]  # fmt: skip
    write = BlockWriter.write

    def dies_after_two_blocks(self, *args):
        write(self, *args)
        if self.progress.blocks == 2:
            raise KeyboardInterrupt  # the driver is stopped

    monkeypatch.setattr(BlockWriter, "write", dies_after_two_blocks)
    assert _predict(capsys, *argv)[0] == 130 and not out.exists()  # OUTPUT appears only when complete
    monkeypatch.setattr(BlockWriter, "write", write)
    sent, from_items = [], ray.data.from_items
    monkeypatch.setattr(ray.data, "from_items", lambda items, **kw: sent.append(len(items)) or from_items(items, **kw))
    code, err = _predict(capsys, *argv)
    assert code == 0 and "(2 of 6 blocks were done before)" in err, err
    assert sent == [4]  # only the blocks not done went to Ray
    assert out.read_bytes() == local.read_bytes() and not (tmp_path / "ray.jsonl.partial").exists()


def test_conll_in_gives_the_same_conll_out(capsys, model_dir, tiny_conll, tmp_path):
    local, on_ray = tmp_path / "local.conll", tmp_path / "ray.conll"
    assert _predict(capsys, "--model", model_dir, "--input", tiny_conll, "--output", local)[0] == 0
    code, err = _predict(capsys, "--model", model_dir, "--input", tiny_conll, "--output", on_ray,
                         "--engine", "ray", "--block-size", "3")  # fmt: skip
    assert code == 0, err
    assert on_ray.read_text() == local.read_text() and "-DOCSTART-" in local.read_text()


def test_a_ray_dataset_comes_back_with_entities(model_dir, trained_tiny):
    docs = [{"id": i, "text": t} for i, t in enumerate(texts(12))]
    # fp32 on both sides: in bf16 (precision auto on a CPU with native bf16) a score can move in
    # its 4th decimal with the shape of the batch, and blocks of 5 texts batch otherwise than 12.
    tagged = predict_ray(model_dir, ray.data.from_items(docs), workers=1, block_size=5, precision="fp32")
    rows = sorted(tagged.take_all(), key=lambda r: r["id"])
    assert [r["text"] for r in rows] == [d["text"] for d in docs]
    assert [list(r["entities"]) for r in rows] == Tagger(trained_tiny, precision="fp32")([d["text"] for d in docs])
