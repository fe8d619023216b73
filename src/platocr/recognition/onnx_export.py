"""Checkpoint -> ONNX with a dynamic batch axis; the ``.onnx`` file alone is enough to predict.

The vocabulary and the full config travel inside the file as ONNX ``metadata_props``
(``platocr.format``, ``platocr.vocab``, ``platocr.config`` as JSON, plus the source checkpoint's
epoch / git revision), so the onnxruntime backend of :class:`platocr.recognition.predictor.Predictor` needs no
sidecar file. Graph: input ``images`` (N, 3, H, W) float32 normalised (``preprocess.to_model_input``)
-> output ``log_probs`` (N, T, C). Reading the metadata (:func:`read_onnx_metadata`) needs only the
standard library, running the model (:func:`onnx_session`) onnxruntime: neither imports torch.
Exporting needs torch and onnx (the training extra).

The legacy TorchScript exporter (``dynamo=False``) is used: it exports the bidirectional GRU/LSTM as
single ONNX ``GRU``/``LSTM`` ops with a dynamic batch (the initial state is left implicit, i.e.
zeros, so any batch size works; :func:`check_onnx` runs another batch size to prove it).
"""

from __future__ import annotations

import io
import json
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from platocr.errors import PlatocrError
from platocr.recognition.config import Config, config_from_dict, config_to_dict
from platocr.recognition.model_meta import ModelMeta
from platocr.recognition.quantize import DEFAULT_CALIBRATION_CROPS
from platocr.recognition.tokenizer import Tokenizer

if TYPE_CHECKING:
    from platocr.recognition.checkpoint import LoadedModel
    from platocr.recognition.quantize import QuantizeReport

ONNX_FORMAT = "platocr-onnx/1"
INPUT_NAME = "images"
OUTPUT_NAME = "log_probs"
DEFAULT_OPSET = 17
_METADATA_PROPS = 14  # ModelProto.metadata_props in onnx.proto


@dataclass
class ExportResult:
    """What ``platocr export`` reports."""

    path: Path
    opset: int
    bytes: int
    seconds: float
    max_abs_diff: float | None  # max |log_probs_onnx - log_probs_torch|; None when not checked
    check_batch: int | None
    int8: QuantizeReport | None = None  # --int8: the file written is the quantised model


def export_onnx_bytes(loaded: LoadedModel, opset: int = DEFAULT_OPSET) -> bytes:
    """Serialised ONNX model of ``loaded`` (exported on CPU in float32) with platocr metadata."""
    import onnx
    import torch

    model = loaded.model
    original_device = next(model.parameters()).device
    model.cpu().eval()
    cfg = loaded.config.input
    dummy = torch.zeros(2, 3, cfg.height, cfg.width)
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            # Deprecation of the legacy exporter, and the RNN batch-size caution: check_onnx runs a
            # different batch size against torch, which is the real test of the dynamic axis.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, (dummy,), buffer, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
                opset_version=opset, dynamo=False,
            )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - the exporter raises assorted types for unsupported ops/opsets
        raise PlatocrError(f"ONNX export failed at opset {opset}: {type(exc).__name__}: {exc}") from None
    finally:
        model.to(original_device)
    proto = onnx.load_from_string(buffer.getvalue())
    props = {
        "platocr.format": ONNX_FORMAT,
        "platocr.vocab": loaded.tokenizer.vocab,
        "platocr.config": json.dumps(config_to_dict(loaded.config)),
        "platocr.source": loaded.meta.source_json(),
    }
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


def read_onnx_metadata(source: str | Path | bytes) -> tuple[Config, Tokenizer, ModelMeta]:
    """(config, tokenizer, provenance with its ``precision``) stored by :func:`export_onnx_bytes` in an ONNX
    file or bytes.

    The ``metadata_props`` are read straight from the protobuf (:func:`onnx_metadata_props`): no
    torch, no onnx package and no graph loading.
    """
    where = "ONNX model" if isinstance(source, bytes) else str(source)
    props = read_onnx_props(source)
    if props.get("platocr.format") != ONNX_FORMAT:
        raise PlatocrError(
            f"{where}: no platocr metadata (expected platocr.format={ONNX_FORMAT!r}); "
            "export it with `platocr export CHECKPOINT --out model.onnx`"
        )
    config = config_from_dict(json.loads(props["platocr.config"]), where=f"{where} (metadata)")
    # platocr.precision "int8": platocr.recognition.quantize wrote the file.
    meta = ModelMeta.from_source_json(
        props.get("platocr.source", "{}"), props.get("platocr.precision", "float32")
    )
    return config, Tokenizer(props["platocr.vocab"]), meta


def read_onnx_props(source: str | Path | bytes) -> dict[str, str]:
    """:func:`onnx_metadata_props` of an ONNX file or bytes; PlatocrError naming the file when it cannot be
    read or is no ONNX model."""
    where = "ONNX model" if isinstance(source, bytes) else str(source)
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        return onnx_metadata_props(data)
    except (OSError, ValueError) as exc:  # ValueError: no protobuf, or text that is not UTF-8
        raise PlatocrError(f"{where}: not a readable ONNX file ({type(exc).__name__}: {exc})") from None


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    """(value, next position) of the protobuf varint at ``pos``."""
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated protobuf varint")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos


