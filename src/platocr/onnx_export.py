"""Checkpoint -> ONNX with a dynamic batch axis; the ``.onnx`` file alone is enough to predict.

The vocabulary and the full config travel inside the file as ONNX ``metadata_props``
(``platocr.format``, ``platocr.vocab``, ``platocr.config`` as JSON, plus the source checkpoint's
epoch / git revision), so the onnxruntime backend of :class:`platocr.predictor.Predictor` needs no
sidecar file. Graph: input ``images`` (N, 3, H, W) float32 normalised (``preprocess.to_model_input``)
-> output ``log_probs`` (N, T, C).

The legacy TorchScript exporter (``dynamo=False``) is used: it exports the bidirectional GRU/LSTM as
single ONNX ``GRU``/``LSTM`` ops with a dynamic batch (the initial state is left implicit, i.e.
zeros, so any batch size works; :func:`check_onnx` runs another batch size to prove it).
"""

from __future__ import annotations

import io
import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from platocr.checkpoint import LoadedModel
from platocr.config import Config, config_from_dict, config_to_dict
from platocr.errors import PlatocrError
from platocr.tokenizer import Tokenizer

ONNX_FORMAT = "platocr-onnx/1"
INPUT_NAME = "images"
OUTPUT_NAME = "log_probs"
DEFAULT_OPSET = 17


@dataclass
class ExportResult:
    """What ``platocr export`` reports."""

    path: Path
    opset: int
    bytes: int
    seconds: float
    max_abs_diff: float | None  # max |log_probs_onnx - log_probs_torch|; None when not checked
    check_batch: int | None


def export_onnx_bytes(loaded: LoadedModel, opset: int = DEFAULT_OPSET) -> bytes:
    """Serialised ONNX model of ``loaded`` (exported on CPU in float32) with platocr metadata."""
    import onnx

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
        "platocr.source": json.dumps(
            {k: loaded.meta.get(k) for k in ("path", "epoch", "git_rev", "created")}
        ),
    }
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


def read_onnx_metadata(source: str | Path | bytes) -> tuple[Config, Tokenizer, dict[str, Any]]:
    """(config, tokenizer, source meta) stored by :func:`export_onnx_bytes` in an ONNX file or bytes."""
    import onnx

    where = "ONNX model" if isinstance(source, bytes) else str(source)
    try:
        proto = (
            onnx.load_from_string(source)
            if isinstance(source, bytes)
            else onnx.load(str(source), load_external_data=False)
        )
    except Exception as exc:  # noqa: BLE001 - protobuf decode errors vary
        raise PlatocrError(f"{where}: not a readable ONNX file ({type(exc).__name__}: {exc})") from None
    props = {entry.key: entry.value for entry in proto.metadata_props}
    if props.get("platocr.format") != ONNX_FORMAT:
        raise PlatocrError(
            f"{where}: no platocr metadata (expected platocr.format={ONNX_FORMAT!r}); "
            "export it with `platocr export CHECKPOINT --out model.onnx`"
        )
    config = config_from_dict(json.loads(props["platocr.config"]), where=f"{where} (metadata)")
    meta = json.loads(props.get("platocr.source", "{}"))
    return config, Tokenizer(props["platocr.vocab"]), meta


def onnx_session(model: str | Path | bytes, device: str = "cpu", threads: int | None = None) -> Any:
    """onnxruntime InferenceSession; on ``cuda`` the CUDA provider first (CPU as fallback).

    ``threads`` caps the intra-op thread pool (None = onnxruntime's default, one per core).
    """
    import onnxruntime as ort

    providers = ["CPUExecutionProvider"]
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise PlatocrError(
                "--device cuda with the onnx backend needs onnxruntime-gpu (CUDAExecutionProvider is missing)"
            )
        providers.insert(0, "CUDAExecutionProvider")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: no provider-assignment chatter
    if threads:
        options.intra_op_num_threads = threads
    source = model if isinstance(model, bytes) else str(model)
    try:
        return ort.InferenceSession(source, sess_options=options, providers=providers)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own Fail/InvalidGraph types
        raise PlatocrError(f"onnxruntime cannot load the model: {type(exc).__name__}: {exc}") from None


def check_onnx(loaded: LoadedModel, session: Any, batch: int = 3, seed: int = 0) -> float:
    """Max |log_probs| difference between onnxruntime and torch on a random normalised batch.

    ``batch`` differs from the export batch (2) so a broken dynamic axis shows up here.
    """
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
) -> ExportResult:
    """``platocr export``: checkpoint path or bundled name -> ``out`` (.onnx), optionally verified;
    ``overrides`` change the config's decode / looks (``checkpoint.with_reading_overrides``)."""
    from platocr.bundled import resolve_model
    from platocr.checkpoint import load_checkpoint, with_reading_overrides

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
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)  # atomic: a failed export never leaves a half-written model
    return ExportResult(out, opset, len(data), seconds, max_diff, 3 if check else None)
