"""Tags, tagging schemes and the label map between tags and model class ids.

Word-level tags are strings: ``"O"`` (outside any entity) or ``PREFIX-TYPE`` with a
one-letter prefix: ``B-`` (begin), ``I-`` (inside), ``E-`` (end), ``S-`` (single).
A bare ``TYPE`` with no prefix and no hyphen (``"PER"``) is read as ``I-TYPE``, that
is IO style, because that is what such data sets mean: every word of an entity carries
the same tag. Anything else (``"Z-PER"``, ``"L-PER"``, ``"PER-B"``, a lone ``"B"``)
raises :class:`~nerkit.errors.DataError`.

Entities are spans ``(type, start, end)`` over word indices, ``end`` exclusive:

>>> tags_to_spans(["B-PER", "I-PER", "O", "B-LOC"])
[('PER', 0, 2), ('LOC', 3, 4)]
>>> spans_to_tags([("PER", 0, 2), ("LOC", 3, 4)], 5, scheme="BIOES")
['B-PER', 'E-PER', 'O', 'S-LOC', 'O']

The four schemes, for "Mary" "John Smith" "in" "Paris" with two adjacent people:

======  ==========================================
IO      I-PER  I-PER  I-PER  O  I-LOC
IOB1    I-PER  B-PER  I-PER  O  I-LOC
BIO     B-PER  B-PER  I-PER  O  B-LOC
BIOES   S-PER  B-PER  E-PER  O  S-LOC
======  ==========================================

IO cannot mark where one entity ends and the next of the same type begins, so
converting to IO merges adjacent same-type entities (Mary and John Smith above become
one PER); every other conversion keeps the spans exactly:

>>> convert_scheme(["B-PER", "B-PER", "I-PER", "O", "B-LOC"], to="IOB1")
['I-PER', 'B-PER', 'I-PER', 'O', 'I-LOC']
>>> convert_scheme(["B-PER", "B-PER", "I-PER", "O", "B-LOC"], to="IO")
['I-PER', 'I-PER', 'I-PER', 'O', 'I-LOC']

Decoding is lenient, the same as seqeval's default mode, so a model's ill-formed output
still yields entities: an ``I-`` after ``O`` or after another type starts an entity, an
``E-`` without a ``B-`` still ends one.

>>> tags_to_spans(["O", "I-PER", "I-LOC", "E-LOC", "E-ORG"])
[('PER', 1, 2), ('LOC', 2, 4), ('ORG', 4, 5)]

:func:`detect_scheme` names the scheme a data set uses:

>>> detect_scheme([["I-PER", "I-PER", "O"], ["O", "I-LOC"]])
'IO'
>>> detect_scheme([["I-PER", "B-PER", "O"]])
'IOB1'
>>> detect_scheme([["B-PER", "I-PER", "O"]])
'BIO'

The label map fixes which class id means which tag. A recipe that gives trailing word
pieces their own tag (``"X"``) gets one more class, always the last:

>>> lm = create_label_map([["B-PER", "O"], ["B-LOC", "I-LOC"]])
>>> lm.names
('O', 'B-LOC', 'B-PER', 'I-LOC', 'X')
>>> lm.encode(["B-PER", "O", "X"])
[2, 0, 4]
>>> lm.decode([2, 0])
['B-PER', 'O']
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .errors import ConfigError, DataError, ModelError, excerpt

__all__ = [
    "TRAILING_TAG",
    "SCHEMES",
    "LabelMap",
    "create_label_map",
    "detect_scheme",
    "tags_to_spans",
    "spans_to_tags",
    "convert_scheme",
    "entity_type",
    "split_tag",
    "seqeval_scheme",
    "canonical_scheme",
]

TRAILING_TAG = "X"
SCHEMES = ("IO", "IOB1", "BIO", "BIOES")

# Names people also use for the same schemes; accepted so `--scheme iob2` just works.
_SCHEME_ALIASES = {"IOB2": "BIO", "IOBES": "BIOES"}
_ALLOWED_PREFIXES = {
    "IO": frozenset("OI"),
    "IOB1": frozenset("OIB"),
    "BIO": frozenset("OIB"),
    "BIOES": frozenset("OIBES"),
}
_TAG_FORMS = "O, B-TYPE, I-TYPE, E-TYPE, S-TYPE or a bare TYPE (read as I-TYPE)"
# Long label lists are cut in error messages so the message stays one readable line.
_MAX_LISTED = 12


# --------------------------------------------------------------------------- tags


def split_tag(tag: str) -> tuple[str, str | None]:
    """Split a tag into ``(prefix, type)``; ``"O"`` gives ``("O", None)``.

    >>> split_tag("B-PER"), split_tag("O"), split_tag("PER"), split_tag("I-ORG-X")
    (('B', 'PER'), ('O', None), ('I', 'PER'), ('I', 'ORG-X'))
    """
    return _split(tag, "")


def entity_type(tag: str) -> str | None:
    """The entity type of a tag: ``"B-PER"`` -> ``"PER"``, ``"O"`` -> None, ``"PER"`` -> ``"PER"``."""
    return _split(tag, "")[1]


@lru_cache(maxsize=4096)
def _split_cached(tag: str) -> tuple[str, str | None]:
    if tag == "O":
        return "O", None
    head, sep, rest = tag.partition("-")
    if not sep:
        if tag in ("B", "I", "E", "S"):
            raise DataError(
                f"tag {excerpt(tag)} has a prefix but no entity type; write it as {tag}-TYPE (e.g. {tag}-ENT)"
            )
        if not tag or tag != tag.strip() or any(c.isspace() for c in tag):
            raise DataError(f"tag {excerpt(tag)} is empty or contains spaces; tags are {_TAG_FORMS}")
        return "I", tag
    if len(head) != 1:
        raise DataError(
            f"tag {excerpt(tag)} does not start with a one-letter prefix; tags are {_TAG_FORMS} "
            "(suffix-style tags like PER-B must be rewritten as B-PER)"
        )
    if head not in "BIES":
        hint = " (BILOU's L-/U- are BIOES's E-/S-; rename them)" if head in "LU" else ""
        raise DataError(f"tag {excerpt(tag)} has unknown prefix {head!r}; tags are {_TAG_FORMS}{hint}")
    if not rest or rest != rest.strip() or any(c.isspace() for c in rest):
        raise DataError(f"tag {excerpt(tag)} has an empty entity type or one with spaces; write it as {head}-TYPE")
    return head, rest


def _split(tag: object, where: str) -> tuple[str, str | None]:
    if not isinstance(tag, str):
        raise DataError(f"{where}tag {excerpt(tag)} is not a string; tags are {_TAG_FORMS}")
    try:
        return _split_cached(tag)
    except DataError as e:
        if not where:
            raise
        raise DataError(f"{where}{e}") from None


def canonical_scheme(scheme: object, what: str = "scheme") -> str:
    """The scheme's name as nerkit spells it (aliases accepted); a ConfigError naming the known ones otherwise.

    >>> canonical_scheme("iob2"), canonical_scheme("BIOES")
    ('BIO', 'BIOES')
    """
    name = str(scheme).upper() if isinstance(scheme, str) else None
    name = _SCHEME_ALIASES.get(name, name)
    if name not in SCHEMES:
        raise ConfigError(
            f"{what} {scheme!r} is not a known tagging scheme; use one of "
            f"{', '.join(SCHEMES)} (IOB2 = BIO, IOBES = BIOES)"
        )
    return name


# --------------------------------------------------------------------------- spans


def tags_to_spans(tags: Sequence[str], scheme: str | None = None) -> list[tuple[str, int, int]]:
    """Entities ``(type, start, end)`` in ``tags``, ``end`` exclusive, in order.

    Decoding is lenient and gives the same entities as seqeval's default (non-strict)
    ``get_entities``: ``B-``/``S-`` always start an entity; ``I-``/``E-`` continue the
    entity before them if it has the same type and has not ended, otherwise start a new
    one; ``E-``/``S-`` end their entity. ``scheme`` only restricts which prefixes may
    appear (e.g. ``E-`` in ``"BIO"`` data raises DataError); None accepts all four.

    Callers decoding model output must map the trailing-piece tag (``"X"``) away first:
    it is a model class, not a word tag, and would read as a bare entity type here.

    >>> tags_to_spans(["I-PER", "B-PER", "O", "S-LOC", "PER"])
    [('PER', 0, 1), ('PER', 1, 2), ('LOC', 3, 4), ('PER', 4, 5)]
    """
    if scheme is not None:
        scheme = canonical_scheme(scheme)
    allowed = _ALLOWED_PREFIXES[scheme] if scheme is not None else None
    spans: list[tuple[str, int, int]] = []
    prev_p, prev_t = "O", None
    start, previous = 0, -1
    n = len(tags)
    # Only the tags other than "O" are read one by one (most words are "O"): between two of
    # them, a run of "O" only closes the entity before it. n is the virtual "O" after the end.
    for i in [*itertools.compress(range(n), map("O".__ne__, tags)), n]:
        if prev_p != "O" and i > previous + 1:
            spans.append((prev_t, start, previous + 1))
            prev_p, prev_t = "O", None
        previous = i
        if i < n:
            p, t = _split(tags[i], f"position {i}: ")
            if allowed is not None and p not in allowed:
                raise DataError(
                    f"position {i}: tag {excerpt(tags[i])} is not a {scheme} tag; fix the data, "
                    "pass the scheme it uses, or scheme=None to accept any"
                )
        else:
            p, t = "O", None
        # The two rules below are seqeval's end_of_chunk/start_of_chunk, so that
        # our spans and seqeval's scores always agree on the same tags.
        ends = prev_p != "O" and (prev_p in "ES" or p in "BSO" or prev_t != t)
        starts = p != "O" and (p in "BS" or prev_p in "OES" or prev_t != t)
        if ends:
            spans.append((prev_t, start, i))
        if starts:
            start = i
        prev_p, prev_t = p, t
    return spans


def spans_to_tags(spans: Iterable[Sequence], length: int, scheme: str = "BIO") -> list[str]:
    """Tags for ``length`` words with ``spans`` (``(type, start, end)``, end exclusive).

    Spans may come in any order but must not overlap. In ``"IO"`` adjacent spans of the
    same type come out as one run of ``I-`` tags, i.e. they merge; no IO tagging can
    tell them apart. ``"IOB1"`` uses ``B-`` only on the first word of an entity that
    directly follows one of the same type.

    >>> spans_to_tags([("PER", 0, 1), ("PER", 1, 3)], 4, scheme="IOB1")
    ['I-PER', 'B-PER', 'I-PER', 'O']
    """
    scheme = canonical_scheme(scheme)
    length = operator.index(length)
    if length < 0:
        raise DataError(f"length {length} is negative; pass the number of words")
    checked: list[tuple[str, int, int]] = []
    for span in spans:
        try:
            etype, start, end = span
            start, end = operator.index(start), operator.index(end)
        except (TypeError, ValueError):
            raise DataError(f"span {excerpt(span)} is not (type, start, end) with integer start and end") from None
        if not 0 <= start < end <= length:
            raise DataError(
                f"span {excerpt(span)} is empty or outside the {length} words; spans are "
                "(type, start, end) with 0 <= start < end <= length, end exclusive"
            )
        if not isinstance(etype, str):
            raise DataError(f"span {excerpt(span)}: type {excerpt(etype)} is not a string")
        _split(f"I-{etype}", f"span {excerpt(span)}: ")
        # Catch the easy slip of passing a tag where a type belongs.
        if etype == "O" or (len(etype) > 2 and etype[1] == "-" and etype[0] in "BIES"):
            raise DataError(
                f"span {excerpt(span)} has type {excerpt(etype)}; a span's type is the bare entity type (PER, not B-PER or O)"
            )
        checked.append((etype, start, end))
    checked.sort(key=lambda s: s[1])

    tags = ["O"] * length
    prev: tuple[str, int, int] | None = None
    for etype, start, end in checked:
        if prev is not None and start < prev[2]:
            raise DataError(
                f"spans {excerpt(prev)} and {(etype, start, end)!r} overlap; nested or "
                "overlapping entities cannot be written as flat tags"
            )
        touches_same = prev is not None and prev[2] == start and prev[0] == etype
        if scheme == "IO":
            tags[start:end] = [f"I-{etype}"] * (end - start)
        elif scheme == "IOB1":
            tags[start:end] = [f"I-{etype}"] * (end - start)
            if touches_same:
                tags[start] = f"B-{etype}"
        elif scheme == "BIO":
            tags[start:end] = [f"B-{etype}"] + [f"I-{etype}"] * (end - start - 1)
        else:  # BIOES
            if end - start == 1:
                tags[start] = f"S-{etype}"
            else:
                tags[start:end] = [f"B-{etype}"] + [f"I-{etype}"] * (end - start - 2) + [f"E-{etype}"]
        prev = (etype, start, end)
    return tags


def convert_scheme(tags: Sequence[str], to: str, source: str | None = None) -> list[str]:
    """Rewrite ``tags`` in scheme ``to`` (decoded leniently, see :func:`tags_to_spans`).

    ``source`` restricts the prefixes accepted on input, as ``scheme`` does for
    :func:`tags_to_spans`. Converting to ``"IO"`` merges adjacent entities of the same
    type (IO has no way to separate them); every other target keeps the entities.
    Bare tags (``"PER"``) come out prefixed (``"I-PER"`` in IO).
    """
    to = canonical_scheme(to, "target scheme")
    return spans_to_tags(tags_to_spans(tags, source), len(tags), to)


def detect_scheme(sequences: Iterable[Sequence[str]]) -> str:
    """The tagging scheme of a data set: one of :data:`SCHEMES`.

    - any ``E-`` or ``S-`` tag: ``"BIOES"``;
    - no ``B-`` tag (only ``I-``, bare types and ``O``): ``"IO"``. Such data is also
      valid IOB1 (IOB1 needs ``B-`` only between adjacent same-type entities), but
      nothing in it tells the two apart, so the narrower name is given;
      :func:`seqeval_scheme` maps IO to seqeval's IOB1 for strict scoring anyway;
    - otherwise each entity's first tag is a vote: an entity opened by ``B-`` where
      IOB1 would have used ``I-`` (after ``O``, at the start, or after another type)
      is a vote for ``"BIO"``; an entity opened by ``I-`` is a vote for ``"IOB1"``.
      Clean data votes one way only; for mixed (noisy) data the majority wins, a tie
      goes to ``"BIO"``, the common case.

    ``sequences`` is an iterable of tag sequences (one per sentence); a flat sequence
    of tags is read as one sentence. Tags that are not valid raise DataError.
    """
    has_b = has_es = False
    bio_votes = iob1_votes = 0

    def scan(seq: Sequence[str], where: str) -> None:
        nonlocal has_b, has_es, bio_votes, iob1_votes
        prev_p, prev_t = "O", None
        for j, tag in enumerate(seq):
            p, t = _split(tag, f"{where}position {j}: ")
            if p in "ES":
                has_es = True
            elif p == "B":
                has_b = True
                # After an open entity of the same type, B- is how both BIO and IOB1
                # split adjacent entities; only elsewhere does it prove BIO.
                if prev_t != t or prev_p in "ES":
                    bio_votes += 1
            elif p == "I" and (prev_t != t or prev_p in "ES"):
                iob1_votes += 1
            prev_p, prev_t = p, t

    flat: list[str] = []
    for i, seq in enumerate(sequences):
        if isinstance(seq, str):
            flat.append(seq)
            continue
        if flat:
            scan(flat, "")
            flat = []
        scan(seq, f"sequence {i}, ")
    if flat:
        scan(flat, "")

    if has_es:
        return "BIOES"
    if not has_b:
        return "IO"
    return "BIO" if bio_votes >= iob1_votes else "IOB1"


def seqeval_scheme(scheme: str):
    """The ``seqeval.scheme`` class for strict-mode scoring of ``scheme``.

    IO -> ``IOB1`` (seqeval has no IO scheme; IO tags are valid IOB1 and decode to
    the same entities), IOB1 -> ``IOB1``, BIO -> ``IOB2``, BIOES -> ``IOBES``. seqeval
    strict mode needs prefixed tags: convert data with bare tags first
    (``convert_scheme(tags, "IO")``).
    """
    from seqeval import scheme as sq

    return {"IO": sq.IOB1, "IOB1": sq.IOB1, "BIO": sq.IOB2, "BIOES": sq.IOBES}[canonical_scheme(scheme)]


# --------------------------------------------------------------------------- label map


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (", ..." if len(names) > _MAX_LISTED else "")


def _clash_error(trailing_tag: str) -> ConfigError:
    return ConfigError(
        f"the trailing-piece tag {excerpt(trailing_tag)} is also a tag in the data; choose "
        f"another with trailing_tag=... (e.g. trailing_tag='[{trailing_tag}]'), or "
        "trailing_tag=None to leave trailing pieces out of the loss"
    )


@dataclass(frozen=True)
class LabelMap:
    """The model's output classes: ``tags`` in id order, then ``trailing_tag`` if set.

    ``tags`` keeps the order it is given in, because a map rebuilt from a saved model
    must give every tag the id the model was trained with; :func:`create_label_map`
    is what puts ``"O"`` first and sorts the rest. ``trailing_tag`` (e.g. ``"X"``) is
    the tag a recipe gives word pieces after a word's first; None means those pieces
    are labelled -100 and ignored by the loss.
    """

    tags: tuple[str, ...]
    trailing_tag: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.tags, str) or not isinstance(self.tags, Iterable):
            raise ConfigError(f"LabelMap tags must be a sequence of tag strings, not {excerpt(self.tags)}")
        # Freeze a list into a tuple so the map is hashable and cannot drift.
        object.__setattr__(self, "tags", tuple(self.tags))
        if not self.tags:
            raise ConfigError("a LabelMap needs at least one tag; the data has none")
        bad = [t for t in self.tags if not isinstance(t, str) or not t]
        if bad:
            raise ConfigError(f"LabelMap tags must be non-empty strings, got {bad[0]!r}")
        if len(set(self.tags)) != len(self.tags):
            dup = next(t for t in self.tags if self.tags.count(t) > 1)
            raise ConfigError(f"tag {excerpt(dup)} appears twice in the LabelMap; tags must be unique")
        if self.trailing_tag is not None:
            if not isinstance(self.trailing_tag, str) or not self.trailing_tag:
                raise ConfigError(
                    f"trailing_tag {excerpt(self.trailing_tag)} must be a non-empty string such as 'X', or None"
                )
            if self.trailing_tag in self.tags:
                raise _clash_error(self.trailing_tag)

    @property
    def names(self) -> tuple[str, ...]:
        """The model's output classes in id order."""
        return self._names

    @cached_property
    def _names(self) -> tuple[str, ...]:
        return self.tags + ((self.trailing_tag,) if self.trailing_tag is not None else ())

    @cached_property
    def _index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self._names)}

    @property
    def label2id(self) -> dict[str, int]:
        # A fresh dict each time: callers (transformers configs) may keep and mutate it.
        return dict(self._index)

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self._names))

    @property
    def num_labels(self) -> int:
        return len(self._names)

    def encode(self, tags: Sequence[str], where: str = "") -> list[int]:
        """Class ids for ``tags``; ``where`` (e.g. ``"train.conll line 12: "``) prefixes errors."""
        index = self._index
        if not isinstance(tags, Sequence):
            tags = list(tags)
        try:
            return [index[t] for t in tags]
        except (KeyError, TypeError):
            pass
        bad = next(t for t in tags if not isinstance(t, str) or t not in index)
        raise DataError(
            f"{where}tag {excerpt(bad)} is not one of the model's labels "
            f"({_listing(self._names)}); retrain with data that has it or fix the data"
        )

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tags for class ids (ints, numpy ints or 0-d integer tensors)."""
        names = self._names
        out = []
        for raw in ids:
            try:
                i = operator.index(raw)
            except TypeError:
                raise ModelError(f"label id {excerpt(raw)} is not an integer") from None
            if not 0 <= i < len(names):
                raise ModelError(
                    f"label id {i} is out of range for this model's {len(names)} labels "
                    "(-100 marks ignored positions and must be dropped before decoding); "
                    "check the model and label map belong together"
                )
            out.append(names[i])
        return out

    def to_dict(self) -> dict:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {"tags": list(self.tags), "trailing_tag": self.trailing_tag}

    @classmethod
    def from_dict(cls, d: dict) -> LabelMap:
        if not isinstance(d, dict) or not isinstance(d.get("tags"), (list, tuple)):
            raise ModelError(
                f"the saved label map {excerpt(d)} has no 'tags' list; it is damaged or not a "
                "nerkit label map; retrain or restore the model directory"
            )
        try:
            return cls(tuple(d["tags"]), d.get("trailing_tag"))
        except ConfigError as e:
            raise ModelError(f"the saved label map is invalid: {e}") from None

    @classmethod
    def from_id2label(cls, id2label: dict[int | str, str], trailing_tag: str | None) -> LabelMap:
        """Rebuild from a transformers config's ``id2label`` (keys may be strings, as
        after a JSON round trip). ``trailing_tag``, if not None, must be the last id."""
        try:
            by_id = {int(k): v for k, v in id2label.items()}
        except (AttributeError, TypeError, ValueError):
            raise ModelError(
                f"id2label {excerpt(id2label)} is not a mapping from integer ids to tags; the model's config.json is damaged"
            ) from None
        if sorted(by_id) != list(range(len(by_id))):
            raise ModelError(
                f"id2label ids {sorted(by_id)} are not 0..{len(by_id) - 1}; the model's config.json is damaged"
            )
        names = [by_id[i] for i in range(len(by_id))]
        if trailing_tag is not None:
            if not names or names[-1] != trailing_tag:
                where = f"at id {names.index(trailing_tag)}, not last" if trailing_tag in names else "missing"
                raise ModelError(
                    f"the trailing-piece tag {excerpt(trailing_tag)} is {where} in the model's "
                    f"labels ({_listing(names)}); pass the trailing_tag the model was "
                    "trained with (None if it had none)"
                )
            names = names[:-1]
        try:
            return cls(tuple(names), trailing_tag)
        except ConfigError as e:
            raise ModelError(f"the model's labels are invalid: {e}") from None


def create_label_map(
    tags: Iterable[str] | Iterable[Sequence[str]], trailing_tag: str | None = TRAILING_TAG
) -> LabelMap:
    """A label map for the tags in ``tags``: ``"O"`` first, then the others sorted.

    ``tags`` is a flat iterable of tags or an iterable of tag sequences (sentences).
    ``"O"`` is always included, even when the data never uses it, since the model
    must be able to predict it. Only tags seen are included (a BIO set with I-MISC but
    no B-MISC gets no B-MISC class). Invalid tags raise DataError; a ``trailing_tag``
    that is also a data tag raises ConfigError.

    >>> create_label_map(["I-PER", "O", "I-LOC"], trailing_tag=None).names
    ('O', 'I-LOC', 'I-PER')
    """
    if tags is None or isinstance(tags, (str, bytes)) or not hasattr(tags, "__iter__"):
        raise DataError(
            f"tags must be a list of tags or of tag sequences, got {type(tags).__name__}; e.g. ['O', 'I-PER']"
        )
    seen: set[str] = set()
    for item in tags:
        if not isinstance(item, str) and not hasattr(item, "__iter__"):
            raise DataError(f"tag {item!r} is a {type(item).__name__}, not a str; tags are strings such as 'I-PER'")
        for tag in (item,) if isinstance(item, str) else item:
            if isinstance(tag, str) and tag in seen:
                continue
            _split(tag, "")  # validates; raises DataError naming the tag
            seen.add(tag)
    if trailing_tag is not None and (trailing_tag in seen or trailing_tag == "O"):
        raise _clash_error(trailing_tag)
    seen.discard("O")
    return LabelMap(("O", *sorted(seen)), trailing_tag)
