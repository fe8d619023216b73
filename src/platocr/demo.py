"""`platocr demo`: the one-command tour of the toolkit on a small synthetic barcode set.

Each step calls the same library function its subcommand calls, so the tour exercises the real code
paths. Steps record the artefacts they wrote and the figures they measured for the closing table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table

from platocr.progress import console


@dataclass
class DemoState:
    """What the steps share: the output folder, the sizes, and the artefacts/figures so far."""

    out: Path
    photos: int
    seed: int
    artefacts: dict[str, Path] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _synth(state: DemoState) -> None:
    from platocr.synth.barcodes import generate_barcode_dataset

    report = generate_barcode_dataset(
        state.out / "photos",
        count=state.photos,
        seed=state.seed,
        preview=state.out / "photos_preview.png",
        show_progress=False,
    )
    state.artefacts["barcode photos (layout a)"] = state.out / "photos" / "annotations.tsv"
    state.artefacts["photo contact sheet"] = state.out / "photos_preview.png"
    state.figures["synth photos/s"] = f"{report.photos_per_second:.1f}"


def _crop(state: DemoState) -> None:
    from platocr.crop import crop_dataset

    report = crop_dataset(state.out / "photos", state.out / "crops", show_progress=False)
    state.artefacts["crops + labels.tsv"] = report.label_file
    state.figures["crops written"] = f"{report.written + report.reused} ({len(report.skipped)} skipped)"
    state.figures["crop photos/s"] = f"{report.photos_per_s:.1f}"


def _split(state: DemoState) -> None:
    from platocr.split import split_dataset

    result = split_dataset(state.out / "crops" / "labels.tsv", state.out / "split", val_fraction=0.2, seed=0)
    for name, path in result.files.items():
        state.artefacts[f"split: {name}"] = path
    sizes = " / ".join(f"{name} {len(rows)}" for name, rows in result.sides.items())
    state.figures["split sizes"] = f"{sizes} (photos on two sides: {result.shared_groups()})"


STEPS: list[tuple[str, Callable[[DemoState], None]]] = [
    ("synthesise barcode photos", _synth),
    ("crop the boxes", _crop),
    ("grouped split", _split),
]


def run_demo(out: str | Path, *, photos: int = 300, seed: int = 0) -> DemoState:
    """Run every step into ``out`` and return the shared state (artefacts, figures, step times)."""
    from platocr.progress import make_progress

    state = DemoState(out=Path(out), photos=photos, seed=seed)
    state.out.mkdir(parents=True, exist_ok=True)
    with make_progress() as progress:
        task = progress.add_task("demo", total=len(STEPS))
        for title, step in STEPS:
            progress.update(task, description=f"demo: {title}")
            started = time.perf_counter()
            step(state)
            state.seconds[title] = time.perf_counter() - started
            progress.advance(task)
    return state


def summary_table(state: DemoState) -> Table:
    """The closing table: artefacts with their paths, then figures, then step times."""
    table = Table(title=f"platocr demo -> {state.out}", show_header=True)
    table.add_column("what")
    table.add_column("value")
    for name, path in state.artefacts.items():
        table.add_row(name, str(path))
    for name, value in state.figures.items():
        table.add_row(name, value)
    for title, seconds in state.seconds.items():
        table.add_row(f"time: {title}", f"{seconds:.1f} s")
    return table


def print_summary(state: DemoState) -> None:
    console.print(summary_table(state))
