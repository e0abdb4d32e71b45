"""How often an entity's edges fall inside a spaCy token, where the spaCy component's
``alignment_mode="expand"`` grows the span to whole tokens (issue 12).

Data: wikigold's gold entities (all 1,696 sentences). Each sentence is detokenised into raw
text (no space before , . ; : ) ' 's n't and after ( and `` ...), nerkit's splitter splits it
again, the gold spans become character spans of that text (sentences whose words nerkit
splits differently are counted and left out), and each entity is looked up in
``spacy.blank("en")``'s tokens with ``doc.char_span(..., alignment_mode="strict")``.
No model is involved: this measures the tokenisers, which is all the alignment depends on.

    python benchmarks/spacy_alignment.py            # prints one JSON object
"""

from __future__ import annotations

import json
import re

import spacy

import nerkit
from nerkit.data.spans import text_spans
from nerkit.text.words import split_words

_NO_SPACE_BEFORE = re.compile(r"^(?:[,.;:!?)\]}%]|'s|'re|'ve|'ll|'d|'m|n't|''|\.\.\.)$", re.IGNORECASE)
_NO_SPACE_AFTER = {"(", "[", "{", "``", "$"}


def detokenise(words: list[str]) -> str:
    text = ""
    for i, word in enumerate(words):
        glue = i == 0 or _NO_SPACE_BEFORE.match(word) or words[i - 1] in _NO_SPACE_AFTER
        text += ("" if glue else " ") + word
    return text


def main() -> dict:
    nlp = spacy.blank("en")
    data = nerkit.load("wikigold")
    counts = {"sentences": len(data), "resplit_differently": 0, "entities": 0, "aligned": 0, "expanded": []}
    for words, tags in zip(data.sentences, data.labels):
        text = detokenise(words)
        if [w.text for w in split_words(text)] != words:
            counts["resplit_differently"] += 1
            continue
        doc = nlp(text)
        for start, end, _ in text_spans(text, [(words, tags)]):
            counts["entities"] += 1
            if doc.char_span(start, end, alignment_mode="strict") is not None:
                counts["aligned"] += 1
            elif len(counts["expanded"]) < 20:
                grown = doc.char_span(start, end, alignment_mode="expand")
                counts["expanded"].append([text[start:end], grown.text if grown is not None else None])
    counts["aligned_share"] = round(counts["aligned"] / counts["entities"], 4)
    return counts


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=1))
