"""A model scored on tagged data: predict, then score the words against the data's tags.

>>> import nerkit
>>> train, test = nerkit.split(nerkit.load("wikigold"), test_fraction=0.5, seed=100)
>>> print(nerkit.evaluate(model, test))          # doctest: +SKIP
entity-level scores (seqeval, default mode, IO tags), word level
...

Under several processes (training with ``--nproc``) each process tags its own share of the
data; the tags are gathered in input order, made consistent per document (the
``consistency`` option) and scored once, so every process gets the same
report and takes the same best-epoch and early-stopping decisions.
"""

from __future__ import annotations

from ..data.dataset import Dataset
from ..data.formats import as_dataset
from ..encoding.context import surrounding
from ..errors import DataError
from ..inference.consistency import consistent_tags
from ..inference.predict import predict
from ..parallel.group import Context
from .scores import MODES, Report, score

__all__ = ["evaluate"]


def evaluate(model, data: Dataset, mode: str = MODES[0], ctx: Context | None = None, **options) -> Report:
    """Predict ``data`` with ``model`` and score it against the data's own tags.

    ``options`` are :class:`~nerkit.modeling.options.InferenceOptions` fields for
    :func:`nerkit.predict`. A gold tag the model does not know is an error, not a silent miss.
    """
    data = as_dataset(data)  # a datasets.Dataset too
    if data.labels is None:
        raise DataError(f"{data.name or 'the data'} has no tags to evaluate against; give a file with a tag column")
    ctx = ctx or Context()
    if not ctx.distributed:
        prediction = predict(model, data, **options)
        return score(data.labels, prediction.tags, mode=mode, loss=prediction.loss)
    n = len(data)
    lo, hi = n * ctx.rank // ctx.world_size, n * (ctx.rank + 1) // ctx.world_size
    # Each sentence's document context comes from the whole data, not just this process's share.
    settings = model.inference.updated(**options)
    around = surrounding(data.sentences, data.doc_ids, settings.context, data.positions)[lo:hi]
    # Names are made consistent over whole documents, so once the shares are gathered.
    share = {**options, "consistency": False}
    part = predict(model, data.select(range(lo, hi)), surroundings=around, **share) if hi > lo else None
    mine = (part.tags, (part.loss or 0.0) * part.labelled, part.labelled) if part else ([], 0.0, 0)
    parts = ctx.gather(mine)
    tags = [t for p in parts for t in p[0]]
    if settings.consistency:
        tags = consistent_tags(data.sentences, tags, data.doc_ids, model.output_scheme)
    labelled = sum(p[2] for p in parts)
    loss = sum(p[1] for p in parts) / labelled if labelled else None
    return score(data.labels, tags, mode=mode, loss=loss)
