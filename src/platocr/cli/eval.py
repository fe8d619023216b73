"""`platocr eval`: Evaluate a checkpoint on a label file (StringMatch, edit distance, CER, confusions)."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("eval", help="Evaluate a checkpoint on a label file (StringMatch, edit distance, CER, confusions). (arrives with issue #3)")
def eval_command() -> None:
    raise PlatocrError("platocr eval is not built yet: it arrives with issue #3")
