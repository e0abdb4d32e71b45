"""A saved model directory checked whole before any of it is used.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "config.json").write_text('{"id2label": {"0": "O", "1": "I-PER"}}')
>>> check_model_dir(folder)
Traceback (most recent call last):
...
nerkit.errors.ModelError: .../config.json has no weights beside it (model.safetensors); copy the weights in, or train the model again with `nerkit train --output ...`

:func:`check_model_dir` reads only the small files and the header of the weights, so it costs
milliseconds, and it finds what would otherwise surface as a traceback from deep inside
transformers or safetensors, or worse as a model that loads and answers wrongly:

* files present and complete: ``config.json``, the weights (``model.safetensors``, whose
  header must describe exactly the bytes that follow, so a truncated copy is caught; or
  its shards; or ``pytorch_model.bin``) and the tokenizer's files;
* JSON that parses: ``config.json``, ``nerkit.json``, the tokenizer's JSON files;
* the tags: ``nerkit.json``'s label map and ``config.json``'s ``id2label`` must list the
  same tags **in the same order** (ids are positions: the same tags in another order
  would silently swap entity types), and the classifier's weights must have one row per tag;
* the CRF's saved scores must be ``tags``, ``tags`` and ``tags x tags`` numbers, and the
  other saved fields of ``nerkit.json`` of their type.

Every failure is a :class:`~nerkit.errors.ModelError` naming the file and the fix.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..errors import ConfigError, ModelError, excerpt
from ..labels import LabelMap
from .model import FORMAT_VERSION, META_FILE
from .options import InferenceOptions

__all__ = ["check_model_dir", "read_json", "safetensors_header", "TOKENIZER_FILES"]

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
SHARD_INDEX = "model.safetensors.index.json"
PICKLED = "pytorch_model.bin"
# Any one of these makes a fast tokenizer (tokenizer.json), or lets transformers build one.
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model")
TOKENIZER_JSON = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
_MAX_HEADER = 100_000_000  # bytes: safetensors' own limit on a header


def _fix(directory: Path) -> str:
    return f"restore the folder from a good copy, or train the model again with `nerkit train --output {directory}`"


def read_json(path: Path, fix: str, kind=dict):
    """The JSON value in ``path`` (of type ``kind``), or a ModelError naming the file and ``fix``."""
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelError(f"{path} is not UTF-8 text (a damaged copy?); {fix}") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); {fix}") from None
    except RecursionError:
        raise ModelError(f"{path} is not valid JSON (nested too deeply); {fix}") from None
    except OSError as exc:
        raise ModelError(f"{path} cannot be read ({exc.strerror}); {fix}") from None
    if not isinstance(value, kind):
        raise ModelError(f"{path} holds a JSON {type(value).__name__}, not an object; {fix}")
    return value


def safetensors_header(path: Path, fix: str) -> dict:
    """The tensor table of a safetensors file, checked to describe exactly the bytes that follow."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        length = int.from_bytes(head, "little") if len(head) == 8 else -1
        if length < 2 or length > min(_MAX_HEADER, size - 8):
            raise ModelError(f"{path} is incomplete or not a safetensors file ({size:,} bytes); {fix}")
        try:
            header = json.loads(f.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise ModelError(f"{path} has a damaged header (not a safetensors file?); {fix}") from None
    if not isinstance(header, dict):
        raise ModelError(f"{path} has a damaged header (not a safetensors file?); {fix}")
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    ends = []
    for name, info in tensors.items():
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        shape = info.get("shape") if isinstance(info, dict) else None
        good = isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
        if not good or not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ModelError(f"{path}: the entry for tensor {excerpt(name)} is damaged; {fix}")
        ends.append(offsets[1])
    expected = 8 + length + max(ends, default=0)
    if size != expected:
        what = "truncated" if size < expected else "longer than its header says"
        raise ModelError(f"{path} is {what} ({size:,} bytes, its header describes {expected:,}); {fix}")
    return tensors


def _weights(directory: Path, fix: str) -> dict:
    """The tensor table of the directory's weights ({} for a pickled file, checked when loaded)."""
    if (directory / WEIGHTS).is_file():
        return safetensors_header(directory / WEIGHTS, fix)
    if (directory / SHARD_INDEX).is_file():
        index = read_json(directory / SHARD_INDEX, fix)
        shards = index.get("weight_map")
        if not isinstance(shards, dict) or not all(isinstance(s, str) for s in shards.values()):
            raise ModelError(f"{directory / SHARD_INDEX} has no 'weight_map' of tensor names to files; {fix}")
        tensors = {}
        for shard in sorted(set(shards.values())):
            if not (directory / shard).is_file():
                raise ModelError(f"{directory / shard} is missing (named in {SHARD_INDEX}); {fix}")
            tensors.update(safetensors_header(directory / shard, fix))
        return tensors
    if (directory / PICKLED).is_file():
        if (directory / PICKLED).stat().st_size == 0:
            raise ModelError(f"{directory / PICKLED} is empty; {fix}")
        return {}
    raise ModelError(
        f"{directory / CONFIG} has no weights beside it ({WEIGHTS}); copy the weights in, or train the model "
        f"again with `nerkit train --output {directory}`"
    )


def _tokenizer(directory: Path, fix: str) -> None:
    if not any((directory / name).is_file() for name in TOKENIZER_FILES):
        raise ModelError(
            f"{directory} has no tokenizer files ({TOKENIZER_FILES[0]} or {TOKENIZER_FILES[1]}); copy them from "
            f"the model it was trained from (`AutoTokenizer.from_pretrained(...).save_pretrained('{directory}')`)"
        )
    for name in TOKENIZER_JSON:
        if (directory / name).is_file():
            read_json(directory / name, fix)


def _config_tags(config: dict, path: Path, fix: str) -> list[str] | None:
    """The tags of ``config.json``'s ``id2label`` in id order (None when it has none)."""
    id2label = config.get("id2label")
    if id2label is None:
        return None
    if not isinstance(id2label, dict):
        raise ModelError(f"{path}: 'id2label' is not an object of ids to tags; {fix}")
    try:
        by_id = {int(k): v for k, v in id2label.items()}
    except ValueError:
        raise ModelError(f"{path}: 'id2label' has an id that is not a whole number; {fix}") from None
    if sorted(by_id) != list(range(len(by_id))) or not all(isinstance(v, str) for v in by_id.values()):
        raise ModelError(f"{path}: 'id2label' must map the ids 0..N-1 to tag names; {fix}")
    return [by_id[i] for i in range(len(by_id))]


def _numbers(value, shape: tuple[int, ...]) -> bool:
    """Whether ``value`` is nested lists of finite numbers of exactly ``shape``."""
    if not shape:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, list) and len(value) == shape[0] and all(_numbers(v, shape[1:]) for v in value)


