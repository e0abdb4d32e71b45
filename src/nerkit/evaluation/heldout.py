"""Which sentences to score: by default the test side a model's own training held out.

>>> import nerkit
>>> model = nerkit.load_model("runs/wikigold")                              # doctest: +SKIP
>>> side = held_out(model, nerkit.load("wikigold"))                         # doctest: +SKIP
>>> side.description                                                        # doctest: +SKIP
'scored the recorded test side of wikigold: 848 sentences (test_fraction 0.5, seed 100, split by sentence)'
>>> nerkit.evaluate(model, side.data).f1                                    # doctest: +SKIP
0.77...

``nerkit train`` records in the model (``nerkit.json``, ``train_config``) the data it split,
that data's :func:`~nerkit.data.fingerprint.fingerprint`, the test fraction, the seed and how
it split (:func:`record_split`). Given the same data again, :func:`held_out` makes the very
same split and returns its test side, so a score is a held-out score unless asked otherwise:

* ``all=True`` scores all of the data; if the model was trained on some of it, the
  :class:`Side` carries a warning saying on how many of the sentences;
* ``test_fraction``/``seed``/``split_by`` given explicitly make that split instead (the
  recorded values fill in the ones not given); a warning counts the scored sentences the
  model was trained on, if any;
* data the model was not split from (another file, or the test file it was trained with)
  is scored whole;
* a model that records no training data (saved by ``nerkit.fit`` and ``model.save``, or by
  an older nerkit) cannot be checked: the data is scored whole (or split as asked) and the
  description says so.

Data is recognised by its fingerprint (the same words in the same order, whatever the file is
called); a model recorded before fingerprints were is matched by the name given to ``--data``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..data.dataset import Dataset
from ..data.fingerprint import fingerprint
from ..data.formats import as_dataset
from ..data.splits import DEFAULT_SEED, DEFAULT_TEST_FRACTION, SPLIT_BY, check_fraction, check_seed, split, subsample
from ..errors import ConfigError, DataError

__all__ = ["Side", "held_out", "record_split"]


@dataclass
class Side:
    """The sentences to score, what they are in words, and a warning when the model saw some of them."""

    data: Dataset
    description: str
    warning: str | None = None
    trained_on: int | None = None  # how many of them the model was trained on (None: cannot tell)


def record_split(
    data: Dataset,
    source: str,
    test_fraction: float,
    split_by: str,
    test_data: Dataset | None = None,
    test_source: str | None = None,
    subsample_fraction: float | None = None,
) -> dict:
    """What ``nerkit train`` records of the data it trained on (merged into ``NerModel.train_config``).

    The seed is recorded with the training options (``train_config["seed"]``).
    """
    record = {
        "data": source,
        "data_sha256": fingerprint(data),
        "data_sentences": len(data),
        "test_fraction": test_fraction,
        "split_by": split_by,
        "subsample": subsample_fraction,
    }
    if test_data is not None:
        record.update(test_data=test_source, test_data_sha256=fingerprint(test_data))
    return record


def _same_source(recorded, given: str | None) -> bool:
    """For records without fingerprints: the same ``--data`` string, or paths to the same file."""
    if not isinstance(recorded, str) or given is None:
        return False
    if recorded == given:
        return True
    try:
        return os.path.exists(given) and os.path.exists(recorded) and os.path.samefile(recorded, given)
    except OSError:
        return False


def _which(record: dict, data: Dataset, source: str | None) -> str | None:
    """``"train"`` if ``data`` is what the model was split from, ``"test"`` if its test data, else None."""
    if "data_sha256" in record:
        mark = fingerprint(data)
        if mark == record["data_sha256"]:
            return "train"
        return "test" if mark == record.get("test_data_sha256") else None
    if _same_source(record.get("data"), source) and record.get("data_sentences", len(data)) == len(data):
        return "train"
    return "test" if _same_source(record.get("test_data"), source) else None


def _index(data: Dataset) -> Dataset:
    """``data``'s sentence numbers as a data set of the same documents: split it as ``data`` would be."""
    return Dataset([[str(i)] for i in range(len(data))], None, list(data.doc_ids), data.name)


def _numbers(index: Dataset) -> list[int]:
    return [int(s[0]) for s in index.sentences]


def _indices(data: Dataset, fraction: float, seed: int, by: str, sample: float | None) -> tuple[list[int], list[int]]:
    """(training, test) sentence indices of ``data`` under a split, made by the very calls training made."""
    train, test = split(_index(data), test_fraction=fraction, seed=seed, by=by)
    if sample:  # `nerkit train --quick` trained and tested on a sample of each side
        train, test = subsample(train, sample, seed), subsample(test, sample, seed)
    return _numbers(train), _numbers(test)


def _settings(fraction, seed, by) -> str:
    return f"test_fraction {fraction}, seed {seed}, split by {by}"


