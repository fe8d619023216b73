"""Static int8 quantisation of an exported platocr ONNX model (``platocr export --int8 --calibrate``).

onnxruntime's ``quantize_static`` in the QDQ format, weights int8 per output channel, activations
uint8 (U8S8: the pairing the x86 CPU kernels are built for), ranges from MinMax calibration on crops
of a label file fed through ``preprocess.to_model_input`` (the one preprocessing path). Only
``Conv``, ``MatMul`` and ``Gemm`` are quantised: the CPU execution provider has no int8 GRU/LSTM
kernel, so the recurrent layers stay float (onnxruntime runs them on the dequantised features).
The platocr metadata (vocab, config) is carried over, so :meth:`Predictor.load` reads the int8 file
as it reads the float one. Needs the training extra (onnx) besides onnxruntime.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from platocr.errors import PlatocrError
from platocr.recognition.config import Config

QUANTIZED_OPS = ("Conv", "Relu", "MaxPool", "MatMul", "Gemm")
DEFAULT_CALIBRATION_CROPS = 300
CALIBRATION_BATCH = 32


@dataclass
class QuantizeReport:
    """What quantising did, measured on the calibration crops (crops as cut, greedy)."""

    crops: int  # calibration crops read (unreadable images are skipped)
    skipped: int
    agreement: float  # share of crops whose greedy read is the same with int8 as with float
    max_abs_diff: float  # max |log_probs_int8 - log_probs_float|
    max_prob_diff: float  # the same in probabilities (bounded: the tails of log-probs blow up)
    bytes: int


def calibration_rows(labels: str | Path, count: int) -> list[Path]:
    """Up to ``count`` image paths spread evenly over ``labels`` (label files are often sorted by text
    or class, so the first rows alone would be one kind); the same rows every time."""
    from platocr.data.labels import open_dataset

    rows = open_dataset(labels, check_images=True)
    if count < 1:
        raise PlatocrError(f"calibration needs at least one crop, got {count}")
    if len(rows) > count:
        rows = [rows[int(i)] for i in np.linspace(0, len(rows) - 1, count).round()]
    return [row.path for row in rows]


def calibration_batches(
    labels: str | Path, config: Config, count: int = DEFAULT_CALIBRATION_CROPS
) -> tuple[list[np.ndarray], int]:
    """Preprocessed (N, 3, H, W) float32 batches of the calibration crops, and how many were skipped."""
    from platocr.recognition.preprocess import load_image, to_model_input

    crops, skipped = [], 0
    for path in calibration_rows(labels, count):
        try:
            crops.append(load_image(path))
        except PlatocrError:
            skipped += 1
    if not crops:
        raise PlatocrError(f"{labels}: no calibration image could be read")
    batches = [
        to_model_input(crops[i : i + CALIBRATION_BATCH], config.input, rgb=False)
        for i in range(0, len(crops), CALIBRATION_BATCH)
    ]
    return batches, skipped


def _reader(batches: Sequence[np.ndarray], input_name: str) -> Any:
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._items: Iterator[np.ndarray] = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._items, None)
            return None if batch is None else {input_name: batch}

        def rewind(self) -> None:
            self._items = iter(batches)

    return Reader()


def quantize_bytes(
    float_model: bytes,
    batches: Sequence[np.ndarray],
    *,
    quant_format: str = "qdq",
    per_channel: bool = True,
    provenance: dict[str, str | int] | None = None,
) -> bytes:
    """int8 ONNX bytes of ``float_model`` calibrated on ``batches``, with its metadata kept;
    ``provenance`` (e.g. the calibration set) goes into ``platocr.quantization``."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from platocr.recognition.onnx_export import INPUT_NAME, onnx_metadata_props

    formats = {"qdq": QuantFormat.QDQ, "qoperator": QuantFormat.QOperator}
    with tempfile.TemporaryDirectory(prefix="platocr-int8-") as tmp:
        src, pre, out = (Path(tmp) / name for name in ("float.onnx", "pre.onnx", "int8.onnx"))
        src.write_bytes(float_model)
        # Shape inference and graph fusions first (what the onnxruntime docs recommend before
        # quantising): the quantiser then sees fused Conv+Relu and known tensor shapes.
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=False)
        quantize_static(
            str(pre), str(out), _reader(batches, INPUT_NAME), quant_format=formats[quant_format],
            op_types_to_quantize=list(QUANTIZED_OPS), per_channel=per_channel,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )  # fmt: skip
        proto = onnx.load(str(out))
    # The quantiser writes a new ModelProto: copy platocr's metadata over and say what was done.
    props = onnx_metadata_props(float_model)
    props["platocr.precision"] = "int8"
    props["platocr.quantization"] = json.dumps(
        {"format": quant_format, "ops": list(QUANTIZED_OPS), "per_channel": per_channel,
         "activations": "uint8", "weights": "int8", "calibration": "minmax", **(provenance or {})}
    )  # fmt: skip
    del proto.metadata_props[:]
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


def compare(
    float_model: bytes, int8_model: bytes, batches: Sequence[np.ndarray], tokenizer: Any
) -> tuple[float, float, float]:
    """(greedy agreement, max |Δ log-prob|, max |Δ prob|) of the two models on ``batches``."""
    from platocr.recognition.decoding import decode_greedy
    from platocr.recognition.onnx_export import INPUT_NAME, OUTPUT_NAME, onnx_session

    sessions = onnx_session(float_model), onnx_session(int8_model)
    same = total = 0
    max_log = max_prob = 0.0
    for batch in batches:
        a, b = (s.run([OUTPUT_NAME], {INPUT_NAME: batch})[0] for s in sessions)
        max_log = max(max_log, float(np.abs(a - b).max()))
        max_prob = max(max_prob, float(np.abs(np.exp(a) - np.exp(b)).max()))
        reads = zip(decode_greedy(a, tokenizer), decode_greedy(b, tokenizer), strict=True)
        same += sum(x.text == y.text for x, y in reads)
        total += len(batch)
    return same / total, max_log, max_prob


def quantize_onnx(
    float_model: bytes,
    out: str | Path,
    labels: str | Path,
    *,
    crops: int = DEFAULT_CALIBRATION_CROPS,
    quant_format: str = "qdq",
) -> QuantizeReport:
    """Quantise ``float_model`` (bytes from :func:`platocr.recognition.onnx_export.export_onnx_bytes`) on
    ``crops`` crops of ``labels``, write it to ``out`` and compare it with the float model."""
    from platocr.recognition.onnx_export import read_onnx_metadata

    config, tokenizer, _ = read_onnx_metadata(float_model)
    batches, skipped = calibration_batches(labels, config, crops)
    n = sum(len(b) for b in batches)
    where = {"calibration_labels": str(labels), "calibration_crops": n}
    data = quantize_bytes(float_model, batches, quant_format=quant_format, provenance=where)
    agreement, max_log, max_prob = compare(float_model, data, batches, tokenizer)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)  # atomic, as the float export
    return QuantizeReport(n, skipped, agreement, max_log, max_prob, len(data))
