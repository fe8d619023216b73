"""`platocr train`: Train a CRNN + CTC model from a YAML config."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("train", help="Train a CRNN + CTC model from a YAML config. (arrives with issue #3)")
def train_command() -> None:
    raise PlatocrError("platocr train is not built yet: it arrives with issue #3")