def _check_meta(meta: dict, path: Path, n: int, fix: str) -> None:
    """The saved fields of nerkit.json other than the tags: of their type, the CRF of the tags' size."""
    version = meta.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelError(f"{path}: 'format_version' is not a whole number; {fix}")
    if version > FORMAT_VERSION:
        raise ModelError(f"{path.parent} was written by a newer nerkit (format {version}); upgrade nerkit")
    crf = meta.get("crf")
    if crf is not None:
        shapes = {"start": (n,), "end": (n,), "transitions": (n, n)}
        if not isinstance(crf, dict) or any(not _numbers(crf.get(k), s) for k, s in shapes.items()):
            raise ModelError(
                f"{path}: 'crf' must hold start ({n}), end ({n}) and transitions ({n} x {n}) numbers, "
                f"one per tag; {fix}"
            )
    kinds = {"max_len": int, "casing": bool, "scheme": str, "history": list, "train_config": dict}
    for key, kind in kinds.items():
        value = meta.get(key)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            raise ModelError(f"{path}: {key!r} should be a {kind.__name__}, not {excerpt(value)}; {fix}")
    if isinstance(meta.get("max_len"), int) and meta["max_len"] < 8:
        raise ModelError(f"{path}: 'max_len' {meta['max_len']} is below 8 word pieces; {fix}")
    if meta.get("train_scheme") is not None and not isinstance(meta["train_scheme"], str):
        raise ModelError(f"{path}: 'train_scheme' should be a tag scheme name; {fix}")
    inference = meta.get("inference")
    if inference is not None:
        if not isinstance(inference, dict):
            raise ModelError(f"{path}: 'inference' should be an object of inference options; {fix}")
        try:
            InferenceOptions.from_dict(inference)
        except (ConfigError, TypeError) as exc:
            raise ModelError(f"{path}: 'inference' is not valid ({str(exc)[:200]}); {fix}") from None


