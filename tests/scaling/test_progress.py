"""nerkit.scaling.progress: a partial output continues only for the same run, from whole blocks."""

import json

from nerkit.scaling.progress import BlockWriter


def test_a_rerun_drops_a_half_written_block_and_continues(tmp_path):
    out = tmp_path / "out.jsonl"
    writer = BlockWriter(out, {"run": 1})
    writer.write(b"a\n", 1, 2)
    writer.stream.write(b"half of b")  # the driver died in the middle of the next block
    writer.close()
    assert json.loads((tmp_path / "out.jsonl.partial.json").read_text())["size"] == 2
    writer = BlockWriter(out, {"run": 1})
    assert (writer.progress.blocks, writer.progress.documents, writer.progress.entities) == (1, 1, 2)
    writer.write(b"b\n", 1, 0)
    writer.finish()
    assert out.read_bytes() == b"a\nb\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_another_run_or_a_damaged_partial_file_starts_over(tmp_path):
    out = tmp_path / "out.jsonl"
    writer = BlockWriter(out, {"run": 1})
    writer.write(b"a\n", 1, 0)
    writer.close()
    assert BlockWriter(out, {"run": 2}).progress.blocks == 0  # other input, model or options
    writer = BlockWriter(out, {"run": 1})
    assert writer.progress.blocks == 0  # the other run's start replaced this one's partial file
    writer.write(b"c\n", 1, 0)
    writer.close()
    (tmp_path / "out.jsonl.partial").write_bytes(b"")  # shorter than recorded: not trusted
    assert BlockWriter(out, {"run": 1}).progress.blocks == 0
