"""The model card (``README.md``) written into every saved model directory.

>>> card_is_generated(render_card_text("# A card\\n"))        # what nerkit wrote, untouched
True
>>> card_is_generated(render_card_text("# A card\\n").replace("A card", "My card"))
False

The card says what the model is (encoder, tags, casing, CRF, windows), what it was
trained on (the data, its attribution and licence: wikigold is CC BY 4.0), with which
settings (``TrainConfig``), how it scored on the held-out test side per entity type (the
evaluation ``nerkit train`` runs, or a plain statement that none was saved with it), its
limitations, and how to load it in nerkit, in transformers and as a pipeline.

A card is never lost: nerkit marks the cards it writes with a checksum of their text, and
saving over a directory whose ``README.md`` is not such an untouched card (the user edited
or replaced it) keeps that file as ``README.md`` and writes the new card beside it as
``README.nerkit.md``, with a warning.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from pathlib import Path

from ..data.sources import WIKIGOLD_ATTRIBUTION
from ..labels import entity_type

__all__ = [
    "CARD_FILE",
    "NEW_CARD_FILE",
    "REPORT_FILE",
    "write_card",
    "render_card",
    "render_card_text",
    "card_is_generated",
    "lowercases",
]

CARD_FILE = "README.md"
NEW_CARD_FILE = "README.nerkit.md"  # the fresh card, when README.md is the user's
REPORT_FILE = "test_report.json"
_MARK = re.compile(r"\n<!-- nerkit model card, sha256 ([0-9a-f]{64}); edit freely: an edited card is kept -->\n\Z")


def render_card_text(body: str) -> str:
    """``body`` with the mark that tells an untouched card from an edited one."""
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return f"{body}\n<!-- nerkit model card, sha256 {digest}; edit freely: an edited card is kept -->\n"


def card_is_generated(text: str) -> bool:
    """Whether ``text`` is a card nerkit wrote, unchanged since."""
    match = _MARK.search(text)
    body = text[: match.start()] if match else None
    return body is not None and hashlib.sha256(body.encode("utf-8")).hexdigest() == match.group(1)


def write_card(directory: Path, model, evaluation: dict | None, previous: Path | None = None) -> Path:
    """Write the card of ``model`` into ``directory`` (the new model folder); ``previous``: the folder it replaces."""
    card = render_card_text(render_card(model, evaluation))
    old = previous / CARD_FILE if previous is not None else None
    if old is not None and old.is_file() and not card_is_generated(old.read_text(encoding="utf-8", errors="replace")):
        (directory / CARD_FILE).write_bytes(old.read_bytes())
        (directory / NEW_CARD_FILE).write_text(card, encoding="utf-8")
        warnings.warn(
            f"{old} was edited, so it is kept; the new model card is {previous / NEW_CARD_FILE} "
            "(merge it in by hand, or delete README.md to get the new card next time)",
            stacklevel=3,
        )
        return directory / NEW_CARD_FILE
    (directory / CARD_FILE).write_text(card, encoding="utf-8")
    return directory / CARD_FILE


def render_card(model, evaluation: dict | None) -> str:
    """The card's Markdown (without its mark)."""
    config = model.train_config or {}
    data = config.get("data")
    types = sorted({t for t in map(entity_type, model.label_map.tags) if t is not None})
    parts = [
        _front_matter(data),
        "# Named-entity recognition model (nerkit)\n",
        f"Finds {', '.join(types) or 'no'} entities in English text. Trained and saved with "
        "[nerkit](https://pypi.org/project/nerkit/); it runs with nerkit or with plain transformers "
        "(custom code, `trust_remote_code=True`).\n",
        _model_section(model),
        _data_section(config, data),
        _settings_section(config),
        _evaluation_section(evaluation),
        _limitations_section(model, data),
        _usage_section(types),
    ]
    return "\n".join(parts)


def _front_matter(data: str | None) -> str:
    lines = ["---", "library_name: transformers", "pipeline_tag: token-classification", "tags:", "- nerkit", "- ner"]
    if data == "wikigold":
        lines += ["license: cc-by-4.0", "language:", "- en"]
    return "\n".join(lines + ["---", ""])


def lowercases(tokenizer) -> bool:
    """Whether ``tokenizer`` lower-cases its input (an uncased model)."""
    if getattr(tokenizer, "do_lower_case", False):
        return True
    try:
        return tokenizer.backend_tokenizer.normalizer.normalize_str("AbC") == "abc"
    except Exception:  # tokenizers without a normalizer
        return False


def _model_section(model) -> str:
    encoder = model.network.config
    source = Path(str(getattr(encoder, "_name_or_path", "") or "?"))
    name = "/".join(source.parts[-2:]) if source.is_absolute() else str(source)  # a hub name, or where it was
    shape = f"{getattr(encoder, 'num_hidden_layers', '?')} layers, hidden size {getattr(encoder, 'hidden_size', '?')}"
    rows = [
        ("encoder", f"`{encoder.model_type}` ({shape}), fine-tuned from `{name}`"),
        ("cased input", "no: the tokenizer lower-cases" if lowercases(model.tokenizer) else "yes"),
        ("word shapes (casing features)", "yes, fed as token-type ids" if model.casing else "no"),
        ("output layer", "linear-chain CRF, Viterbi per sentence" if model.crf is not None else "softmax per word"),
        ("tags", ", ".join(f"`{t}`" for t in model.label_map.tags)),
        ("tag schemes", f"classes in {model.label_scheme}, output in {model.output_scheme}"),
        ("window", f"{model.max_len} word pieces, {model.inference.stride} of overlap over longer sentences"),
    ]
    return "## Model\n\n" + _table(("", ""), rows) + "\n"


