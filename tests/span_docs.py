"""Documents with character spans, made from the tiny tagged sentences (tests/conftest.py), in
each annotation tool's shape; shared by the tests of span files, predict's output formats and spaCy."""

from __future__ import annotations

import json

from conftest import SENTENCES
from nerkit.labels import tags_to_spans


def _text(words: list[str]) -> str:
    # Sentence-final periods touch their word, as in real text; nerkit's splitter splits them off again.
    return " ".join(words).replace(" .", ".")


def _documents() -> list[tuple[str, list[tuple[int, int, str]]]]:
    docs = []
    for i in range(0, len(SENTENCES), 2):
        text, spans = "", []
        for words, tags in SENTENCES[i : i + 2]:
            text += " " if text else ""
            position = len(text)
            offsets = []
            for word in words:
                start = (text + _text(words)).index(word, position)
                offsets.append((start, start + len(word)))
                position = start + len(word)
            spans += [(offsets[a][0], offsets[b - 1][1], label) for label, a, b in tags_to_spans(tags)]
            text += _text(words)
        docs.append((text, spans))
    return docs


DOCS = _documents()  # 4 documents of 2 sentences each


def records(fmt: str, docs=DOCS) -> list[dict]:
    """The documents as records of ``fmt`` (spacy, spacy-ents, doccano, doccano-entities, label-studio,
    label-studio-min)."""
    if fmt == "spacy":
        return [{"text": t, "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in sp]} for t, sp in docs]
    if fmt == "spacy-ents":
        return [{"text": t, "ents": [{"start": s, "end": e, "label": lab} for s, e, lab in sp]} for t, sp in docs]
    if fmt == "doccano":
        return [{"id": i, "text": t, "label": [[s, e, lab] for s, e, lab in sp]} for i, (t, sp) in enumerate(docs)]
    if fmt == "doccano-entities":
        return [
            {
                "id": i,
                "text": t,
                "entities": [
                    {"id": j, "label": lab, "start_offset": s, "end_offset": e} for j, (s, e, lab) in enumerate(sp)
                ],
                "relations": [],
            }
            for i, (t, sp) in enumerate(docs)
        ]
    if fmt == "label-studio-min":  # Label Studio's JSON-MIN export
        return [
            {"id": i, "text": t, "label": [{"start": s, "end": e, "text": t[s:e], "labels": [lab]} for s, e, lab in sp]}
            for i, (t, sp) in enumerate(docs)
        ]
    assert fmt == "label-studio", fmt
    return [
        {
            "id": i,
            "data": {"text": t},
            "annotations": [
                {
                    "id": 100 + i,
                    "was_cancelled": False,
                    "result": [
                        {
                            "id": f"r{j}",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {"start": s, "end": e, "text": t[s:e], "labels": [lab]},
                        }
                        for j, (s, e, lab) in enumerate(sp)
                    ],
                }
            ],
        }
        for i, (t, sp) in enumerate(docs)
    ]


def write_records(path, fmt: str, docs=DOCS):
    """Write the documents in ``fmt``: Label Studio's export is one indented JSON array, the others JSON lines."""
    if fmt.startswith("label-studio"):
        path.write_text(json.dumps(records(fmt, docs), indent=2))
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in records(fmt, docs)))
    return path
