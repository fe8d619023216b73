"""`platocr probe`: input size and backbone statistics for a label file; writes a config that trains on it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platocr.cli._app import command

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from platocr.tools.probe import Distribution, ProbeReport


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
        typer.Option(
            "--write-config",
            help="Write a config that learns on a CPU in minutes: a fine-tune of the shipped model that "
            "knows the labels' characters, else the cheapest skip-path backbone from scratch.",
        ),
    ] = None,
    from_scratch: Annotated[
        bool,
        typer.Option("--from-scratch", help="Write a from-scratch config even if a shipped model fits."),
    ] = False,
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
    """Crop size, aspect and text-length statistics; T, parameters, multiply-adds and latency per
    backbone/stage; and which config trains on these labels.

    CTC needs T / max text length >= 2 (a blank between repeated characters); rows below are red. The
    from-scratch pick is the fewest multiply-adds (a count, the same on every run) among the fitting
    platocr_vgg backbones with the skip path; latency is shown but does not decide.
    """
    from platocr.errors import PlatocrError
    from platocr.outputs import check_writable_file
    from platocr.progress import console, make_progress
    from platocr.recognition.config import load_config
    from platocr.tools.probe import LATENCY_BATCHES, run_probe
    from platocr.tools.probe_config import plan_training, write_probe_config

    if write_config is not None:
        check_writable_file(write_config, "--write-config")
    cfg = load_config(config)
    with make_progress() as progress:
        report = run_probe(
            labels,
            cfg,
            backbones=backbone,
            height=height,
            sample=sample,
            runs=runs,
            device=device,
            batch_sizes=tuple(sorted(set(batch))) if batch else LATENCY_BATCHES,
            fine_tune=not from_scratch,
            progress=progress,
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
        colour = "yellow" if report.init is not None else "red"  # a fine-tune does not need one
        console.print(
            f"[{colour}]no candidate fits and trains from scratch on a CPU: add -b platocr_vgg_t[/]"
        )
    else:
        console.print(
            f"from-scratch pick: {best.backbone} stage {best.feature_stage} time_stride {best.time_stride} "
            f"(T={best.seq_len}, {best.macs / 1e6:.1f} M multiply-adds per crop)",
            soft_wrap=True,
        )
    if write_config is not None:
        path, lines = write_probe_config(report, cfg, write_config)
        console.print("\n".join(lines), soft_wrap=True)
        console.print(f"wrote {path}")
        return
    try:
        plan = plan_training(report, cfg)
    except PlatocrError as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
    else:
        console.print(f"--write-config would write: {plan.reason}", soft_wrap=True)


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
    for column in ("stage", "stride", "C x h", "T", "T/len", "params", "M MACs", "scratch"):
        table.add_column(column, justify="right", no_wrap=True)
    rows = ([report.fine_tune] if report.fine_tune else []) + list(report.candidates)
    for batch in rows[0].latency_ms if rows else ():
        table.add_column(f"b{batch} ms", justify="right", no_wrap=True)
    pick = report.pick
    for c in rows:
        ratio = f"{c.frames_per_char:.1f}" if c.fits else f"[red]{c.frames_per_char:.1f}[/red]"
        table.add_row(
            f"{c.backbone} ({c.init})" if c.init else c.backbone,
            str(c.feature_stage),
            # stride = horizontal reduction of the features; "*" = changed by time_stride
            f"{c.time_stride}*" if c.time_stride else str(c.native_stride),
            f"{c.feature_shape[0]}x{c.feature_shape[1]}",
            str(c.seq_len),
            ratio,
            f"{c.parameters / 1e6:.2f}M",
            f"{c.macs / 1e6:.1f}",
            "yes" if c.trains_from_scratch else "-",
            *(f"{ms:.1f}" for ms in c.latency_ms.values()),
            style="bold" if c is pick else None,
        )
    table.caption = (
        "stride: horizontal reduction (* = set by model.time_stride); MACs: multiply-adds per crop; "
        "scratch: leaves CTC's blank plateau on a CPU (skip path); (name): a shipped model's "
        "architecture, the fine-tune start; bold = what --write-config writes"
    )
    return table
