"""ONNX export, and onnxruntime standing in for the PyTorch network.

    nerkit export --model runs/wikigold --output runs/wikigold-onnx --int8

>>> import nerkit
>>> model = nerkit.load_model("runs/wikigold-onnx", backend="onnx-int8")     # doctest: +SKIP
>>> nerkit.predict(model, [["Paris", "is", "lovely"]]).tags                  # doctest: +SKIP

The export folder holds ``model.onnx`` (fp32; inputs ``input_ids``, ``attention_mask``,
``token_type_ids`` of shape batch x length, both dynamic; output ``logits``), with
``--int8`` also ``model.int8.onnx`` (weights quantized to int8 by onnxruntime's dynamic
quantization, activations quantized on the fly), plus the tokenizer and ``nerkit.json``
(tags, window length, casing), so it needs no PyTorch weights to run.

The graph comes from PyTorch's current exporter (``torch.onnx.export(..., dynamo=True)``,
built on ``torch.export``, which records data-dependent branches instead of baking in
the example's); should it fail for some model, the TorchScript exporter is tried. Either
way the export is checked before it is written: onnxruntime must give PyTorch's logits
(to 1e-4) on batches of other sizes and lengths than the example, with padding.

:class:`OnnxNetwork` answers ``network(input_ids=..., attention_mask=..., token_type_ids=...)``
with an object holding ``.logits`` like :class:`~nerkit.modeling.network.TokenClassifier`,
and carries the CRF the same way (decoded on the host: the graph ends at the logits), so
:func:`nerkit.predict`, :func:`nerkit.evaluate` and :class:`nerkit.Tagger` use it unchanged.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import shutil
import tempfile
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from ..encoding.batches import collate
from ..encoding.windows import encode
from ..errors import ConfigError, ModelError, excerpt
from ..labels import LabelMap
from ..outputs import check_output_dir, done_with, temp_dir
from .checks import check_export_dir
from .crf import LinearChainCRF
from .model import META_FILE, NerModel
from .network import max_positions

ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
TOLERANCE = 1e-4  # largest difference from PyTorch's fp32 logits an export may show


def _onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise ConfigError("ONNX needs onnx, onnxscript and onnxruntime; run `pip install 'nerkit[onnx]'`") from None
    return onnxruntime


class _Logits(torch.nn.Module):
    """The network as a function of three tensors to logits: the graph ONNX records."""

    def __init__(self, network: torch.nn.Module):
        super().__init__()
        self.network = network

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.network(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits


class OnnxNetwork:
    """An onnxruntime session that looks like a :class:`~nerkit.modeling.network.TokenClassifier`."""

    device = torch.device("cpu")  # inputs are handed over as NumPy arrays

    def __init__(
        self,
        path: str | Path,
        threads: int | None = None,
        providers: list[str] | None = None,
        max_positions: int = 512,
        crf: LinearChainCRF | None = None,
    ):
        ort = _onnxruntime()
        self.config = SimpleNamespace(max_position_embeddings=max_positions)
        self.crf = crf
        options = ort.SessionOptions()
        # As many threads as torch uses, so the two backends compare on equal terms.
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers or ["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise ModelError(
                f"onnxruntime cannot load {path} ({str(exc).splitlines()[0][:200]}); "
                "export the model again with `nerkit export`"
            ) from None
        self.path = Path(path)
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, input_ids, attention_mask, token_type_ids=None, **_):
        given = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": token_type_ids if token_type_ids is not None else torch.zeros_like(input_ids),
        }
        feeds = {name: given[name].detach().cpu().numpy().astype(np.int64, copy=False) for name in self.inputs}
        logits = self.session.run(["logits"], feeds)[0]
        return SimpleNamespace(logits=torch.from_numpy(logits))

    def eval(self) -> "OnnxNetwork":
        return self

    def train(self, mode: bool = True):
        if mode:
            raise ModelError("an ONNX model only runs inference; train the PyTorch model it was exported from")
        return self

    def parameters(self):
        return iter(())

    def to(self, device) -> "OnnxNetwork":
        if torch.device(device).type != "cpu":
            raise ModelError("this ONNX session runs on the CPU; use the PyTorch model on a GPU")
        return self

    @property
    def encoder(self):
        raise ModelError(
            f"{self.path} is an ONNX export and cannot be saved as a PyTorch model; save the model it was exported from"
        )


def _sample(model: NerModel, lengths=(9, 4)) -> tuple[torch.Tensor, ...]:
    """A real padded batch for the model: its own tokenizer, windows and padding."""
    words = ["The", "city", "of", "Paris", "is", "in", "France", "."]
    sentences = [[words[i % len(words)] for i in range(n)] for n in lengths]
    windows, _ = encode(sentences, model.tokenizer, max_len=max(16, max(lengths) + 2), casing=model.casing, warn=False)
    batch = collate(windows, model.pad_id)
    return batch.input_ids, batch.attention_mask, batch.token_type_ids


def _export(wrapper: _Logits, sample, path: Path, exporter: str) -> None:
    options = dict(input_names=list(INPUTS), output_names=["logits"], external_data=False)
    # The exporters report progress and harmless notes on stdout, in warnings and in logs.
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            if exporter == "dynamo":
                batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
                shapes = {name: {0: batch, 1: length} for name in INPUTS}
                torch.onnx.export(
                    wrapper, sample, str(path), dynamo=True, dynamic_shapes=shapes, verbose=False, **options
                )
            else:
                dynamic = {name: {0: "batch", 1: "length"} for name in (*INPUTS, "logits")}
                torch.onnx.export(
                    wrapper, sample, str(path), dynamo=False, dynamic_axes=dynamic, opset_version=17, **options
                )
    finally:
        quiet.setLevel(level)


def _check(wrapper: _Logits, model: NerModel, path: Path, tolerance: float) -> float:
    """Largest difference between onnxruntime's and PyTorch's logits on unseen shapes."""
    session = OnnxNetwork(path, threads=1)
    worst = 0.0
    with torch.inference_mode():
        for lengths in ((3,), (12, 2, 7), (5, 5)):
            inputs = _sample(model, lengths)
            expected = wrapper(*inputs).float().numpy()
            got = session(*inputs).logits.numpy()
            if got.shape != expected.shape:
                raise ModelError(f"the ONNX export gives logits of shape {got.shape}, PyTorch {expected.shape}")
            worst = max(worst, float(np.abs(got - expected).max()))
    if worst > tolerance:
        raise ModelError(
            f"the ONNX export differs from PyTorch by {worst:.2g} (more than {tolerance:g}); "
            "please report this model at nerkit's issue tracker"
        )
    return worst


def quantize_int8(
    source: str | Path,
    target: str | Path,
    per_channel: bool = True,
    reduce_range: bool = True,
    weight_type: str = "QInt8",
    op_types: list[str] | None = ("MatMul",),
) -> None:
    """Dynamic int8 quantization (onnxruntime): int8 weights, activations quantized per batch.

    The defaults won the comparison in benchmarks/int8_variants.py (RESULTS.md): only the
    matrix multiplications are quantized (embeddings and the rest stay fp32), per output
    channel, with 7-bit weights (``reduce_range``), which avoids the saturation of
    onnxruntime's u8 x s8 kernels on CPUs without VNNI (AVX2 only), where the export may
    well run even if it was made elsewhere.
    """
    _onnxruntime()
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    root = logging.getLogger()
    level = root.level
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        root.setLevel(logging.ERROR)  # onnxruntime logs advice to pre-process the model: done here
        try:
            quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
            quantize_dynamic(
                str(prepared),
                str(target),
                weight_type=QuantType[weight_type],
                per_channel=per_channel,
                reduce_range=reduce_range,
                op_types_to_quantize=list(op_types) if op_types else None,
            )
        finally:
            root.setLevel(level)


def export_onnx(
    model: NerModel,
    output: str | Path,
    int8: bool = False,
    overwrite: bool = False,
    exporter: str = "dynamo",
    tolerance: float = TOLERANCE,
) -> list[Path]:
    """Write ``model`` as ONNX (and optionally int8) into ``output``; return the files written.

    ``exporter`` is ``"dynamo"`` (the default, falling back to ``"torchscript"`` if it fails)
    or ``"torchscript"``.
    """
    if exporter not in ("dynamo", "torchscript"):
        raise ConfigError(f"exporter must be 'dynamo' or 'torchscript', got {exporter!r}")
    if isinstance(model.network, OnnxNetwork):
        raise ModelError("this model is already an ONNX export; export the PyTorch model it came from")
    output = check_output_dir(output)
    if (output / ONNX_FILE).exists() and not overwrite:
        raise ModelError(
            f"{output} already holds an ONNX export; pass --overwrite (overwrite=True) or choose another --output"
        )
    if output.exists() and not (output / ONNX_FILE).exists() and any(output.iterdir()):
        raise ModelError(f"{output} is not empty; choose a new folder for the export")
    _onnxruntime()
    network = model.network
    if model.device.type != "cpu":
        network = copy.deepcopy(network).cpu()
    wrapper = _Logits(network.encoder).eval()
    sample = _sample(model)
    tmp = temp_dir(output)  # beside it (one file system for the rename); stale ones removed
    try:
        used = exporter
        try:
            _export(wrapper, sample, tmp / ONNX_FILE, exporter)
        except Exception as exc:  # noqa: BLE001 - the exporters raise many kinds
            if exporter != "dynamo":
                raise ModelError(f"ONNX export failed: {str(exc).splitlines()[0][:300]}") from None
            warnings.warn(
                f"the dynamo ONNX exporter failed ({str(exc).splitlines()[0][:200]}); using the TorchScript exporter",
                stacklevel=2,
            )
            used = "torchscript"
            _export(wrapper, sample, tmp / ONNX_FILE, used)
        difference = _check(wrapper, model, tmp / ONNX_FILE, tolerance)
        files = [ONNX_FILE]
        if int8:
            quantize_int8(tmp / ONNX_FILE, tmp / INT8_FILE)
            files.append(INT8_FILE)
        model.tokenizer.save_pretrained(tmp)
        meta = model.meta()
        meta["onnx"] = {
            "exporter": used,
            "files": files,
            "max_difference": difference,
            "max_positions": max_positions(model.network.config),
            "torch": torch.__version__,
        }
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        if output.exists():
            shutil.rmtree(output)
        tmp.rename(output)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        done_with(tmp)
    return [output / f for f in files]


def load_onnx(directory: str | Path, int8: bool = False, threads: int | None = None) -> NerModel:
    """A :class:`~nerkit.modeling.model.NerModel` running the export in ``directory`` with onnxruntime."""
    from transformers import AutoTokenizer

    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(
            f"model directory {directory} does not exist; export one with "
            f"`nerkit export --model MODEL --output {directory}`"
        )
    name = INT8_FILE if int8 else ONNX_FILE
    if not (directory / name).exists():
        hint = " --int8" if int8 else ""
        raise ModelError(
            f"{directory} has no {name}; write it with `nerkit export --model MODEL --output {directory}{hint}`"
        )
    meta = check_export_dir(directory)
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory)
    except Exception as exc:  # noqa: BLE001 - tokenizers raise many kinds on damaged files
        raise ModelError(
            f"{directory}: the tokenizer files cannot be read ({excerpt(str(exc).strip())}); export the model again"
        ) from None
    label_map = LabelMap.from_dict(meta["label_map"])
    # The graph ends at the logits; predict() decodes them with the CRF as for PyTorch.
    crf = LinearChainCRF(label_map.num_labels).load_dict(meta["crf"]) if meta.get("crf") else None
    limit = meta.get("onnx", {}).get("max_positions", 512)
    network = OnnxNetwork(directory / name, threads=threads, max_positions=limit, crf=crf)
    return NerModel(network, tokenizer, label_map, **NerModel.fields_from_meta(meta, min(512, limit)))