def _check_tags(meta: dict, config_tags: list[str] | None, tensors: dict, directory: Path, fix: str) -> int:
    """The number of tags, the same in nerkit.json, config.json and the classifier's weights."""
    meta_path, config_path = directory / META_FILE, directory / CONFIG
    tags = config_tags
    if "label_map" in meta:
        try:
            tags = list(LabelMap.from_dict(meta["label_map"]).tags)
        except (ModelError, TypeError, ValueError) as exc:
            raise ModelError(f"{meta_path}: 'label_map' is damaged ({str(exc)[:160]}); {fix}") from None
        if config_tags is not None and config_tags != tags:
            same = sorted(config_tags) == sorted(tags)
            problem = "the same tags in another order" if same else "other tags"
            raise ModelError(
                f"{meta_path} and {config_path} ('id2label') list {problem} ({', '.join(map(excerpt, tags[:8]))} "
                f"vs {', '.join(map(excerpt, config_tags[:8]))}); tag ids would be read wrongly, so {fix}"
            )
    # Format 1 saves the transformers classifier alone; format 2 the whole network (encoder.*, crf.*).
    classifier = tensors.get("classifier.weight", tensors.get("encoder.classifier.weight"))
    if tags is not None and classifier is not None and classifier["shape"][:1] != [len(tags)]:
        raise ModelError(
            f"{directory / WEIGHTS}: the classifier has {classifier['shape'][:1] or ['no']} rows but "
            f"{meta_path if 'label_map' in meta else config_path} lists {len(tags)} tags; {fix}"
        )
    return len(tags) if tags is not None else 0


def _check_network(config: dict, tensors: dict, directory: Path, fix: str) -> None:
    """Format 2 saves the whole network: the head and the CRF the config names must be in the weights."""
    if not isinstance(config.get("model_type"), str):
        # transformers cannot build a model without it; found here, `nerkit train --model` says so before
        # the data is read, instead of failing after it with a hint about being offline.
        raise ModelError(f"{directory / CONFIG} has no 'model_type' (bert, roberta, ...); {fix}")
    if config.get("model_type") != "nerkit":
        return
    encoder = config.get("encoder_config")
    if not isinstance(encoder, dict) or not isinstance(encoder.get("model_type"), str):
        raise ModelError(
            f"{directory / CONFIG}: 'encoder_config' must be the encoder's own configuration (with its "
            f"'model_type'); {fix}"
        )
    if not tensors:
        return
    needed = ["encoder.classifier.weight", "encoder.classifier.bias"]
    needed += ["crf.start", "crf.end", "crf.transitions"] if config.get("use_crf") else []
    missing = [name for name in needed if name not in tensors]
    if missing:
        raise ModelError(
            f"{directory}: the weights lack {len(missing)} tensor(s) that config.json needs (e.g. {missing[0]}); {fix}"
        )


def check_model_dir(directory) -> dict:
    """Check a saved model directory whole (see the module docstring); return its nerkit.json ({} if none)."""
    directory = Path(directory)
    fix = _fix(directory)
    config = read_json(directory / CONFIG, fix)
    tensors = _weights(directory, fix)
    _tokenizer(directory, fix)
    meta = read_json(directory / META_FILE, fix) if (directory / META_FILE).exists() else {}
    config_tags = _config_tags(config, directory / CONFIG, fix)
    _check_network(config, tensors, directory, fix)
    n = _check_tags(meta, config_tags, tensors, directory, fix)
    if meta:
        _check_meta(meta, directory / META_FILE, n, fix)
    return meta


def check_export_dir(directory) -> dict:
    """Check a folder written by ``nerkit export`` (tokenizer, ``nerkit.json``); return its nerkit.json."""
    directory = Path(directory)
    fix = f"export the model again with `nerkit export --model MODEL --output {directory} --overwrite`"
    if not (directory / META_FILE).is_file():
        raise ModelError(f"{directory} has no {META_FILE} with the model's tags; {fix}")
    meta = read_json(directory / META_FILE, fix)
    if "label_map" not in meta:
        raise ModelError(f"{directory / META_FILE} has no 'label_map' with the model's tags; {fix}")
    _tokenizer(directory, fix)
    n = _check_tags(meta, None, {}, directory, fix)
    _check_meta(meta, directory / META_FILE, n, fix)
    onnx = meta.get("onnx", {})
    if not isinstance(onnx, dict) or not isinstance(onnx.get("max_positions", 512), int):
        raise ModelError(f"{directory / META_FILE}: 'onnx' should hold the export's settings; {fix}")
    return meta
