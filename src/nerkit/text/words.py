"""Raw text to words with character offsets, and word tags back to character entities.

The models nerkit trains learn from pre-split words (wikigold is CoNLL/PTB-like), so raw
text has to be split the same way before it reaches the model, and the model's word tags
have to be mapped back to character offsets in the text the user gave.

:func:`split_words` is a regular-expression splitter that mimics wikigold's conventions:

* punctuation is its own word: ``,`` ``.`` ``(`` ``)`` ``"`` ``;`` ``:``; runs such as
  ``--``, ``---``, ``...`` and ``..`` stay together;
* clitics are split off: ``he's`` -> ``he`` ``'s``, ``didn't`` -> ``did`` ``n't``,
  ``we're`` -> ``we`` ``'re`` (also ``'d``, ``'ve``, ``'ll``, ``'m``, and the ``’`` apostrophe);
  names with an inner apostrophe stay whole (``O'Neal``, ``d'Orves``, ``o'clock``);
* hyphenated words stay whole (``techno-based``, ``2-foot``, ``Osc-Dis``, ``24-year-old``);
* abbreviations keep their period (``U.S.``, ``D.C.``, ``Ph.D.``, ``e.g.``, ``St.``, ``Dr.``,
  ``No. 5``, initials such as ``J.``), except at the very end of the text, where (as in
  wikigold) the final period is the sentence's own word: ``in the U.K.`` -> ``U.K`` ``.``;
* numbers keep their separators, currency sign and percent sign (``3,000``, ``38.9``,
  ``5:40``, ``9/23/06``, ``$1``, ``£370,000``, ``15%``);
* web addresses and e-mail addresses stay whole (``www.krankd.com``, ``Ask.com``);
* anything else that is not a separator is a word of one character, with the combining
  marks, variation selectors, skin-tone modifiers and zero-width-joiner sequences that
  belong to it (so an emoji such as a family or a flag is one word).

Separators are whitespace (``str.isspace``), control characters (``"\\x00"`` and friends)
and invisible format characters (zero-width space, byte-order mark, word joiner, bidi
marks and embeddings). Every :class:`Word` satisfies ``text[w.start:w.end] == w.text``,
is non-empty and contains no whitespace; words are in order and do not overlap. Any
``str`` is accepted, including lone surrogates and unassigned code points.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Word", "split_words"]


@dataclass(frozen=True)
class Word:
    """A word of a text: ``text == source[start:end]`` (Python string indices)."""

    text: str
    start: int
    end: int


# Invisible characters that separate words (besides whitespace): C0/C1 controls, the
# zero-width space, bidi marks/embeddings/isolates, word joiner and invisible operators,
# the byte-order mark and interlinear annotation controls. ZWJ and ZWNJ (U+200D, U+200C)
# are NOT separators: they belong inside words (Persian, Indic scripts, emoji).
_SEP = (
    r"\s\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)

# Contractions split off as words of their own, PTB style.
_CLITIC = r"(?:s|S|re|RE|Re|d|D|ve|VE|ll|LL|m|M)"
_APOS = r"['\u2019]"

# Abbreviations that keep their period (case-sensitive). Single letters (initials) and
# dotted acronyms are handled by their own patterns below.
_ABBREVIATIONS = (
    "Mr Mrs Ms Mssrs Messrs Dr Drs St Ste Jr Sr Snr Jnr Lt Gen Col Capt Cpt Cmdr Cdr Maj "
    "Sgt Cpl Pvt Adm Gov Sen Rep Pres Supt Prof Rev Hon Fr Br Sr Msgr Sra Srta Mme Mlle "
    "Inc Ltd Co Corp Bros Assn Dept Univ Mfg Ave Blvd Rd Hwy Mt Ft Fl Pl Sq "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec "
    "vs etc al approx ca cf viz ed eds pp op Vol vol Nos nos Ch ch Fig fig Eq eq"
).split()
# Words that are only abbreviations before a number: "No. 5", "no. 12", "p. 115".
_NUMBER_ABBREVIATIONS = "No no Nr nr Art art p pp Pt pt Vol vol".split()

_CURRENCY = "$£€¥₹₩₽¢"


@functools.lru_cache(maxsize=1)
def _marks() -> str:
    """A regex character-class body of every combining mark (Unicode categories M*).

    Python's ``\\w`` does not match combining marks (``"e\\u0301"``), so words in
    decomposed form, Indic scripts or with variation selectors need them added. All marks
    lie in planes 0-2 and in the variation selectors supplement (plane 14).
    """
    ranges: list[list[int]] = []
    for lo, hi in ((0x300, 0x30000), (0xE0100, 0xE01F0)):
        for cp in range(lo, hi):
            if unicodedata.category(chr(cp))[0] == "M":
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1][1] = cp
                else:
                    ranges.append([cp, cp])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    # Every word starts with a character that is no separator: saying so first lets the
    # engine pass a separator with one test instead of trying each alternative there.
    return re.compile(f"(?=[^{_SEP}])(?:" + "|".join(f"(?:{a})" for a in _alternatives()) + ")")


def _alternatives() -> list[str]:
    """The kinds of word, as regular expressions, in the order they are tried."""
    m = _marks()
    # A word character continues a word: letters/digits/underscore, marks, ZWNJ, ZWJ.
    wc = rf"[\w{m}\u200c\u200d]"
    letter = r"[^\W\d_]"
    # A segment: word characters, joined by an inner apostrophe that does not start a
    # clitic (O'Neal, hold'em), by number punctuation between digits (3,000 38.9 5:40
    # 9/23/06) or by an ampersand between capitals (AT&T, B&SR).
    seg = (
        rf"\w{wc}*"
        rf"(?:(?:{_APOS}(?!{_CLITIC}(?!{wc}))"
        rf"|(?<=\d)[.,:/](?=\d)"
        rf"|(?<=[A-Z])&(?=[A-Z]))"
        rf"{wc}+)*"
    )
    abbreviations = "|".join(sorted(set(_ABBREVIATIONS), key=len, reverse=True))
    number_abbreviations = "|".join(sorted(set(_NUMBER_ABBREVIATIONS), key=len, reverse=True))
    not_word_before = rf"(?<![\w{m}\u200c\u200d.'\u2019-])"
    not_word_after = rf"(?!{wc})"
    alternatives = [
        # Most words: word characters, or one other character, between whitespace. The
        # alternatives below give such a word whole too (each needs more: . @ ' % - : or two
        # characters), so this only saves trying them one by one, most of the time of splitting.
        rf"(?<!\S)(?:\w++|[^\w{_SEP}])(?=\s|\Z)",
        # URLs and e-mail addresses, without trailing punctuation.
        rf"(?:https?://|ftp://|www\.)[^{_SEP}<>\"'`]*[^{_SEP}<>\"'`.,;:!?)\]}}]",
        r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
        # Bare domain names: Ask.com, www-less ripoffreport.com.
        r"(?<![\w.@-])[\w-]+(?:\.[\w-]+)*\.(?i:com|org|net|edu|gov|info|io|biz)(?![\w.]*\w)",
        # Dotted acronyms: U.S. D.C. e.g. i.e. p.m. Ph.D. A.F.C. U.K (no final period).
        rf"{not_word_before}{letter}{{1,2}}(?:\.{letter})+\.?{not_word_after}",
        # Known abbreviations and initials keep their period.
        # ... but not the first period of an ellipsis: "etc..." is etc + ..., "x..." is x + ....
        rf"{not_word_before}(?:{abbreviations})\.(?!\.){not_word_after}",
        rf"{not_word_before}(?:{number_abbreviations})\.(?=\s*\d)",
        rf"{not_word_before}{letter}\.(?!\.){not_word_after}",
        # Decimals without a leading zero (a .470 average) and circa with a number (c.1240).
        rf"(?<![\w.])\.\d+%?{not_word_after}",
        r"(?<![\w.])c\.\d+" + not_word_after,
        # The stem before n't: did|n't, ca|n't, wo|n't.
        rf"{letter}+(?=[nN]{_APOS}[tT](?!{wc}))",
        rf"[nN]{_APOS}[tT](?!{wc})",
        # Clitics.
        rf"{_APOS}{_CLITIC}(?!{wc})",
        # Words: segments joined by hyphens, with an optional currency sign before a
        # number and a percent sign after one.
        rf"(?:[{_CURRENCY}](?=\d))?{seg}(?:-(?={wc}){seg})*(?:(?<=\d)%)?",
        # Runs of punctuation that wikigold keeps together.
        r"\.{2,}|-{2,}|[!?]{2,}|`{2}|'{2}",
        # Regional-indicator pairs (flags).
        r"[\U0001F1E6-\U0001F1FF]{2}",
        # Anything else: one character with the marks, modifiers, tags and ZWJ sequences
        # that belong to it.
        rf"[^{_SEP}](?:[{m}\ufe0e\ufe0f\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]"
        rf"|\u200d[^{_SEP}])*",
    ]
    return alternatives


# Closing characters that may follow a sentence-final abbreviation at the end of the text.
_TRAILING_CLOSERS = re.compile(r"[\s\"')\]}\u2019\u201d\u00bb]*\Z")


def split_words(text: str) -> list[Word]:
    """Split raw text into words with character offsets, the way wikigold splits words.

    >>> [w.text for w in split_words("The Mad Capsule Markets' album sold 3,000 copies.")]
    ['The', 'Mad', 'Capsule', 'Markets', "'", 'album', 'sold', '3,000', 'copies', '.']
    """
    if not isinstance(text, str):
        raise TypeError(f"split_words expects a str, not {type(text).__name__}")
    words = [Word(m.group(), *m.span()) for m in _pattern().finditer(text)]
    # Only a word followed by nothing but closing characters to the end of the text can be a
    # final abbreviation: look at the last words only, back to the first that is not a closer.
    for k in range(len(words) - 1, -1, -1):
        token, start, end = words[k].text, words[k].start, words[k].end
        if _TRAILING_CLOSERS.match(text, start):
            continue  # closing characters themselves
        if len(token) > 1 and token.endswith(".") and token[-2] != "." and _TRAILING_CLOSERS.match(text, end):
            # The text ends with this abbreviation: its period ends the sentence too, and
            # wikigold writes that as a word of its own ("in the U.K ." "Edward D .").
            words[k : k + 1] = [Word(token[:-1], start, end - 1), Word(".", end - 1, end)]
        break
    return words
