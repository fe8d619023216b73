"""`platocr probe`: Input size and backbone statistics for a label file; writes a config with the pick."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("probe", help="Input size and backbone statistics for a label file; writes a config with the pick. (arrives with issue #3)")
def probe_command() -> None:
    raise PlatocrError("platocr probe is not built yet: it arrives with issue #3")
