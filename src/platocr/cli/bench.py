"""`platocr bench`: Benchmark crops/s and video fps (torch, onnx; CPU and CUDA)."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("bench", help="Benchmark crops/s and video fps (torch, onnx; CPU and CUDA). (arrives with issue #4)")
def bench_command() -> None:
    raise PlatocrError("platocr bench is not built yet: it arrives with issue #4")
