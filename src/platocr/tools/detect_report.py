"""What ``platocr eval MODEL BOXES --detect plate`` counts (:class:`DetectionReport`) and the table it prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from platocr.detection.boxes import PlateCount
from platocr.tools.read import Skipped

if TYPE_CHECKING:
    from rich.console import Console

MATCH_IOU = 0.5
READ_REGION = "ru"  # the plates the plate reader knows; the others are measured for detection only
READ_WIDTHS = (100, 160)  # plate widths (frame px) where reading is reported apart: how far a camera may be


@dataclass
class RegionCount:
    """Plates of one region and how many of them were found."""

    plates: int = 0
    found: int = 0


@dataclass
class ReadCount:
    """Plates to read of one width band and how many were read right."""

    plates: int = 0
    right: int = 0


def width_band(width: int) -> str:
    """The READ_WIDTHS band of a plate ``width`` px wide: '< 100 px', '100-159 px' or '>= 160 px'."""
    low, high = READ_WIDTHS
    return f"< {low} px" if width < low else f"{low}-{high - 1} px" if width < high else f">= {high} px"


@dataclass
class DetectionReport:
    """Detection (and reading) figures over the frames of ``source``; rates are None when undefined."""

    source: str
    detector: str = ""  # the detector's file
    verifier: str = ""  # its plate verifier's file ("" = none)
    frames: int = 0
    plates: int = 0
    detections: int = 0  # not counting those of plates that are not judged (region ignore)
    ignored_detections: int = 0
    found: int = 0  # labelled plates matched by a detection at IoU >= MATCH_IOU
    iou_sum: float = 0.0  # over the found plates
    detect_seconds: float = 0.0
    read_plates: int = 0  # labelled plates of region READ_REGION (0 with boxes_only)
    read_right: int = 0
    false_reads: int = 0  # false plates the reader gave a text (the reader rejects most non-plates)
    read_seconds: float = 0.0
    boxes_only: bool = False
    by_region: dict[str, RegionCount] = field(default_factory=dict)
    read_by_width: dict[str, ReadCount] = field(default_factory=dict)  # READ_REGION plates by width_band
    threshold: float | None = None  # detections under it were left out (None: the detector's own)
    by_threshold: list[PlateCount] = field(default_factory=list)  # the sweep, when asked for
    skipped: list[Skipped] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)  # frames with a labelled plate not found

    @property
    def false_plates(self) -> int:
        return self.detections - self.found

    @property
    def recall(self) -> float | None:
        return self.found / self.plates if self.plates else None

    @property
    def precision(self) -> float | None:
        return self.found / self.detections if self.detections else None

    @property
    def false_plates_per_frame(self) -> float | None:
        return self.false_plates / self.frames if self.frames else None

    @property
    def false_reads_per_frame(self) -> float | None:
        return None if self.boxes_only or not self.frames else self.false_reads / self.frames

    @property
    def mean_iou(self) -> float | None:
        return self.iou_sum / self.found if self.found else None

    @property
    def read_right_rate(self) -> float | None:
        return None if self.boxes_only or not self.read_plates else self.read_right / self.read_plates

    @property
    def detector_ms_per_frame(self) -> float | None:
        return 1000 * self.detect_seconds / self.frames if self.frames else None

    def as_dict(self) -> dict[str, object]:
        """The ``--json`` form: the counts, the rates, the per-region counts, the skipped frames."""
        out = {k: v for k, v in asdict(self).items()
               if k not in ("by_region", "read_by_width", "by_threshold", "skipped", "iou_sum")}  # fmt: skip
        for name in ("recall", "precision", "false_plates", "false_plates_per_frame", "false_reads_per_frame",
                     "mean_iou", "read_right_rate", "detector_ms_per_frame"):  # fmt: skip
            out[name] = getattr(self, name)
        out["match_iou"] = MATCH_IOU
        out["by_region"] = {name: asdict(count) for name, count in sorted(self.by_region.items())}
        out["read_by_width"] = {band: asdict(count) for band, count in self.read_by_width.items()}
        out["by_threshold"] = [asdict(count) for count in self.by_threshold]
        out["skipped"] = [asdict(s) for s in self.skipped]
        return out


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
