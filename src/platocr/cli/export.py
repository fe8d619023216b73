"""`platocr export`: a checkpoint -> ONNX (dynamic batch, vocab + config in the file's metadata),
or -> a slim ``.pt`` (weights, config, vocab and metrics; no optimizer state), the form models ship in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command
from platocr.errors import PlatocrError
from platocr.outputs import check_writable_file


@command(
    "export",
    help="Export a checkpoint to ONNX (dynamic batch; checked against torch), or to a slim .pt for shipping.",
)
def export_command(
    checkpoint: Annotated[
        str, typer.Argument(metavar="CHECKPOINT", help="Checkpoint .pt or bundled model name.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="File to write: .onnx, or .pt for a slim checkpoint without optimizer state."
        ),
    ],
    opset: Annotated[int, typer.Option("--opset", min=9, help="ONNX opset version.")] = 17,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Compare onnxruntime with torch log-probs.")
    ] = True,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help=(
                "Change how the model reads: decode=NAME, voting.crops=[[FX,FY],...] (multi-crop "
                "voting's extra crops) or voting.when=always|empty (repeat; looks.insets and looks.when, "
                "their older names, still work)."
            ),
        ),
    ] = None,
    int8: Annotated[
        bool,
        typer.Option(
            "--int8",
            help="Write a static int8 model (onnxruntime quantize_static, QDQ; Conv/MatMul int8, the GRU/LSTM "
            "float) calibrated on --calibrate.",
        ),
    ] = False,
    calibrate: Annotated[
        Path | None,
        typer.Option(
            "--calibrate", metavar="LABELS", help="Label file or dataset folder to calibrate --int8 on."
        ),
    ] = None,
    calibration_crops: Annotated[
        int,
        typer.Option("--calibration-crops", min=1, help="Crops of --calibrate to use, spread over the file."),
    ] = 300,
) -> None:
    """Export CHECKPOINT to an .onnx file usable alone by `Predictor.load(..., backend="onnx")`.

    With `--out X.pt` it writes a slim checkpoint instead (what `src/platocr/models/` holds).
    `--set decode=checksum-ean`, `--set voting.crops=[[0,0.1]]` and `--set voting.when=empty` change how
    the exported model reads (multi-crop voting; `looks.insets` / `looks.when`, their older names, still
    work). `--int8 --calibrate LABELS` writes a quantised .onnx and prints how often its greedy reads
    agree with the float model's on the calibration crops.
    """
    check_writable_file(out, "--out")
    if int8 != (calibrate is not None):
        raise PlatocrError("--int8 needs --calibrate LABELS (and --calibrate needs --int8)")
    if int8 and out.suffix.lower() != ".onnx":
        raise PlatocrError(f"--out {out}: --int8 writes an .onnx file")
    from rich.table import Table

    from platocr.progress import console
    from platocr.recognition.onnx_export import export_checkpoint

    if out.suffix.lower() == ".pt":
        from platocr.recognition.checkpoint import write_slim_checkpoint

        size = write_slim_checkpoint(checkpoint, out, overrides or ())
        console.print(f"wrote {out}: slim checkpoint, {size / 1e6:.2f} MB", highlight=False, soft_wrap=True)
        return

    result = export_checkpoint(
        checkpoint, out, opset=opset, check=check, overrides=overrides or (), calibrate=calibrate,
        calibration_crops=calibration_crops,
    )  # fmt: skip
    table = Table(title=f"export {checkpoint}", show_header=False)
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_row("written", str(result.path))
    table.add_row("opset", str(result.opset))
    table.add_row("size", f"{result.bytes / 1e6:.2f} MB")
    table.add_row("export time", f"{result.seconds:.1f} s")
    if result.max_abs_diff is not None:
        table.add_row(
            f"max |onnx - torch| log-prob (batch {result.check_batch})", f"{result.max_abs_diff:.2e}"
        )
    if result.int8 is not None:
        q = result.int8
        skipped = f", {q.skipped} unreadable skipped" if q.skipped else ""
        table.add_row("int8 calibration crops", f"{q.crops}{skipped}")
        table.add_row("int8 reads = float reads (greedy)", f"{q.agreement:.2%}")
        table.add_row("max |int8 - float| log-prob", f"{q.max_abs_diff:.3g}")
        table.add_row("max |int8 - float| prob", f"{q.max_prob_diff:.3g}")
    console.print(table)
    if result.int8 is not None:
        typer.echo(
            f"int8 agreement with float (greedy reads): {result.int8.agreement:.4f}; "
            f"max abs diff (log-probs): {result.int8.max_abs_diff:.3e}"
        )
    if result.max_abs_diff is not None:
        typer.echo(f"max abs diff (log-probs, onnxruntime vs torch): {result.max_abs_diff:.3e}")
