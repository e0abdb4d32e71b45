"""An input file cut into blocks for a cluster: byte ranges of whole chunks, read back by workers.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "docs.txt"
>>> _ = path.write_bytes(b"Paris.\\n\\nRome.\\nOslo.\\nBonn.\\nNice.\\nLyon.\\n")
>>> blocks = plan_blocks(path, "text", batch_size=1, block_size=2)   # chunks of 4 documents
>>> blocks
[Block(index=0, start=0, end=26, line=1, documents=4), Block(index=1, start=26, end=38, line=6, documents=2)]
>>> [d.record for d in read_block(path, "text", blocks[1])]
[{'id': 6, 'text': 'Nice.'}, {'id': 7, 'text': 'Lyon.'}]

The driver reads the file once, with the readers of ``nerkit predict`` (so bad lines are
reported the same way, once), and cuts it where :func:`nerkit.inference.files.document_chunks`
cuts it: a block is one or more whole chunks, at least ``block_size`` documents. Only the
block boundaries (a few numbers per block) are kept and sent to the workers, so the driver's
memory does not grow with the input. A worker reads its byte range back and tags it chunk by
chunk: the same model calls on the same documents as one local process, hence the same entities.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass

from ..data.documents import Document, read_documents
from ..inference.files import DocumentCounts, document_chunks, good_documents

__all__ = ["Block", "plan_blocks", "read_block"]


@dataclass(frozen=True)
class Block:
    index: int  # position in the input: blocks are written in this order
    start: int  # byte offset of the block's first line
    end: int  # byte offset just past its last line
    line: int  # number of its first line (1-based), for ids and messages
    documents: int  # good documents in it


class _Lines:
    """The lines of a binary file, remembering where the last one read starts."""

    def __init__(self, stream) -> None:
        self.stream, self.start, self.end = stream, 0, 0

    def __iter__(self) -> Iterator[bytes]:
        for raw in self.stream:
            self.start, self.end = self.end, self.end + len(raw)
            yield raw


def plan_blocks(
    path: str | os.PathLike,
    fmt: str,
    batch_size: int,
    block_size: int,
    counts: DocumentCounts | None = None,
    report=None,
) -> list[Block]:
    """The blocks of a text or JSONL file; bad lines are counted in ``counts`` and the first
    few written with ``report.write`` (a tqdm bar), as ``nerkit predict`` does."""
    counts = counts if counts is not None else DocumentCounts()
    blocks: list[Block] = []
    with open(path, "rb") as stream:
        lines = _Lines(stream)
        # read_documents yields a line's document before reading the next line: lines.start is its offset.
        located = ((doc, lines.start) for doc in good_documents(read_documents(lines, fmt), counts, report or _Quiet))
        start, first, documents = None, 0, 0
        for chunk in document_chunks(located, batch_size, text=lambda item: item[0].text):
            if start is None:
                start, first = chunk[0][1], chunk[0][0].line
            documents += len(chunk)
            if documents >= block_size:
                blocks.append(Block(len(blocks), start, 0, first, documents))
                start, documents = None, 0
        if start is not None:
            blocks.append(Block(len(blocks), start, 0, first, documents))
    # A block ends where the next one starts (blank and bad lines between them go to the first).
    ends = [b.start for b in blocks[1:]] + [os.path.getsize(path)]
    return [Block(b.index, b.start, end, b.line, b.documents) for b, end in zip(blocks, ends)]


class _Quiet:
    @staticmethod
    def write(*args, **kwargs) -> None:
        pass


def read_block(path: str | os.PathLike, fmt: str, block: Block) -> list[Document]:
    """The good documents of ``block`` (bad lines were reported when it was planned)."""
    with open(path, "rb") as stream:
        stream.seek(block.start)
        data = stream.read(block.end - block.start)
    # BytesIO splits lines on b"\n" only, as the driver's file iteration did.
    return [d for d in read_documents(io.BytesIO(data), fmt, first_line=block.line) if isinstance(d, Document)]
