"""Entities highlighted as HTML: a standalone page, or a fragment for one text.

Entities are the dicts :func:`nerkit.text.entities_from_word_tags` returns
(``{"text", "label", "start", "end", "score"}``, offsets in Python string indices).
Each becomes::

    <mark class="entity" data-label="PER" title="PER 0.98" style="background:#9ad0f5">
    Barack Obama<span class="label">PER</span></mark>

The page needs nothing from the network (inline CSS, no scripts, no fonts), so it can be
opened offline or attached to a report. Colours come from :data:`PALETTE`, or for any other
type from :func:`colour_for`'s string hash, which the web page (``resources/page.html``)
computes the same way in JavaScript so both agree.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable

__all__ = ["PALETTE", "colour_for", "render_html", "render_fragment"]

#: A background colour for each common entity type (CoNLL / wikigold types).
PALETTE: dict[str, str] = {
    "PER": "#9ad0f5",
    "ORG": "#a8e6a1",
    "LOC": "#ffd28a",
    "MISC": "#e0b8f5",
}


def colour_for(label: str) -> str:
    """The background colour for an entity type: from :data:`PALETTE`, or else a light
    colour derived from a simple hash of the label (the same on every run and platform).

    The hash is ``h = (h * 31 + code point) mod 2**32`` over the label's code points and
    the colour ``hsl(h % 360, 70%, 82%)``; ``page.html`` implements exactly this.
    """
    label = str(label)
    if label in PALETTE:
        return PALETTE[label]
    h = 0
    for ch in label:
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    return f"hsl({h % 360}, 70%, 82%)"


def _usable(text: str, entities: Iterable[dict]) -> list[dict]:
    """Entities sorted by start (longest first on ties), without invalid or overlapping ones."""
    valid = []
    for entity in entities:
        try:
            start, end = entity["start"], entity["end"]
        except (KeyError, TypeError):
            continue
        if isinstance(start, bool) or isinstance(end, bool):
            continue
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        if 0 <= start < end <= len(text):
            valid.append(entity)
    valid.sort(key=lambda e: (e["start"], -e["end"]))
    kept, position = [], 0
    for entity in valid:
        if entity["start"] >= position:
            kept.append(entity)
            position = entity["end"]
    return kept


def _mark(text: str, entity: dict) -> str:
    label = str(entity.get("label", ""))
    score = entity.get("score")
    title = label
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        title = f"{label} {score:.2f}"
    attribute = lambda value: html.escape(value, quote=True)  # noqa: E731
    return (
        f'<mark class="entity" data-label="{attribute(label)}" title="{attribute(title)}" '
        f'style="background:{colour_for(label)}">'
        f"{html.escape(text[entity['start'] : entity['end']], quote=False)}"
        f'<span class="label">{html.escape(label, quote=False)}</span></mark>'
    )


def render_fragment(text: str, entities: list[dict]) -> str:
    """The text, HTML-escaped, with each entity wrapped in a ``<mark class="entity">``.

    Entities may come in any order; ones that overlap an earlier-starting (or, at the same
    start, longer) entity are skipped, as are ones whose offsets fall outside the text.
    Newlines are kept as they are: show the fragment in an element with
    ``white-space: pre-wrap`` (as :func:`render_html` does).
    """
    parts, position = [], 0
    for entity in _usable(text, entities):
        parts.append(html.escape(text[position : entity["start"]], quote=False))
        parts.append(_mark(text, entity))
        position = entity["end"]
    parts.append(html.escape(text[position:], quote=False))
    return "".join(parts)


_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1d2430;
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.summary { color: #5b6472; margin: 0 0 1rem; }
.legend { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0 0 1.5rem; padding: 0; list-style: none; }
.legend li { display: inline-flex; align-items: center; gap: .4rem; padding: .15rem .6rem;
  border-radius: 999px; background: #fff; border: 1px solid #dde1e7; font-size: .85rem; }
.legend .swatch { width: .9rem; height: .9rem; border-radius: 3px; border: 1px solid rgba(0,0,0,.15); }
.legend .count { color: #5b6472; }
.doc { background: #fff; border: 1px solid #dde1e7; border-radius: 10px; padding: 1rem 1.25rem;
  margin: 0 0 1rem; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.doc h2 { font-size: .8rem; font-weight: 600; text-transform: uppercase; letter-spacing: .06em;
  color: #8a93a1; margin: 0 0 .5rem; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 2.1; }
mark.entity { color: #111; padding: .15em .35em; margin: 0 .1em; border-radius: .35em;
  box-decoration-break: clone; -webkit-box-decoration-break: clone; }
mark.entity .label { font-size: .65em; font-weight: 700; letter-spacing: .04em;
  margin-left: .4em; vertical-align: middle; opacity: .75; text-transform: uppercase; }
.empty { color: #8a93a1; font-style: italic; }
"""


def _legend(counts: Counter) -> str:
    if not counts:
        return '<p class="empty">No entities found.</p>'
    items = []
    for label in sorted(counts):
        items.append(
            f'<li data-label="{html.escape(label, quote=True)}">'
            f'<span class="swatch" style="background:{colour_for(label)}"></span>'
            f"{html.escape(label, quote=False)}"
            f' <span class="count">{counts[label]}</span></li>'
        )
    return '<ul class="legend">' + "".join(items) + "</ul>"


def render_html(documents: Iterable[tuple[str, list[dict]]], title: str = "nerkit entities") -> str:
    """A complete standalone HTML page showing each document with its entities highlighted.

    ``documents`` yields ``(text, entities)`` pairs. The page has a legend listing every
    entity type shown, with its colour and count, then each document in turn.
    """
    sections, counts = [], Counter()
    n_entities = 0
    for number, (text, entities) in enumerate(documents, start=1):
        text = str(text)
        kept = _usable(text, entities or [])
        counts.update(str(e.get("label", "")) for e in kept)
        n_entities += len(kept)
        body = render_fragment(text, kept) if text else '<span class="empty">(empty)</span>'
        sections.append(
            f'<section class="doc" id="doc-{number}"><h2>Document {number}</h2><div class="text">{body}</div></section>'
        )
    n_documents = len(sections)
    summary = (
        f"{n_entities} entit{'y' if n_entities == 1 else 'ies'} in "
        f"{n_documents} document{'' if n_documents == 1 else 's'}"
    )
    safe_title = html.escape(str(title), quote=False)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="nerkit">\n'
        f"<title>{safe_title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{safe_title}</h1>\n"
        f'<p class="summary">{summary}</p>\n'
        f"{_legend(counts)}\n"
        + ("\n".join(sections) if sections else '<p class="empty">No documents.</p>')
        + "\n</main>\n</body>\n</html>\n"
    )
