"""`platocr demo`: One-command tour: synth, crop, split, train, eval, gallery and video."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("demo", help="One-command tour: synth, crop, split, train, eval, gallery and video. (arrives with issue #5)")
def demo_command() -> None:
    raise PlatocrError("platocr demo is not built yet: it arrives with issue #5")
