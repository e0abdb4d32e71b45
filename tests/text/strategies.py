"""Hypothesis strategies shared by the tests of nerkit.text: any text, the tricky kinds included."""

from __future__ import annotations

from hypothesis import strategies as st

INTERESTING = (
    "aZé0 9_,.;:!?()[]{}'\"`-–—/\\$£%&@#*^~+=<>…’‘“”"
    "\u0301\u0308\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202e\u2060\ufeff\ufe0f"
    "\x00\x01\x1f\x7f\x85\xa0\t\n\r"
    "😀👍🏽👨🇩🇪\U000e0067\U000e007f"
    "שלוםالعربيةनमस्तेΑΕ漢字\ud800\udfff"
)
fragments = st.sampled_from(
    [
        "U.S.",
        "D.C.",
        "St.",
        "Dr.",
        "No. 5",
        "n't",
        "'s",
        "'re",
        "O'Neal",
        "3,000",
        "38.9",
        "$1",
        "15%",
        "www.x.com",
        "http://a.b/c).",
        "me@x.org",
        "--",
        "...",
        "c.1240",
        ".470",
        "e.g.",
        "U.K.",
        "AT&T",
        "2-foot",
        "café",
        "e\u0301",
        "👨\u200d👩\u200d👧",
        " ",
        "\n",
    ]
)
any_text = st.one_of(
    st.text(),
    st.text(st.characters(exclude_categories=())),  # includes lone surrogates
    st.text(alphabet=INTERESTING),
    st.lists(st.one_of(fragments, st.text(alphabet=INTERESTING, max_size=3))).map("".join),
)
