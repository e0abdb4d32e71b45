"""An output written block by block in input order, that a rerun after a crash continues.

>>> import pathlib, tempfile
>>> out = pathlib.Path(tempfile.mkdtemp()) / "tagged.jsonl"
>>> writer = BlockWriter(out, {"input": "docs.jsonl"})
>>> writer.write(b'{"id": 1}\\n', documents=1, entities=0)
>>> writer.close()                                  # the driver dies here
>>> sorted(p.name for p in out.parent.iterdir())
['tagged.jsonl.partial', 'tagged.jsonl.partial.json']
>>> writer = BlockWriter(out, {"input": "docs.jsonl"})   # the same run again: block 0 is done
>>> writer.progress.blocks, writer.progress.documents
(1, 1)
>>> writer.write(b'{"id": 2}\\n', documents=1, entities=3)
>>> writer.finish()
>>> out.read_text(), sorted(p.name for p in out.parent.iterdir())
('{"id": 1}\\n{"id": 2}\\n', ['tagged.jsonl'])

Blocks are appended to ``OUTPUT.partial``; after each one (flushed to disk) the count of
blocks and bytes done is written atomically to ``OUTPUT.partial.json``, with what
identifies the run (input, model, options). A rerun of the same run cuts the partial file
back to the bytes recorded (a block half-written when the driver died goes) and goes on
from the next block; another run starts over. The finished file is renamed to ``OUTPUT``,
so ``OUTPUT`` is never a partial file. To stdout (``output=None``) nothing is resumable.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..outputs import atomic_file

__all__ = ["BlockWriter", "Progress"]


@dataclass
class Progress:
    blocks: int = 0  # finished blocks, the first ones of the input
    size: int = 0  # their bytes in the partial file
    documents: int = 0
    entities: int = 0


class BlockWriter:
    """Appends blocks to ``output`` (stdout when None); see the module docstring."""

    def __init__(self, output: str | os.PathLike | None, identity: dict) -> None:
        self.output, self.progress = output, Progress()
        if output is None:
            self.stream = sys.stdout.buffer
            return
        self.partial, self.record = Path(f"{output}.partial"), Path(f"{output}.partial.json")
        self.identity = json.loads(json.dumps(identity))  # as it reads back from the file
        saved = self._saved()
        if saved is not None:
            self.progress = saved
            os.truncate(self.partial, saved.size)
        self.stream = open(self.partial, "ab" if saved is not None else "wb")

    def _saved(self) -> Progress | None:
        """The progress of this same run, if one was interrupted and its partial file is whole."""
        try:
            saved = json.loads(self.record.read_text())
            size = self.partial.stat().st_size
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict) or saved.get("identity") != self.identity:
            return None
        progress = Progress(**{f.name: saved.get(f.name) for f in fields(Progress)})
        return progress if isinstance(progress.size, int) and 0 <= progress.size <= size else None

    def write(self, data: bytes, documents: int, entities: int) -> None:
        """Append one block, the next in input order."""
        self.stream.write(data)
        self.stream.flush()
        p = self.progress
        p.blocks, p.size, p.documents, p.entities = (
            p.blocks + 1,
            p.size + len(data),
            p.documents + documents,
            p.entities + entities,
        )
        if self.output is not None:
            os.fsync(self.stream.fileno())  # the record never claims bytes the disk does not hold
            with atomic_file(self.record) as f:  # the record is whole or the previous one
                f.write(json.dumps({"identity": self.identity, **asdict(p)}))

    def finish(self) -> None:
        """All blocks are written: the partial file becomes ``output``."""
        if self.output is None:
            self.stream.flush()
            return
        self.stream.close()
        os.replace(self.partial, self.output)
        self.record.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop without finishing (an error, an interrupt): the partial file stays for a rerun."""
        if self.output is not None and not self.stream.closed:
            self.stream.close()
