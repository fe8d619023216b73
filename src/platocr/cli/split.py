"""`platocr split`: grouped train/val/test split of a label file or CropNumbers folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command
from platocr.outputs import check_writable_dir


@command("split", help="Grouped train/val/test split of a label file or CropNumbers folder.")
def split_command(
    dataset: Annotated[
        Path,
        typer.Argument(
            help="Label file, folder with labels.tsv, or CropNumbers folder (NumBase/, Negative/)."
        ),
    ],
    out_dir: Annotated[Path, typer.Argument(help="Output folder for train.tsv, val.tsv (and test.tsv).")],
    val_fraction: Annotated[float, typer.Option("--val-fraction", help="Share of rows for val.tsv.")],
    test_fraction: Annotated[
        float, typer.Option("--test-fraction", help="Share of rows for test.tsv (0 = no test side).")
    ] = 0.0,
    seed: Annotated[
        int, typer.Option("--seed", help="Shuffle seed: the same seed gives the same split.")
    ] = 0,
    follow: Annotated[
        Path | None,
        typer.Option(
            "--follow",
            help="Earlier split folder: rows keep their side (a plate also in its train goes to train);"
            " new rows are split by the fractions.",
        ),
    ] = None,
) -> None:
    """Split whole groups (same source photo, else same text) so no plate is on two sides.

    Writes OUT_DIR/train.tsv, val.tsv [, test.tsv] with paths relative to OUT_DIR.
    """
    check_writable_dir(out_dir)
    from rich.table import Table

    from platocr.data.split import split_dataset
    from platocr.progress import console

    result = split_dataset(dataset, out_dir, val_fraction, test_fraction, seed, follow=follow)
    stats = result.stats()
    total = sum(side.rows for side in stats)

    sizes = Table(title=f"platocr split {dataset} -> {out_dir} (seed {seed})")
    for column in ("side", "file", "rows", "share", "groups", "negatives"):
        sizes.add_column(column, justify="left" if column in ("side", "file") else "right")
    sizes.add_column("characters", overflow="fold")
    for side in stats:
        sizes.add_row(
            side.name,
            result.files[side.name].name,
            str(side.rows),
            f"{side.rows / total:.1%}",
            str(side.groups),
            str(side.negatives),
            side.charset or "-",
        )
    console.print(sizes)

    lengths = Table(title="label length histogram (rows)")
    lengths.add_column("length", justify="right")
    for side in stats:
        lengths.add_column(side.name, justify="right")
    for length in sorted({n for side in stats for n in side.lengths}):
        label = f"{length} (negative)" if length == 0 else str(length)
        lengths.add_row(label, *(str(side.lengths.get(length, 0)) for side in stats))
    console.print(lengths)

    if result.follow is not None:
        f = result.follow
        console.print(
            f"following {follow}: {f.kept} rows kept their side, {f.moved_to_train} moved to train (their"
            f" plate is also in train), {f.new} new rows split by the fractions",
            highlight=False,
            soft_wrap=True,
        )
    shared = result.shared_groups()
    verdict = "[green]ok[/green]" if shared == 0 else "[red]LEAK[/red]"
    console.print(f"groups shared between sides: {shared} {verdict}")
