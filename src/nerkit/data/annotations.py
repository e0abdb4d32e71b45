"""The record shapes of annotation tools: a text and its character spans, in and out.

* ``spacy``: ``{"text": ..., "spans": [{"start": 0, "end": 5, "label": "LOC"}]}`` (Prodigy);
  spaCy's ``doc.to_json()`` names the list ``"ents"``, read too.
* ``doccano``: ``{"text": ..., "label": [[0, 5, "LOC"]]}``, or doccano's newer
  ``{"text": ..., "entities": [{"start_offset": 0, "end_offset": 5, "label": "LOC"}]}``.
* ``label-studio``: a task, ``{"data": {"text": ...}, "annotations": [{"result": [{"type": "labels",
  "value": {"start": 0, "end": 5, "labels": ["LOC"]}}]}]}``, or a record of its JSON-MIN
  export, ``{"text": ..., "label": [{"start": 0, "end": 5, "labels": ["LOC"]}]}``.

>>> record_spans({"text": "Paris is big.", "label": [[0, 5, "LOC"]]}, "doccano")
('Paris is big.', [(0, 5, 'LOC')])
>>> guess_shape({"text": "Paris is big.", "spans": []})
'spacy'
>>> entities = [{"text": "Paris", "label": "LOC", "start": 0, "end": 5, "score": 0.9}]
>>> annotated("doccano", {"id": 7, "text": "Paris is big."}, entities)
{'id': 7, 'text': 'Paris is big.', 'label': [[0, 5, 'LOC']]}

Other fields of a record are kept on output, and the format's own annotation fields are
replaced by the predictions. A Label Studio task gets one ``predictions`` entry (the shape
Label Studio pre-annotates from) with ``model_version`` and scores; its ``from_name`` and
``to_name`` are those of the task's own results, else the NER template's ``label`` and ``text``.

What is skipped, on purpose: a Prodigy example answered ``reject`` or ``ignore``, and a
Label Studio task with no annotation that was not cancelled (not labelled yet);
:func:`record_spans` returns None for those. Of several annotations of a task, the first
that was not cancelled is read.
"""

from __future__ import annotations

from .spans import SpanError

__all__ = ["SPAN_FORMATS", "record_spans", "guess_shape", "annotated", "task_text"]

SPAN_FORMATS = ("spacy", "doccano", "label-studio")
_SPACY_KEYS = ("spans", "ents")
_FIX = "see docs/formats.md for the shapes nerkit reads"


def _items(record: dict, keys: tuple[str, ...], fmt: str) -> list:
    found = [k for k in keys if k in record]
    if not found:
        names = " or ".join(f'"{k}"' for k in keys)
        raise SpanError(f"no {names} list of spans for the {fmt} format; write [] for a text without entities")
    value = record[found[0]]
    if not isinstance(value, list):
        raise SpanError(f'"{found[0]}" is a {type(value).__name__}, not a list of spans; {_FIX}')
    return value


def _dict_span(item, start: str, end: str, label: str):
    if not isinstance(item, dict) or not {start, end, label} <= item.keys():
        raise SpanError(f'span {item!r} is not {{"{start}": ..., "{end}": ..., "{label}": ...}}; {_FIX}')
    return item[start], item[end], item[label]


def _spacy(record: dict) -> list:
    return [_dict_span(item, "start", "end", "label") for item in _items(record, _SPACY_KEYS, "spacy")]


def _doccano(record: dict) -> list:
    if "entities" in record and "label" not in record:  # doccano's newer export
        return [_dict_span(i, "start_offset", "end_offset", "label") for i in _items(record, ("entities",), "doccano")]
    spans = []
    for item in _items(record, ("label",), "doccano"):
        if not isinstance(item, list) or len(item) != 3:
            raise SpanError(f"label {item!r} is not [start, end, type]; {_FIX}")
        spans.append(tuple(item))
    return spans


def task_text(task: dict) -> str:
    """The text of a Label Studio task (``data.text``); a SpanError if it has none."""
    data = task.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise SpanError('the task has no "data": {"text": "..."}; label the field "text" in Label Studio')
    return data["text"]


def _ls_span(value, text: str) -> tuple:
    """One Label Studio region ``{"start", "end", "labels": [one], "text"?}`` as a span of ``text``."""
    labels = value.get("labels") if isinstance(value, dict) else None
    if not isinstance(labels, list) or len(labels) != 1:
        raise SpanError(f"result {value!r} needs exactly one label in value.labels; {_FIX}")
    start, end, _ = _dict_span(value, "start", "end", "labels")
    if "text" in value and isinstance(start, int) and isinstance(end, int) and text[start:end] != value["text"]:
        raise SpanError(
            f"result {value!r}: the text at {start}:{end} is {text[start:end]!r}, not {value['text']!r} "
            "(offsets in UTF-16 units or a changed text?); fix the offsets"
        )
    return start, end, labels[0]


