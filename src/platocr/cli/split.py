"""`platocr split`: Grouped train/val/test split of a label file or CropNumbers folder."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("split", help="Grouped train/val/test split of a label file or CropNumbers folder. (arrives with issue #2)")
def split_command() -> None:
    raise PlatocrError("platocr split is not built yet: it arrives with issue #2")
