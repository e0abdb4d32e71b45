"""nerkit.data.documents: documents one per line, read as a stream with bad lines reported
(moved from the old tests/test_tagger.py)."""

import io
import json

from nerkit.data.documents import BadLine, Document, chunks, read_documents, to_json_line


def test_read_documents_reports_each_bad_line():
    stream = io.BytesIO(b'\xef\xbb\xbf{"text": "a"}\r\n\r\n"just a string"\n{"text": 3}\n{"id": 9, "text": "b"}')
    items = list(read_documents(stream, "jsonl"))
    assert items[0] == Document(1, {"text": "a", "id": 1})  # byte-order mark and CRLF removed
    assert [type(i) for i in items] == [Document, BadLine, BadLine, Document]
    assert [i.line for i in items] == [1, 3, 4, 5]
    text_items = list(read_documents(io.BytesIO(b"one\n\n  \ntwo \xff\n"), "text"))
    assert text_items[0] == Document(1, {"id": 1, "text": "one"})
    assert isinstance(text_items[1], BadLine) and text_items[1].line == 4


def test_chunks_are_bounded():
    items = ["a" * n for n in (1, 2, 3, 10, 1, 1, 1, 1)]
    parts = list(chunks(items, max_items=3, max_chars=5))
    assert [x for p in parts for x in p] == items
    assert all(len(p) <= 3 and (sum(map(len, p)) <= 5 or len(p) == 1) for p in parts)


def test_json_lines_escape_lone_surrogates():
    assert json.loads(to_json_line({"text": "a\ud800"})) == {"text": "a\ud800"}
    assert to_json_line({"text": "é"}) == '{"text": "é"}\n'.encode()
