"""The custom code a saved model carries, so plain transformers gives nerkit's answers.

:func:`nerkit.modeling.portable.write_portable` copies these files into every saved model
directory, where ``config.json`` names them (``auto_map``, ``custom_pipelines``) and
``trust_remote_code=True`` runs them. They import only torch, transformers (and numpy, a
dependency of both) and each other, so a user without nerkit can use the model:

* ``configuration_nerkit.py``: :class:`NerkitConfig` (``model_type="nerkit"``);
* ``modeling_nerkit.py``: :class:`NerkitForTokenClassification` (encoder and CRF);
* ``pipeline_nerkit.py``: :class:`NerkitTokenClassificationPipeline` (nerkit's words,
  sentences, windows, casing and Viterbi);

and, copied from the rest of nerkit so there is one version of each, ``crf.py``
(nerkit.modeling.crf), ``partition.py`` (nerkit.modeling.partition, which crf.py imports),
``casing.py`` (nerkit.encoding.casing), ``words.py``, ``sentences.py`` and ``consistency.py``
(nerkit.text.words, nerkit.text.sentences and nerkit.text.consistency). In a model directory the
files import those siblings relatively (``from .crf import ...``); inside nerkit the same
names are made to point at nerkit's own modules below, so these files are real, tested
modules here too.

>>> sorted(FILES)
['casing.py', 'configuration_nerkit.py', 'consistency.py', 'crf.py', 'modeling_nerkit.py', 'partition.py', 'pipeline_nerkit.py', 'sentences.py', 'words.py']
"""

from __future__ import annotations

import sys
from pathlib import Path

from ...encoding import casing
from ...text import consistency, sentences, words
from .. import crf, partition

__all__ = ["FILES"]

# The siblings the custom code imports, by the name it imports them by.
SHARED = {
    "crf": crf,
    "partition": partition,
    "casing": casing,
    "words": words,
    "sentences": sentences,
    "consistency": consistency,
}
for _name, _module in SHARED.items():
    sys.modules.setdefault(f"{__name__}.{_name}", _module)

_HERE = Path(__file__).parent
# File name in a model directory -> the source it is copied from.
FILES = {
    **{name: _HERE / name for name in ("configuration_nerkit.py", "modeling_nerkit.py", "pipeline_nerkit.py")},
    **{f"{name}.py": Path(module.__file__) for name, module in SHARED.items()},
}