def _label_studio(task: dict) -> list | None:
    annotations = task.get("annotations", task.get("completions", []))
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        raise SpanError(f'"annotations" is not a list of objects; {_FIX}')
    done = [a for a in annotations if not a.get("was_cancelled")]
    if not done:
        return None  # not labelled yet
    results = done[0].get("result", [])
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise SpanError(f'an annotation\'s "result" is not a list of objects; {_FIX}')
    spans = []
    for result in results:
        kind, value = result.get("type"), result.get("value")
        if kind == "labels":
            spans.append(_ls_span(value, task_text(task)))
        elif isinstance(kind, str) and kind.endswith("labels"):
            raise SpanError(f'a result of type "{kind}": nerkit reads Labels on plain Text ("labels"); {_FIX}')
        # else: relations, choices, text areas, not entities
    return spans


def _label_studio_min(record: dict) -> tuple[str, list] | None:
    """Label Studio's JSON-MIN export: ``{"text", "label": [{"start", "end", "labels"}]}``; no label: not labelled."""
    if not isinstance(record.get("text"), str):
        raise SpanError('no "text" string, and no "data": {"text": ...}; export the project as JSON or JSON-MIN')
    if "label" not in record:
        return None
    if not isinstance(record["label"], list):
        raise SpanError(f'"label" is a {type(record["label"]).__name__}, not a list of regions; {_FIX}')
    return record["text"], [_ls_span(value, record["text"]) for value in record["label"]]


def record_spans(record: dict, fmt: str) -> tuple[str, list] | None:
    """``(text, spans)`` of one record in ``fmt``; None for a record to skip (module docstring)."""
    if fmt == "label-studio":
        if "data" not in record:
            return _label_studio_min(record)
        text = task_text(record)
        spans = _label_studio(record)
        return None if spans is None else (text, spans)
    if fmt == "spacy" and record.get("answer") in ("reject", "ignore"):
        return None
    if not isinstance(record.get("text"), str):
        raise SpanError('no "text" string; write each record as {"text": "...", ...}')
    return record["text"], _spacy(record) if fmt == "spacy" else _doccano(record)


def guess_shape(record) -> str | None:
    """The format whose shape ``record`` has, or None when it holds no spans to tell by."""
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("data"), dict) and any(k in record for k in ("annotations", "completions", "predictions")):
        return "label-studio"
    entities, label = record.get("entities"), record.get("label")
    if isinstance(label, list) and any(isinstance(x, dict) and "labels" in x for x in label):
        return "label-studio"  # its JSON-MIN export
    if "label" in record or (
        isinstance(entities, list) and any(isinstance(e, dict) and "start_offset" in e for e in entities)
    ):
        return "doccano"
    if any(k in record for k in _SPACY_KEYS):
        return "spacy"
    return None


def _prediction(task: dict, entities: list[dict], model_version: str) -> dict:
    # Only to reuse the task's from_name/to_name: anything malformed there is passed over.
    groups = [a for key in ("annotations", "predictions") if isinstance(task.get(key), list) for a in task[key]]
    results = [r for a in groups if isinstance(a, dict) and isinstance(a.get("result"), list) for r in a["result"]]
    results = [r for r in results if isinstance(r, dict)]
    names = next(((r["from_name"], r["to_name"]) for r in results if {"from_name", "to_name"} <= r.keys()), None)
    from_name, to_name = names or ("label", "text")
    result = [
        {
            "id": f"nerkit-{i}",
            "from_name": from_name,
            "to_name": to_name,
            "type": "labels",
            "value": {"start": e["start"], "end": e["end"], "text": e["text"], "labels": [e["label"]]},
            **({"score": e["score"]} if e.get("score") is not None else {}),
        }
        for i, e in enumerate(entities)
    ]
    prediction = {"model_version": model_version, "result": result}
    scores = [e["score"] for e in entities if e.get("score") is not None]
    if scores:  # the weakest entity: Label Studio sorts tasks by it for review
        prediction["score"] = min(scores)
    return prediction


def annotated(fmt: str, record: dict, entities: list[dict], model_version: str = "nerkit", task: bool = False) -> dict:
    """``record`` with ``entities`` (``{"start", "end", "label", ...}``) written in ``fmt``.

    ``task``: ``record`` is already a Label Studio task (else it becomes the task's ``data``).
    """
    if fmt == "jsonl":
        return {**record, "entities": entities}
    if fmt == "spacy":
        kept = {k: v for k, v in record.items() if k not in _SPACY_KEYS}
        return {**kept, "spans": [{"start": e["start"], "end": e["end"], "label": e["label"]} for e in entities]}
    if fmt == "doccano":
        kept = {k: v for k, v in record.items() if k not in ("label", "entities")}
        return {**kept, "label": [[e["start"], e["end"], e["label"]] for e in entities]}
    if fmt == "label-studio":
        base = record if task else {"data": record}
        return {**base, "predictions": [_prediction(base, entities, model_version)]}
    raise ValueError(f"no record shape for {fmt!r}")
