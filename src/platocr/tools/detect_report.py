"""The table ``platocr eval MODEL BOXES --detect plate`` prints for a :class:`DetectionReport`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from platocr.tools.detect_eval import MATCH_IOU, READ_REGION, READ_WIDTHS, DetectionReport, width_band

if TYPE_CHECKING:
    from rich.console import Console


def print_detection_report(report: DetectionReport, console: Console) -> None:
    """The figures as a rich table, the per-region recall below."""
    from rich.table import Table

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    table = Table(title=f"plate detection on {report.frames} frames of {report.source}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row(
        f"plates found (IoU >= {MATCH_IOU})", f"{pct(report.recall)} ({report.found}/{report.plates})"
    )
    table.add_row("precision", f"{pct(report.precision)} ({report.found}/{report.detections})")
    fpf = report.false_plates_per_frame
    table.add_row("false plates per frame", "-" if fpf is None else f"{fpf:.3f} ({report.false_plates})")
    if report.false_reads_per_frame is not None:
        table.add_row(
            "false plates read as text, per frame",
            f"{report.false_reads_per_frame:.3f} ({report.false_reads})",
        )
    if report.ignored_detections:
        table.add_row("detections of plates not judged (cut, hidden)", str(report.ignored_detections))
    table.add_row("mean IoU of found plates", "-" if report.mean_iou is None else f"{report.mean_iou:.3f}")
    if report.boxes_only:
        table.add_row("read right", "not measured (--boxes-only)")
    else:
        table.add_row(f"read right ({READ_REGION} plates)", f"{pct(report.read_right_rate)} "
                      f"({report.read_right}/{report.read_plates})")  # fmt: skip
    ms = report.detector_ms_per_frame
    timed = "detector ms/frame" + (
        f" (run at {report.by_threshold[0].threshold})" if report.by_threshold else ""
    )
    table.add_row(timed, "-" if ms is None else f"{ms:.1f}")
    if report.detector:
        names = [Path(f).name for f in (report.detector, report.verifier) if f]
        table.add_row("detector", " + ".join(names))
    if len(report.by_region) > 1:
        for name, count in sorted(report.by_region.items()):
            table.add_row(
                f"  found, {name}", f"{pct(count.found / count.plates)} ({count.found}/{count.plates})"
            )
    for band, read in sorted(report.read_by_width.items(), key=lambda item: _band_order(item[0])):
        table.add_row(f"  read right, plates {band} wide", f"{pct(read.right / read.plates)} "
                      f"({read.right}/{read.plates})")  # fmt: skip
    console.print(table)
    if report.by_threshold:
        _print_thresholds(report, console)
    if report.skipped:
        console.print(f"skipped {len(report.skipped)} unreadable frames:", highlight=False)
        for skip in report.skipped:
            console.print(f"  {skip.path}: {skip.reason}", highlight=False, soft_wrap=True)


def _band_order(band: str) -> int:
    return [width_band(w) for w in (0, *READ_WIDTHS)].index(band)


def _print_thresholds(report: DetectionReport, console: Console) -> None:
    """Plates found and false plates at each threshold of the sweep, the one used marked."""
    from rich.table import Table

    table = Table(title=f"by detector threshold (IoU >= {MATCH_IOU}; * = the one above)")
    for name in ("threshold", "plates found", "false plates per frame", "precision", "F1"):
        table.add_column(name, justify="right")
    for count in report.by_threshold:
        table.add_row(
            f"{count.threshold:.2f}" + (" *" if count.threshold == report.threshold else ""),
            f"{count.recall:.3f}" if count.plates else "-",
            f"{count.false_per_frame:.3f}",
            f"{count.precision:.3f}" if count.found + count.false_plates else "-",
            f"{count.f1:.3f}",
        )
    console.print(table)
