"""Sharded prediction: finished shards survive a crash and are skipped; another input's shards are refused.

(Shards tagged by several processes at once are in tests/parallel/test_launcher.py.)
"""

from cli_errors import error_line

from .helpers import predict_cli


def test_a_rerun_skips_finished_shards(model_dir, tiny_conll, tmp_path, capsys):
    expected = predict_cli(model_dir, tiny_conll, tmp_path / "one.conll")
    shards = tmp_path / "shards"
    assert (
        predict_cli(model_dir, tiny_conll, tmp_path / "a.conll", "--shard-dir", str(shards), "--shard-size", "3")
        == expected
    )
    files = sorted(shards.glob("shard-*.json"))
    assert [f.name for f in files] == ["shard-000000.json", "shard-000001.json", "shard-000002.json"]
    # A crash lost shard 1 and damaged shard 2: the rerun tags those again and keeps shard 0.
    files[1].unlink()
    files[2].write_text(files[2].read_text()[:20])
    before = files[0].stat().st_mtime_ns
    capsys.readouterr()
    assert (
        predict_cli(model_dir, tiny_conll, tmp_path / "b.conll", "--shard-dir", str(shards), "--shard-size", "3")
        == expected
    )
    assert "(1 finished before)" in capsys.readouterr().err
    assert files[0].stat().st_mtime_ns == before and files[1].exists()


def test_shards_of_another_input_are_refused(model_dir, tiny_conll, tmp_path, capsys):
    shards = tmp_path / "shards"
    predict_cli(model_dir, tiny_conll, tmp_path / "a.conll", "--shard-dir", str(shards), "--shard-size", "3")
    other = tmp_path / "other.txt"
    other.write_text("Obama visited Paris .\n")
    capsys.readouterr()
    err = error_line(
        capsys,
        [
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(other),
            "--output",
            str(tmp_path / "b.conll"),
            "--shard-dir",
            str(shards),
            "--nproc",
            "2",
        ],
    )
    assert "holds shards of another input" in err and "--shard-dir" in err
