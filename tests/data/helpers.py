"""What the tests of nerkit.data share: a file written as given, and a made-up Dataset."""

from __future__ import annotations

from nerkit.data.dataset import Dataset


def write(tmp_path, text, name="data.conll", raw=False):
    path = tmp_path / name
    if raw:
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def make_dataset(n_docs=6, per_doc=(1, 2, 3, 4, 5, 6)):
    """Documents of varying length; every word names its doc and sentence."""
    sentences, labels, doc_ids = [], [], []
    for d in range(n_docs):
        for s in range(per_doc[d % len(per_doc)]):
            sentences.append([f"d{d}s{s}", "word"])
            labels.append(["I-PER" if s % 2 else "I-LOC", "O"])
            doc_ids.append(d)
    return Dataset(sentences, labels, doc_ids, name="made")
