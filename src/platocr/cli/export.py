"""`platocr export`: Export a checkpoint to ONNX (dynamic batch)."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("export", help="Export a checkpoint to ONNX (dynamic batch). (arrives with issue #4)")
def export_command() -> None:
    raise PlatocrError("platocr export is not built yet: it arrives with issue #4")