def _fields(data: memoryview) -> Iterator[tuple[int, memoryview]]:
    """(field number, bytes) of each length-delimited field of a protobuf message; others skipped.

    Memoryview slices: skipping the graph (megabytes) copies nothing."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ValueError("truncated protobuf field")
            yield number, data[pos : pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    if pos > len(data):
        raise ValueError("truncated protobuf field")


def onnx_metadata_props(data: bytes) -> dict[str, str]:
    """``metadata_props`` of a serialised ONNX ``ModelProto`` (field 14, entries of key = 1,
    value = 2), read without the onnx package; ValueError when ``data`` is no protobuf."""
    props = {}
    for number, entry in _fields(memoryview(data)):
        if number == _METADATA_PROPS:
            pair = {key: bytes(value).decode("utf-8") for key, value in _fields(entry)}
            props[pair.get(1, "")] = pair.get(2, "")
    return props


def onnx_session(model: str | Path | bytes, device: str = "cpu", threads: int | None = None) -> Any:
    """onnxruntime InferenceSession; on ``cuda`` the CUDA provider first (CPU as fallback).

    ``threads`` caps the intra-op thread pool (None = the count :func:`platocr.threads.session_threads`
    set, else onnxruntime's default, one per core).
    """
    import onnxruntime as ort

    from platocr.threads import planned_session_threads

    providers = ["CPUExecutionProvider"]
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise PlatocrError(
                "--device cuda with the onnx backend needs onnxruntime-gpu (CUDAExecutionProvider is missing)"
            )
        providers.insert(0, "CUDAExecutionProvider")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: no provider-assignment chatter
    threads = threads or planned_session_threads()
    if threads:
        # A planned count: no inter-op pool beside it, and no workers spinning between calls on cores
        # the other video stages (or other processes) need.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = model if isinstance(model, bytes) else str(model)
    try:
        return ort.InferenceSession(source, sess_options=options, providers=providers)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own Fail/InvalidGraph types
        raise PlatocrError(f"onnxruntime cannot load the model: {type(exc).__name__}: {exc}") from None


def session_with_input(path: Path, input_name: str, what: str, threads: int | None = None) -> Any:
    """A CPU :func:`onnx_session` of ``path``, which must be a ``what`` (e.g. "plate detector") whose one
    input is ``input_name``; PlatocrError naming the file otherwise (another model's .onnx, say)."""
    try:
        session = onnx_session(path, "cpu", threads)
    except PlatocrError as exc:
        raise PlatocrError(f"{what} {path}: {exc}") from None
    inputs = [i.name for i in session.get_inputs()]
    if inputs != [input_name]:
        raise PlatocrError(f"{path}: not a {what} (its inputs are {inputs}, a {what}'s is {input_name!r})")
    return session


def check_onnx(loaded: LoadedModel, session: Any, batch: int = 3, seed: int = 0) -> float:
    """Max |log_probs| difference between onnxruntime and torch on a random normalised batch.

    ``batch`` differs from the export batch (2) so a broken dynamic axis shows up here.
    """
    import torch

    cfg = loaded.config.input
    images = torch.randn(batch, 3, cfg.height, cfg.width, generator=torch.Generator().manual_seed(seed))
    device = next(loaded.model.parameters()).device
    with torch.inference_mode():
        expected = loaded.model(images.to(device)).float().cpu().numpy()
    got = session.run([OUTPUT_NAME], {INPUT_NAME: images.numpy()})[0]
    if got.shape != expected.shape:
        raise PlatocrError(f"ONNX output shape {got.shape} differs from torch {expected.shape}")
    return float(np.abs(got - expected).max())


def export_checkpoint(
    checkpoint: str | Path,
    out: str | Path,
    *,
    opset: int = DEFAULT_OPSET,
    check: bool = True,
    overrides: Sequence[str] = (),
    calibrate: str | Path | None = None,
    calibration_crops: int = DEFAULT_CALIBRATION_CROPS,
) -> ExportResult:
    """``platocr export``: checkpoint path or bundled name -> ``out`` (.onnx), optionally verified;
    ``overrides`` change the config's decode / voting (``checkpoint.with_reading_overrides``).

    ``calibrate`` (a label file) writes an int8 model instead (:mod:`platocr.recognition.quantize`), calibrated
    on ``calibration_crops`` of its crops; the float model is still checked against torch first."""
    from platocr.recognition.checkpoint import load_checkpoint, with_reading_overrides
    from platocr.recognition.zoo import resolve_model

    out = Path(out)
    if out.suffix.lower() != ".onnx":
        raise PlatocrError(f"--out {out}: expected a .onnx file name (or .pt for a slim checkpoint)")
    path = resolve_model(checkpoint)
    if path.suffix.lower() == ".onnx":
        raise PlatocrError(f"{path} is already an ONNX file; export takes a .pt checkpoint")
    loaded = load_checkpoint(path, "cpu")
    loaded.config = with_reading_overrides(loaded.config, overrides)
    start = time.perf_counter()
    data = export_onnx_bytes(loaded, opset)
    seconds = time.perf_counter() - start
    max_diff = check_onnx(loaded, onnx_session(data)) if check else None
    if calibrate is not None:
        from platocr.recognition.quantize import quantize_onnx

        report = quantize_onnx(data, out, calibrate, crops=calibration_crops)
        return ExportResult(out, opset, report.bytes, seconds, max_diff, 3 if check else None, report)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)  # atomic: a failed export never leaves a half-written model
    return ExportResult(out, opset, len(data), seconds, max_diff, 3 if check else None)
