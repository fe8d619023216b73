"""Rich tables more than one report prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from platocr.recognition.metrics import FloorRow


def floor_table(rows: Sequence[FloorRow], title: str) -> Table:
    """What dropping reads under each confidence floor does: one row per floor of
    :func:`platocr.recognition.metrics.confidence_floors` (StringMatch, wrong reads, no reads)."""
    table = Table(title=title)
    for name in ("floor", "StringMatch", "wrong reads", "no reads"):
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(f"{row.floor:g}", f"{row.string_match:.4f}", str(row.wrong), str(row.no_read))
    return table
