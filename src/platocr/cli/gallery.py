"""`platocr gallery`: Grid of crops with target and prediction, errors first (PNG or self-contained HTML)."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("gallery", help="Grid of crops with target and prediction, errors first (PNG or self-contained HTML). (arrives with issue #3)")
def gallery_command() -> None:
    raise PlatocrError("platocr gallery is not built yet: it arrives with issue #3")