def _warning(trained_on: int, scored: int, name: str) -> str | None:
    if not trained_on:
        return None
    return (
        f"the model was trained on {trained_on} of these {scored} sentences of {name}, so this is not a "
        "held-out score; drop --all and --test-fraction/--seed/--split-by to score the recorded test side"
    )


def _of_training_data(data: Dataset, record: dict, name: str, everything: bool, asked: dict) -> Side:
    """A side of the very data the model was split from: the recorded test side unless asked otherwise."""
    n = len(data)
    seed = record.get("seed", DEFAULT_SEED)
    sample = record.get("subsample")
    if record.get("test_data") is not None or record.get("test_data_sha256"):
        # Trained on all of it (or on a sample of it), its test side a separate file.
        trained = set(_numbers(subsample(_index(data), sample, seed)) if sample else range(n))
        recorded_test = None
    else:
        fraction, by = record.get("test_fraction", DEFAULT_TEST_FRACTION), record.get("split_by", SPLIT_BY[0])
        train_idx, recorded_test = _indices(data, fraction, seed, by, sample)
        trained = set(train_idx)
    if everything:
        chosen, what = list(range(n)), f"scored all of {name}: {n} sentences (--all)"
    elif any(v is not None for v in asked.values()):
        fraction = asked["test_fraction"] or record.get("test_fraction", DEFAULT_TEST_FRACTION)
        seed_ = asked["seed"] if asked["seed"] is not None else seed
        by = asked["split_by"] or record.get("split_by", SPLIT_BY[0])
        chosen = _indices(data, fraction, seed_, by, None)[1]
        what = f"scored the test side of {name} asked for: {len(chosen)} sentences ({_settings(fraction, seed_, by)})"
    elif recorded_test is None:
        raise ConfigError(
            f"the model was trained on all of {name} (its test data was {record.get('test_data')}); score that "
            "test data (--data), or pass --all to score the training data anyway"
        )
    else:
        chosen = recorded_test
        settings = _settings(record.get("test_fraction"), seed, record.get("split_by"))
        sampled = f", a {sample} sample of each side" if sample else ""
        what = f"scored the recorded test side of {name}: {len(chosen)} sentences ({settings}{sampled})"
    trained_on = len(trained.intersection(chosen))
    return Side(data.select(chosen), what, _warning(trained_on, len(chosen), name), trained_on)


def _whole_or_split(data: Dataset, name: str, why: str, asked: dict, everything: bool) -> Side:
    if everything or all(v is None for v in asked.values()):
        return Side(data, f"scored all of {name}: {len(data)} sentences ({why})")
    fraction = asked["test_fraction"] or DEFAULT_TEST_FRACTION
    seed = asked["seed"] if asked["seed"] is not None else DEFAULT_SEED
    by = asked["split_by"] or SPLIT_BY[0]
    test = split(data, test_fraction=fraction, seed=seed, by=by)[1]
    return Side(
        test,
        f"scored the test side of {name} asked for: {len(test)} sentences ({_settings(fraction, seed, by)}; {why})",
    )


def held_out(
    model,
    data: Dataset,
    all: bool = False,
    test_fraction: float | None = None,
    seed: int | None = None,
    split_by: str | None = None,
    source: str | os.PathLike | None = None,
) -> Side:
    """The sentences of ``data`` to score ``model`` on; see the module docstring.

    ``source`` is the name ``data`` was loaded from (``"wikigold"``, a path): it names the data
    in the description, and matches it for models recorded before fingerprints were.
    """
    if all and any(v is not None for v in (test_fraction, seed, split_by)):
        raise ConfigError("--all scores all of --data; drop --test-fraction/--seed/--split-by, or drop --all")
    data = as_dataset(data)
    # Checked first: --test-fraction 0 would otherwise read as "not given" below, and a bad seed as "cannot split".
    if test_fraction is not None:
        check_fraction(test_fraction, "--test-fraction")
    if seed is not None:
        check_seed(seed, "seed (--seed)")
    if data.labels is None:
        raise DataError(f"{data.name or 'the data'} has no tags to score against; give a file with a tag column")
    asked = {"test_fraction": test_fraction, "seed": seed, "split_by": split_by}
    source = None if source is None else str(source)
    name = Path(source).name if source and os.path.exists(source) else source or data.name or "the data"
    record = getattr(model, "train_config", None) or {}
    if "data" not in record:
        why = "the model records no training data, so nerkit cannot tell whether it was trained on them"
        return _whole_or_split(data, name, why, asked, all)
    which = _which(record, data, source)
    if which == "train":
        return _of_training_data(data, record, name, all, asked)
    why = (
        "the test data the model was trained with"
        if which == "test"
        else f"not the data it was trained on, {record['data']}"
    )
    return _whole_or_split(data, name, why, asked, all)
