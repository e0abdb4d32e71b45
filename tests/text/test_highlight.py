"""Tests for nerkit.text.highlight and the web page resources/page.html."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from html.parser import HTMLParser
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerkit.text.highlight import PALETTE, colour_for, render_fragment, render_html

TEXT = "Barack Obama met Angela Merkel in Berlin."
ENTITIES = [
    {"text": "Barack Obama", "label": "PER", "start": 0, "end": 12, "score": 0.981},
    {"text": "Angela Merkel", "label": "PER", "start": 17, "end": 30, "score": 0.9},
    {"text": "Berlin", "label": "LOC", "start": 34, "end": 40, "score": None},
]


class _Collector(HTMLParser):
    """Collects tags, ids, marks (with their text) and checks that tags balance."""

    VOID = {"meta", "link", "br", "hr", "img", "input", "area", "base", "col", "embed", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.tags, self.marks, self.errors = [], set(), [], [], []
        self.scripts, self._mark_depth, self._in_label, self._in_script = [], 0, False, False
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "mark":
            self.marks.append({"attrs": attrs, "text": "", "label": ""})
            self._mark_depth += 1
        if tag == "span" and attrs.get("class") == "label":
            self._in_label = True
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()
        if tag == "mark":
            self._mark_depth -= 1
        if tag == "span":
            self._in_label = False
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
            return
        if self._mark_depth:
            key = "label" if self._in_label else "text"
            self.marks[-1][key] += data
        if not self._in_label:
            self.text.append(data)


def parse(document: str) -> _Collector:
    collector = _Collector()
    collector.feed(document)
    collector.close()
    assert not collector.errors, collector.errors
    assert not collector.stack, f"unclosed tags: {collector.stack}"
    return collector


# --- colours -----------------------------------------------------------------------


def test_palette_covers_common_types():
    assert set(PALETTE) >= {"PER", "ORG", "LOC", "MISC"}
    assert len(set(PALETTE.values())) == len(PALETTE)
    for label, colour in PALETTE.items():
        assert colour_for(label) == colour


def test_colour_for_is_deterministic_hash_for_other_types():
    assert colour_for("DATE") == colour_for("DATE")
    assert colour_for("DATE") != colour_for("GPE")
    assert re.fullmatch(r"hsl\(\d{1,3}, 70%, 82%\)", colour_for("DATE"))
    # Known values pin the hash, so the JavaScript copy can be checked against it and
    # no run depends on Python's randomised hash().
    h = 0
    for ch in "DATE":
        h = (h * 31 + ord(ch)) % 2**32
    assert colour_for("DATE") == f"hsl({h % 360}, 70%, 82%)"
    assert colour_for("") == "hsl(0, 70%, 82%)"


def test_colour_for_is_stable_across_processes():
    code = "from nerkit.text.highlight import colour_for; print(colour_for('PRODUCT'), colour_for('x'))"
    runs = {
        subprocess.run(
            [__import__("sys").executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1


# --- render_fragment ---------------------------------------------------------------


def test_fragment_marks_entities():
    fragment = render_fragment(TEXT, ENTITIES)
    assert fragment.startswith(
        '<mark class="entity" data-label="PER" title="PER 0.98" '
        f'style="background:{PALETTE["PER"]}">Barack Obama<span class="label">PER</span></mark>'
    )
    collector = parse(f"<div>{fragment}</div>")
    assert [(m["text"], m["label"]) for m in collector.marks] == [
        ("Barack Obama", "PER"),
        ("Angela Merkel", "PER"),
        ("Berlin", "LOC"),
    ]
    assert collector.marks[2]["attrs"]["title"] == "LOC"
    assert "".join(collector.text) == TEXT


def test_fragment_escapes_text_and_labels():
    text = '<script>alert("x")</script> & Bob <b>'
    start = text.index("Bob")
    entities = [{"label": '"><script>', "start": start, "end": start + 3, "score": 0.5}]
    fragment = render_fragment(text, entities)
    assert "<script>" not in fragment
    assert "&lt;script&gt;" in fragment
    collector = parse(f"<div>{fragment}</div>")
    assert "".join(collector.text) == text
    assert collector.marks[0]["attrs"]["data-label"] == '"><script>'
    assert collector.marks[0]["text"] == "Bob"


def test_fragment_keeps_newlines_and_unicode():
    text = "Line one\nBarack 😀 Obama\r\n\tend"
    fragment = render_fragment(text, [{"label": "PER", "start": 9, "end": 23}])
    collector = parse(f"<div>{fragment}</div>")
    assert "".join(collector.text) == text
    assert collector.marks[0]["text"] == "Barack 😀 Obama"


def test_fragment_overlapping_out_of_order_and_invalid_entities():
    entities = [
        {"label": "LOC", "start": 34, "end": 40},
        {"label": "PER", "start": 7, "end": 12},  # inside "Barack Obama": skipped
        {"label": "PER", "start": 0, "end": 12},
        {"label": "ORG", "start": 10, "end": 20},  # overlaps: skipped
        {"label": "MISC", "start": 30, "end": 30},  # empty: skipped
        {"label": "MISC", "start": 38, "end": 99},  # outside the text: skipped
        {"label": "MISC", "start": -1, "end": 3},  # negative: skipped
        {"label": "MISC", "start": "0", "end": 3},  # not an int: skipped
        {"label": "MISC"},  # no offsets: skipped
    ]
    collector = parse(f"<div>{render_fragment(TEXT, entities)}</div>")
    assert [(m["text"], m["label"]) for m in collector.marks] == [("Barack Obama", "PER"), ("Berlin", "LOC")]
    assert "".join(collector.text) == TEXT


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=40),
    st.lists(
        st.fixed_dictionaries(
            {
                "label": st.sampled_from(["PER", "LOC", "<X>", "a&b", "MISC"]),
                "start": st.integers(-2, 45),
                "end": st.integers(-2, 45),
                "score": st.one_of(st.none(), st.floats(0, 1)),
            }
        ),
        max_size=8,
    ),
)
def test_fragment_never_crashes_and_preserves_text(text, entities):
    collector = parse(f"<div>{render_fragment(text, entities)}</div>")
    assert "".join(collector.text) == text
    for mark in collector.marks:
        assert mark["attrs"]["data-label"] == mark["label"]


# --- render_html -------------------------------------------------------------------


def test_page_is_complete_standalone_html():
    page = render_html([(TEXT, ENTITIES), ("Nothing here.", [])], title="My <run>")
    assert page.startswith("<!DOCTYPE html>")
    collector = parse(page)
    tags = [tag for tag, _ in collector.tags]
    assert {"html", "head", "title", "style", "body"} <= set(tags)
    assert "<title>My &lt;run&gt;</title>" in page
    # Nothing is loaded from elsewhere.
    assert "script" not in tags and "link" not in tags
    assert not re.search(r"(src|href)\s*=|url\(|@import|https?://", page)
    assert [(m["text"], m["label"]) for m in collector.marks] == [
        ("Barack Obama", "PER"),
        ("Angela Merkel", "PER"),
        ("Berlin", "LOC"),
    ]
    assert {"doc-1", "doc-2"} <= collector.ids
    assert "white-space: pre-wrap" in page


def test_legend_lists_types_present_with_colours():
    page = render_html([(TEXT, ENTITIES), ("Acme Corp", [{"label": "DATE", "start": 0, "end": 4}])])
    collector = parse(page)
    legend = [attrs["data-label"] for tag, attrs in collector.tags if tag == "li" and "data-label" in attrs]
    assert legend == ["DATE", "LOC", "PER"]
    assert f"background:{colour_for('DATE')}" in page
    assert "ORG" not in legend and "MISC" not in legend
    assert re.search(
        r'data-label="PER"><span class="swatch" style="background:#9ad0f5">'
        r'</span>PER <span class="count">2</span>',
        page,
    )


def test_render_html_escapes_script_everywhere():
    text = "<script>alert(1)</script> Bob"
    start = text.index("Bob")
    page = render_html([(text, [{"label": "<script>", "start": start, "end": start + 3}])], title="<script>")
    assert "<script>" not in page
    collector = parse(page)
    assert [tag for tag, _ in collector.tags].count("script") == 0


def test_render_html_handles_empty_and_odd_input():
    assert "No documents." in render_html([])
    page = render_html(iter([("", []), ("a\u2028b\x00c 😀", None)]))
    parse(page)
    page = render_html([(TEXT, ENTITIES[::-1] + [{"label": "ORG", "start": 5, "end": 20}])])
    assert [(m["text"]) for m in parse(page).marks] == ["Barack Obama", "Angela Merkel", "Berlin"]


# --- resources/page.html -----------------------------------------------------------


def page_html() -> str:
    return resources.files("nerkit").joinpath("resources/page.html").read_text(encoding="utf-8")


def test_page_exists_and_parses_with_required_ids():
    page = page_html()
    collector = parse(page)
    assert {"text", "tag", "result", "legend", "error"} <= collector.ids
    tags = dict((attrs.get("id"), (tag, attrs)) for tag, attrs in collector.tags)
    assert tags["text"][0] == "textarea"
    assert tags["tag"][0] == "button"
    button_text = re.search(r'<button id="tag"[^>]*>([^<]*)</button>', page).group(1)
    assert button_text == "Find entities"
    script = "\n".join(collector.scripts)
    assert 'fetch("/entities"' in script and '"POST"' in script
    assert 'mark.className = "entity"' in script and "dataset.label" in script
    assert "Array.from(text)" in script


def test_page_has_no_external_resources():
    page = page_html()
    collector = parse(page)
    for tag, attrs in collector.tags:
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    assert not re.search(r"https?://|url\(|@import|//cdn", page)


def test_page_palette_matches_python():
    script = "\n".join(parse(page_html()).scripts)
    match = re.search(r"const PALETTE = (\{.*?\});", script)
    assert match and json.loads(match.group(1)) == PALETTE


NODE = shutil.which("node") or shutil.which("nodejs")


def run_shared_js(body: str, payload) -> object:
    """Run the page's pure-function section under Node with ``payload`` as DATA."""
    script = "\n".join(parse(page_html()).scripts)
    shared = script[script.index("// nerkit-shared:begin") : script.index("// nerkit-shared:end")]
    program = (
        '"use strict";\n'
        + shared
        + f"\nconst DATA = {json.dumps(payload)};\n"
        + f"process.stdout.write(JSON.stringify((() => {{ {body} }})()));\n"
    )
    out = subprocess.run(
        [NODE, "-e", program], capture_output=True, text=True, timeout=60, encoding="utf-8", errors="surrogatepass"
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_js_colours_agree_with_python():
    rng = random.Random(0)
    labels = [
        "PER",
        "ORG",
        "LOC",
        "MISC",
        "DATE",
        "GPE",
        "",
        "x",
        "Ünïcødé",
        "😀type",
        "B-PER",
        "toString",
        "__proto__",
        "a" * 200,
    ]
    labels += [
        "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x2FFFF)])) for _ in range(rng.randrange(1, 12))
        )
        for _ in range(200)
    ]
    labels = [label for label in labels if not any(0xD800 <= ord(c) < 0xE000 for c in label)]
    assert run_shared_js("return DATA.map(colourFor);", labels) == [colour_for(x) for x in labels]


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_js_segments_use_code_point_offsets():
    from nerkit.text.words import split_words

    text = "😀👨\u200d👩\u200d👧 Barack Obama 🇩🇪 visited Berlin, e\u0301té 𝒳 Angela Merkel"
    words = split_words(text)
    starts = {w.text: w for w in words}
    entities = [
        {"label": "LOC", "start": starts["Berlin"].start, "end": starts["Berlin"].end},
        {"label": "PER", "start": starts["Barack"].start, "end": starts["Obama"].end, "score": 0.5},
        {"label": "PER", "start": starts["Angela"].start, "end": starts["Merkel"].end},
        {"label": "ORG", "start": starts["Obama"].start, "end": starts["visited"].end},
        {"label": "MISC", "start": 0, "end": 10_000},
    ]
    segments = run_shared_js("return segmentsFor(DATA.text, DATA.entities);", {"text": text, "entities": entities})
    assert "".join(s["text"] for s in segments) == text
    marked = [(s["text"], s["label"]) for s in segments if "label" in s]
    assert marked == [("Barack Obama", "PER"), ("Berlin", "LOC"), ("Angela Merkel", "PER")]
    expected = render_fragment(text, entities)
    assert [m["text"] for m in parse(f"<div>{expected}</div>").marks] == [t for t, _ in marked]


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_js_error_messages():
    cases = [
        [400, {"detail": "text is empty"}],
        [422, {"detail": [{"loc": ["body", "text"], "msg": "Field required", "type": "missing"}]}],
        [500, None],
        [413, {"detail": {"limit": 10}}],
    ]
    messages = run_shared_js("return DATA.map(([s, b]) => errorMessage(s, b));", cases)
    assert messages == ["text is empty", "text: Field required", "The server answered with status 500.", '{"limit":10}']
