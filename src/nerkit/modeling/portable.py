"""A saved model that plain transformers runs the way nerkit does (custom code in the directory).

>>> import nerkit
>>> model = nerkit.load_model("runs/wikigold")                             # doctest: +SKIP
>>> model.save("runs/shared")                                              # doctest: +SKIP
>>> from transformers import pipeline                                      # doctest: +SKIP
>>> ner = pipeline("token-classification", model="runs/shared", trust_remote_code=True,
...                aggregation_strategy="first")                           # doctest: +SKIP
>>> ner("Barack Obama visited Paris.")                                     # doctest: +SKIP
[{'entity_group': 'PER', 'score': 0.9731, 'word': 'Barack Obama', 'start': 0, 'end': 12}, ...]
>>> sorted(CUSTOM_CODE)
['AutoConfig', 'AutoModelForTokenClassification']

A model's answers depend on more than a transformers token classifier: the word shapes
fed through the token-type ids, the CRF's Viterbi path, how text is split into words and
sentences, windows over long sentences. :func:`write_portable` therefore saves the
network as :mod:`nerkit.modeling.remote` defines it: ``config.json`` of ``model_type``
``"nerkit"`` (the encoder's own configuration inside, as ``encoder_config``), whose
``auto_map`` and ``custom_pipelines`` name the custom code copied beside it, and
``model.safetensors`` holding the whole network (``encoder.*``, ``crf.*``).

Plain transformers knows ``model_type="nerkit"`` only through that code, so
``AutoModelForTokenClassification.from_pretrained(DIR)`` without ``trust_remote_code=True``
fails with transformers' message naming the flag, rather than quietly loading the encoder
without casing and CRF (format 1 did: micro F1 0.7052 where nerkit gives 0.7714).
:func:`read_portable` is how nerkit itself loads such a directory, without running the
copied code. Directories of format 1 (a plain transformers ``config.json``) still load
as before; saving one again (``nerkit upgrade DIR``) rewrites it in this form.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ModelError, first_line
from ..version import __version__
from .crf import LinearChainCRF
from .network import TokenClassifier
from .remote import FILES
from .remote.configuration_nerkit import NerkitConfig

__all__ = ["MODEL_TYPE", "CUSTOM_CODE", "PIPELINE", "write_portable", "is_portable", "read_portable", "as_pretrained"]

MODEL_TYPE = NerkitConfig.model_type
CUSTOM_CODE = {
    "AutoConfig": "configuration_nerkit.NerkitConfig",
    "AutoModelForTokenClassification": "modeling_nerkit.NerkitForTokenClassification",
}
PIPELINE = {
    "token-classification": {
        "impl": "pipeline_nerkit.NerkitTokenClassificationPipeline",
        "pt": ["AutoModelForTokenClassification"],
        "type": "text",
    }
}
WEIGHTS = "model.safetensors"


def write_portable(directory: Path, model) -> None:
    """Write ``model`` (a :class:`~nerkit.modeling.model.NerModel`) to ``directory``: config, weights, custom code."""
    from safetensors.torch import save_model

    encoder_config = model.network.encoder.config
    encoder_config.id2label = dict(model.label_map.id2label)
    encoder_config.label2id = dict(model.label_map.label2id)
    config = NerkitConfig(
        # A copy: a config taken in as a sub-config loses its attention implementation,
        # and the model being saved must keep running as it did.
        encoder_config=copy.deepcopy(encoder_config),
        casing=model.casing,
        use_crf=model.crf is not None,
        tags=list(model.label_map.tags),
        label_scheme=model.label_scheme,
        output_scheme=model.output_scheme,
        max_len=model.max_len,
        stride=model.inference.stride,
        context=model.inference.context,
        consistency=model.inference.consistency,
        precision=model.inference.precision,
        id2label=dict(model.label_map.id2label),
        label2id=dict(model.label_map.label2id),
        architectures=["NerkitForTokenClassification"],
        dtype=str(next(model.network.parameters()).dtype).removeprefix("torch."),
    )
    config.auto_map = dict(CUSTOM_CODE)
    config.custom_pipelines = json.loads(json.dumps(PIPELINE))
    config.nerkit_version = __version__
    config.save_pretrained(directory)
    save_model(model.network, str(directory / WEIGHTS), metadata={"format": "pt"})
    for name, source in FILES.items():
        shutil.copyfile(source, directory / name)


def is_portable(directory: Path) -> bool:
    """Whether ``directory``'s config.json is nerkit's own (format 2 on)."""
    try:
        return json.loads((directory / "config.json").read_text()).get("model_type") == MODEL_TYPE
    except (OSError, ValueError, AttributeError):
        return False


def read_portable(directory: Path) -> TokenClassifier:
    """The network of a directory written by :func:`write_portable`, with its weights (no custom code runs)."""
    from safetensors.torch import load_model
    from transformers import AutoModelForTokenClassification

    fix = "the directory is damaged: restore it from a good copy, or save or train the model again"
    try:
        config = NerkitConfig.from_pretrained(directory)
        encoder = AutoModelForTokenClassification.from_config(config.encoder_config)
        network = TokenClassifier(encoder, LinearChainCRF(config.num_labels) if config.use_crf else None)
    except Exception as exc:  # noqa: BLE001 - a damaged config fails in many ways deep in transformers
        raise ModelError(f"{directory / 'config.json'} does not describe a model ({first_line(exc)}); {fix}") from None
    try:
        missing, _ = load_model(network, str(directory / WEIGHTS), strict=False)
    except Exception as exc:  # noqa: BLE001 - safetensors and torch raise several kinds on damaged weights
        raise ModelError(
            f"{directory / WEIGHTS} does not hold this model's weights ({first_line(exc)}); {fix}"
        ) from None
    if missing:  # a weight left at random would give a model that loads and answers nonsense
        raise ModelError(
            f"{directory}: the weights lack {len(missing)} tensor(s) that config.json needs "
            f"(e.g. {sorted(missing)[0][:80]}); {fix}"
        )
    return network


@contextmanager
def as_pretrained(path: str) -> Iterator[str]:
    """``path`` itself, or for a directory written by :func:`write_portable` a temporary plain
    transformers copy of its encoder and tokenizer (what fine-tuning a saved model starts from)."""
    if not is_portable(Path(path)):
        yield path
        return
    from transformers import AutoTokenizer

    with tempfile.TemporaryDirectory(prefix="nerkit-encoder-") as tmp:
        read_portable(Path(path)).encoder.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(path, trust_remote_code=False).save_pretrained(tmp)
        yield tmp