def _data_section(config: dict, data: str | None) -> str:
    if data is None:
        return "## Training data\n\nNot recorded (the model was trained outside `nerkit train`).\n"
    text = f"## Training data\n\n`{data}`"
    if "test_fraction" in config:
        text += (
            f", split at random by {config.get('split_by', 'sentence')} (seed {config.get('seed')}): "
            f"{1 - config['test_fraction']:.0%} for training, {config['test_fraction']:.0%} held out for testing"
        )
    text += ".\n"
    if data == "wikigold":
        attribution = "\n".join(f"- {line}" for line in WIKIGOLD_ATTRIBUTION.splitlines())
        text += (
            "\nwikigold: 145 English Wikipedia articles (1,696 sentences) hand-annotated with the CoNLL types "
            "(LOC, MISC, ORG, PER) in IO tags. Licence: [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/). "
            f"Attribution:\n\n{attribution}\n"
        )
    else:
        text += "\nThe licence of this data is not recorded; state it here before sharing the model.\n"
    return text


def _settings_section(config: dict) -> str:
    skip = {"data", "test_fraction", "split_by", "checkpoint_dir"}
    rows = [(f"`{k}`", f"`{v}`") for k, v in config.items() if k not in skip]
    if not rows:
        return "## Training settings\n\nNot recorded.\n"
    return "## Training settings\n\n" + _table(("setting", "value"), rows) + "\n"


def _evaluation_section(evaluation: dict | None) -> str:
    if not evaluation:
        return (
            "## Evaluation\n\nThis model was saved without a held-out evaluation: no test scores are known. "
            "Run `nerkit evaluate --model DIR --data TEST` on data it was not trained on.\n"
        )
    per_type = evaluation.get("per_type", {})
    rows = [(name, *_scores(row), str(int(row.get("support", 0)))) for name, row in sorted(per_type.items())]
    rows.append(("**micro avg**", *_scores(evaluation), str(evaluation.get("support", ""))))
    macro = {k: evaluation.get(f"macro_{k}") for k in ("precision", "recall", "f1")}
    rows.append(("**macro avg**", *_scores(macro), str(evaluation.get("support", ""))))
    extra = evaluation.get("extra") or {}
    where = f" ({extra['test_sentences']} sentences)" if "test_sentences" in extra else ""
    return (
        f"## Evaluation\n\nEntity-level scores on the held-out test side{where}, seqeval "
        f"({evaluation.get('mode', 'default')} mode, {evaluation.get('scheme', 'IO')} tags), as `nerkit train` "
        "measured them (also in `test_report.json`):\n\n"
        + _table(("type", "precision", "recall", "F1", "support"), rows)
    ) + "\n"


def _scores(row: dict) -> tuple[str, str, str]:
    return tuple(f"{row[k]:.4f}" if row.get(k) is not None else "" for k in ("precision", "recall", "f1"))


def _limitations_section(model, data: str | None) -> str:
    items = []
    if data == "wikigold":
        items.append(
            "Trained on part of wikigold (English Wikipedia, 39,007 words in all): expect lower scores on other "
            "domains (news, social media, biomedical text) and other languages."
        )
    if lowercases(model.tokenizer):
        items.append(
            "The encoder is uncased: it sees lower-cased word pieces; capitals reach it only through the word shapes"
            + (" (so feed it text with its usual capitals)." if model.casing else ".")
        )
    if model.output_scheme == "IO":
        items.append("IO tags: two entities of the same type side by side (no word between them) come out as one.")
    items.append(
        "Text is split into words and sentences the way wikigold is (punctuation apart, abbreviations whole); "
        "the model was trained on such words. The transformers pipeline shipped here does the same."
    )
    items.append(
        "Loading it in transformers without `trust_remote_code=True` fails on purpose: without the custom code "
        "the word shapes and the CRF would be lost and the model would quietly score lower."
    )
    return "## Limitations\n\n" + "\n".join(f"- {item}" for item in items) + "\n"


def _usage_section(types: list[str]) -> str:
    return f"""## How to use it

With nerkit (`pip install nerkit`):

```python
import nerkit

tagger = nerkit.Tagger.load("MODEL_DIR")
tagger("Barack Obama visited Paris.")
```

With transformers alone (the custom code in this folder splits words and sentences, adds the word shapes and
decodes with the CRF, so the entities are the ones nerkit finds):

```python
from transformers import pipeline

ner = pipeline("token-classification", model="MODEL_DIR", trust_remote_code=True, aggregation_strategy="first")
ner("Barack Obama visited Paris.")   # [{{'entity_group': ..., 'score': ..., 'word': ..., 'start': ..., 'end': ...}}]
```

The model itself: `AutoModelForTokenClassification.from_pretrained("MODEL_DIR", trust_remote_code=True)`
(its `token_type_ids` are the word shapes of `casing.py`; the pipeline computes them). Entity types:
{", ".join(types) or "none"}.
"""


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]) + "\n"
