"""Shared rich console and progress bar so every stage looks and behaves the same."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def make_progress(*, enabled: bool = True, extra: str = "") -> Progress:
    """A progress bar on stderr; disabled (invisible) when ``enabled`` is False.

    ``extra`` is a rich format string over task fields, e.g. ``"loss {task.fields[loss]:.3f}"``.
    """
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    if extra:
        columns.append(TextColumn(extra))
    return Progress(*columns, console=err_console, disable=not enabled or not sys.stderr)
