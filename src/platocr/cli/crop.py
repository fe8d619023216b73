"""`platocr crop`: Cut text crops from barcode photos (layout a) into a platocr label file."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("crop", help="Cut text crops from barcode photos (layout a) into a platocr label file. (arrives with issue #2)")
def crop_command() -> None:
    raise PlatocrError("platocr crop is not built yet: it arrives with issue #2")
