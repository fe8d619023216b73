"""The two inference backends behind :class:`platocr.recognition.predictor.Predictor`, and how one is picked.

A backend is a :data:`Forward`: numpy in, numpy out. The torch one converts at its edge
(``torch.from_numpy`` in, ``.numpy()`` out) and imports torch only when built; the onnxruntime one
never imports torch, timm or torchvision, so reading with ``backend="onnx"`` (or ``"auto"`` on a
CPU) needs only the base install.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from platocr.errors import PlatocrError

if TYPE_CHECKING:
    from torch import nn

# (N, 3, H, W) float32 normalised numpy batch -> (N, T, C) float32 log-probabilities as numpy.
Forward = Callable[[np.ndarray], np.ndarray]
# What a missing torch says, wherever the torch backend or a .pt was asked for.
TORCH_MISSING = (
    "torch is not installed: pip install 'platocr[train]' for the torch backend and .pt checkpoints, "
    "or read an .onnx or a bundled model with backend='onnx' (--backend onnx)"
)


def import_torch() -> Any:
    """``torch``, imported on first use; PlatocrError naming the extra when it is not installed."""
    try:
        import torch
    except ImportError:
        raise PlatocrError(TORCH_MISSING) from None
    return torch


def resolve_device(device: str, backend: str) -> str:
    """``auto`` | ``cpu`` | ``cuda`` -> ``cpu`` or ``cuda[:i]`` for ``backend``; PlatocrError if
    unavailable. Only the torch backend imports torch."""
    if backend == "onnx":
        _check_device(device)
        import onnxruntime as ort

        has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
        return "cuda" if device == "cuda" or (device == "auto" and has_cuda) else "cpu"
    return torch_device(device)


def _check_device(device: str) -> None:
    if device not in ("auto", "cpu", "cuda"):
        raise PlatocrError(f"--device must be auto, cpu or cuda, got {device!r}")


def torch_device(device: str, local_rank: int = 0) -> str:
    """``auto`` | ``cpu`` | ``cuda`` -> ``cpu`` or ``cuda:i`` (``i`` from a torchrun ``local_rank``);
    ``cuda`` without a GPU is a PlatocrError. Shared by the predictor and training."""
    _check_device(device)
    torch = import_torch()
    if device == "cuda" and not torch.cuda.is_available():
        raise PlatocrError("--device cuda: no CUDA device is available (this torch sees none)")
    if device == "cpu" or not torch.cuda.is_available():
        return "cpu"
    return f"cuda:{local_rank % torch.cuda.device_count()}"


def nvidia_driver_present() -> bool:
    """Whether the NVIDIA driver library loads: a cheap "no GPU here" that needs no torch (no CUDA
    call is made; loading the library starts nothing)."""
    import ctypes

    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def pick_backend(path: Path, device: str) -> str:
    """``backend="auto"``: onnx for an .onnx file, torch on CUDA, else onnxruntime when installed.

    On a CPU onnxruntime runs the small CRNNs faster at batch 32+ and gains more from the threaded
    video pipeline (README bench, 2 cores: threaded/sequential 2.26x against torch's 1.58x). torch is
    only imported to ask about CUDA when the NVIDIA driver is there (its import alone takes seconds).
    """
    import importlib.util

    if path.suffix.lower() == ".onnx":
        return "onnx"
    has_onnxruntime = importlib.util.find_spec("onnxruntime") is not None
    if has_onnxruntime and (importlib.util.find_spec("torch") is None or device == "cpu"):
        return "onnx"
    if has_onnxruntime and device == "auto" and not nvidia_driver_present():
        return "onnx"
    if resolve_device(device, "torch").startswith("cuda"):
        return "torch"
    return "onnx" if has_onnxruntime else "torch"


def torch_forward(model: nn.Module, device: str) -> Forward:
    """Forward pass in ``torch.inference_mode``; on CUDA with fp16 autocast and channels_last.

    Takes and returns numpy (see :data:`Forward`): the tensors stay inside.
    """
    torch = import_torch()
    model = model.to(device).eval()
    on_cuda = device.startswith("cuda")
    if on_cuda:
        model = model.to(memory_format=torch.channels_last)

    def forward(images: np.ndarray) -> np.ndarray:
        batch = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
        with torch.inference_mode():
            if not on_cuda:
                return model(batch).float().numpy()
            batch = batch.to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                return model(batch).float().cpu().numpy()

    return forward


def onnx_forward(session: Any) -> Forward:
    """Forward pass through an onnxruntime session (see :mod:`platocr.recognition.onnx_export` for the names)."""
    from platocr.recognition.onnx_export import INPUT_NAME, OUTPUT_NAME

    def forward(images: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(images, dtype=np.float32)
        return session.run([OUTPUT_NAME], {INPUT_NAME: batch})[0]

    return forward
