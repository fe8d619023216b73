"""`platocr probe`: Input size and backbone statistics for a label file; writes a config with the pick."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platocr.cli._app import command

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from platocr.probe import Distribution, ProbeReport


@command("probe")
def probe_command(
    labels: Annotated[
        Path, typer.Argument(help="Label file, folder with labels.tsv, or CropNumbers folder.")
    ],
    backbone: Annotated[
        list[str] | None,
        typer.Option(
            "--backbone", "-b", help="timm backbone to measure (repeat; default: a small CPU-friendly set)."
        ),
    ] = None,
    height: Annotated[
        int | None,
        typer.Option("--height", min=16, help="Input height (default: the config's input.height)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Base config (default: built-in).")
    ] = None,
    write_config: Annotated[
        Path | None,
        typer.Option("--write-config", help="Write the config with the recommended size and backbone."),
    ] = None,
    sample: Annotated[int, typer.Option("--sample", min=1, help="Images whose size is read.")] = 2000,
    runs: Annotated[
        int, typer.Option("--runs", min=1, help="Timed runs per latency figure (after 2 warm-ups).")
    ] = 3,
    device: Annotated[
        str | None, typer.Option("--device", help="cpu, cuda, cuda:1 (default: cuda if any).")
    ] = None,
    batch: Annotated[
        list[int] | None,
        typer.Option("--batch", min=1, help="Batch sizes to time (repeat; default: 1 and 32)."),
    ] = None,
) -> None:
    """Crop size, aspect and text-length statistics; T, parameters and latency per backbone/stage.

    CTC needs T / max text length >= 2 (a blank between repeated characters); rows below are red.
    """
    from platocr.config import load_config
    from platocr.probe import LATENCY_BATCHES, run_probe, write_probe_config
    from platocr.progress import console

    cfg = load_config(config)
    with console.status("probing backbones..."):
        report = run_probe(
            labels,
            cfg,
            backbones=backbone,
            height=height,
            sample=sample,
            runs=runs,
            device=device,
            batch_sizes=tuple(sorted(set(batch))) if batch else LATENCY_BATCHES,
        )
    s = report.stats
    unreadable = f", {len(s.unreadable)} unreadable" if s.unreadable else ""
    console.print(
        f"{report.source}: {s.rows} rows ({s.negatives} negatives); image sizes from {s.sampled} "
        f"sampled images{unreadable}; alphabet {s.alphabet or '(none)'}",
        soft_wrap=True,
    )
    for table in (stats_table(report), candidates_table(report)):
        print_full_width(console, table)
    h, w = report.input_size
    console.print(f"recommended input: {h}x{w} (95th percentile aspect {s.aspect.percentiles[95]:.2f})")
    best = report.best
    if best is None:
        console.print(
            "[red]no candidate reaches T / max_text_len >= 2: raise --height or add --backbone[/red]"
        )
    else:
        batch_size = max(best.latency_ms)
        per_image = best.latency_ms[batch_size] / batch_size
        console.print(
            f"best: {best.backbone} stage {best.feature_stage} time_stride {best.time_stride} "
            f"(T={best.seq_len}, {per_image:.2f} ms/image at batch {batch_size})",
            soft_wrap=True,
        )
    if write_config is not None:
        path, changes = write_probe_config(report, cfg, write_config)
        console.print(f"wrote {path}: " + "; ".join(changes), soft_wrap=True)


def print_full_width(console: Console, table: Table) -> None:
    """Print ``table`` uncut: piped output (80 columns by default) gets the table's natural width."""
    from rich.console import Console

    if console.is_terminal:
        console.print(table)
        return
    natural = console.measure(table, options=console.options.update_width(1000)).maximum
    Console(file=console.file, width=max(natural, console.width), highlight=False).print(table)


def _row(name: str, d: Distribution, fmt: str) -> list[str]:
    return [
        name,
        format(d.minimum, fmt),
        *(format(v, fmt) for v in d.percentiles.values()),
        format(d.maximum, fmt),
    ]


def stats_table(report: ProbeReport) -> Table:
    """Crop size / aspect / text length distributions."""
    from rich import box
    from rich.table import Table

    s = report.stats
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ["", "min", *(f"p{p}" for p in s.width.percentiles), "max"]:
        table.add_column(column, justify="right")
    table.add_row(*_row("width px", s.width, ".0f"))
    table.add_row(*_row("height px", s.height, ".0f"))
    table.add_row(*_row("aspect w/h", s.aspect, ".2f"))
    if s.text_length is not None:
        table.add_row(*_row("text length", s.text_length, ".0f"))
    return table


def candidates_table(report: ProbeReport) -> Table:
    """One row per backbone/stage/time_stride, T / max_len < 2 in red, the pick in bold."""
    from rich import box
    from rich.table import Table

    h, w = report.input_size
    table = Table(
        title=f"backbones at {h}x{w}, max text length {report.max_text_len}, on {report.device}",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("backbone", no_wrap=True)
    for column in ("stage", "stride", "C x h", "T", "T/len", "params"):
        table.add_column(column, justify="right", no_wrap=True)
    for batch in next(iter(report.candidates)).latency_ms if report.candidates else ():
        table.add_column(f"b{batch} ms", justify="right", no_wrap=True)
    best = report.best
    for c in report.candidates:
        ratio = f"{c.frames_per_char:.1f}" if c.fits else f"[red]{c.frames_per_char:.1f}[/red]"
        table.add_row(
            c.backbone,
            str(c.feature_stage),
            # stride = horizontal reduction of the features; "*" = changed by time_stride
            f"{c.time_stride}*" if c.time_stride else str(c.native_stride),
            f"{c.feature_shape[0]}x{c.feature_shape[1]}",
            str(c.seq_len),
            ratio,
            f"{c.parameters / 1e6:.2f}M",
            *(f"{ms:.1f}" for ms in c.latency_ms.values()),
            style="bold" if c is best else None,
        )
    table.caption = "stride: horizontal reduction (* = set by model.time_stride); bold = pick"
    return table
