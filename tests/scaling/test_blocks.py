"""nerkit.scaling.blocks: blocks cover every document once, cut where `nerkit predict` cuts chunks."""

import json

import pytest

from nerkit.data.documents import Document, read_documents
from nerkit.inference.files import DocumentCounts, document_chunks
from nerkit.scaling.blocks import plan_blocks, read_block


def _file(tmp_path, lines: list[bytes]):
    path = tmp_path / "docs.jsonl"
    path.write_bytes(b"".join(lines))
    return path


@pytest.mark.parametrize("block_size", [1, 5, 8, 100])
def test_blocks_hold_every_document_once_in_order_and_whole_chunks(tmp_path, block_size):
    lines = [b"\xef\xbb\xbf" + json.dumps({"id": "first", "text": "A b."}).encode() + b"\r\n"]
    for i in range(40):
        if i % 7 == 3:
            lines.append(b"\n")  # blank
        if i % 11 == 5:
            lines.append(b'{"id": 1, "text": \n')  # bad JSON
        record = {"text": f"Doc {i} " + "word " * (i % 5) + "x"} if i % 2 else {"id": i, "text": f"Doc {i}."}
        lines.append(json.dumps(record).encode() + b"\n")
    path = _file(tmp_path, lines)
    with open(path, "rb") as f:
        items = list(read_documents(f, "jsonl"))
    expected = [d for d in items if isinstance(d, Document)]
    bad = [d.line for d in items if not isinstance(d, Document)]
    counts = DocumentCounts()
    blocks = plan_blocks(path, "jsonl", batch_size=1, block_size=block_size, counts=counts)
    assert (counts.bad, counts.first_bad) == (len(bad), bad[0]) and len(bad) == 4
    read = [read_block(path, "jsonl", b) for b in blocks]
    assert [d for docs in read for d in docs] == expected  # records, ids (line numbers) and lines alike
    assert [len(docs) for docs in read] == [b.documents for b in blocks]
    assert [b.index for b in blocks] == list(range(len(blocks)))
    # Each block is whole chunks of `nerkit predict`: its chunks are those of the whole file.
    whole = [[d.line for d in c] for c in document_chunks(expected, 1)]
    assert [[d.line for d in c] for docs in read for c in document_chunks(docs, 1)] == whole
    assert all(b.documents >= block_size for b in blocks[:-1])


def test_an_input_without_documents_has_no_blocks(tmp_path):
    path = _file(tmp_path, [b"\n", b"  \n"])
    assert plan_blocks(path, "text", batch_size=4, block_size=10) == []
