"""``platocr eval MODEL BOXES --detect plate``: how well plates are found, and read, in whole frames.

BOXES is a ``boxes.tsv`` or a folder holding one, as :func:`platocr.data.plate_boxes.load_plate_boxes`
reads it (columns ``filename text x y width height region``; a frame without plates counts too). A labelled plate counts as found when a detection
overlaps it at IoU >= 0.5 (each detection matches one plate, best overlaps first); a detection that
matches no plate is a false plate, unless it lies on a plate of region ``ignore`` (cut by the frame's
edge or mostly hidden: in the picture but not judged), which counts neither way. Plates of region ``ru`` are also read from the matched detection's
crop and count as read right when the text equals the label, also counted by the plate's width in
the frame (``READ_WIDTHS``: below 100 px a plate's characters are a few pixels tall); ``boxes_only``
(real photos from other countries) skips reading. Example::

    report = evaluate_detection(PlateDetector.load(), "frames/boxes.tsv", Predictor.load("plates-ru"))
    report.recall, report.false_plates_per_frame, report.read_right_rate
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from platocr.data.plate_boxes import IGNORE_REGION, PlateBox, load_plate_boxes
from platocr.detection import Detection, judge_boxes, plates_passing
from platocr.detection.boxes import PlateCount
from platocr.errors import PlatocrError
from platocr.tools.read import Skipped
from platocr.tools.read_plates import read_boxes

if TYPE_CHECKING:
    from rich.console import Console

    from platocr.recognition.predictor import Predictor

Detector = Callable[[np.ndarray], list[Detection]]
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


def same_plate(read: str, label: str) -> bool:
    """Texts equal, Cyrillic lookalike letters taken as their Latin twins (labels are typed either way)."""
    from platocr.data.label_text import LOOKALIKES

    def norm(text: str) -> str:
        return "".join(LOOKALIKES.get(c, c) for c in text).upper()

    return norm(read) == norm(label)


def evaluate_detection(
    detector: Detector,
    boxes: str | Path,
    predictor: Predictor | None = None,
    *,
    threshold: float | None = None,
    sweep: tuple[float, ...] = (),
    progress: bool = True,
) -> DetectionReport:
    """Run ``detector`` on every labelled frame of ``boxes`` and, with ``predictor``, read the found
    ``ru`` plates; ``predictor`` None = boxes only. Unreadable frames are skipped and listed.

    ``threshold`` keeps the detections a detector at that threshold reports (:func:`plates_passing`);
    ``sweep`` also counts plates found and false plates at each of those thresholds (run the detector at
    the lowest of them, with ``sweep_to`` the highest: a plate it finds at a higher threshold is the same
    one, with the same box and score).
    """
    from platocr.progress import make_progress
    from platocr.recognition.preprocess import image_or_reason

    labelled = load_plate_boxes(boxes)
    path = labelled.file
    report = DetectionReport(str(path), boxes_only=predictor is None, threshold=threshold)
    report.by_threshold = [PlateCount(t, MATCH_IOU) for t in sweep]
    report.skipped = [Skipped(str(image), reason) for image, reason in labelled.skipped]
    with make_progress(enabled=progress) as bar:
        task = bar.add_task("detect", total=len(labelled.frames))
        for frame in labelled.frames:
            bar.update(task, advance=1)
            image_path = str(frame.image)
            plates = [p for p in frame.plates if p.region != IGNORE_REGION]
            ignored = [p.box for p in frame.plates if p.region == IGNORE_REGION]
            image = image_or_reason(image_path)
            if isinstance(image, str):
                report.skipped.append(Skipped(image_path, image))
                continue
            start = time.perf_counter()
            every = detector(image)
            report.detect_seconds += time.perf_counter() - start
            for count in report.by_threshold:
                count.add(every, [p.box for p in plates], ignored)
            found = every if threshold is None else plates_passing(every, threshold)
            # a detection of a plate that is not judged (region ignore) is neither found nor false
            kept, pairs = judge_boxes([d.box for d in found], [p.box for p in plates], ignored, MATCH_IOU)
            report.ignored_detections += len(found) - len(kept)
            found = [found[i] for i in kept]
            report.frames += 1
            report.plates += len(plates)
            report.detections += len(found)
            # (plate index, detection index, IoU), best overlaps first, each used once
            matched = [(j, i, v) for i, j, v in pairs]
            report.found += len(matched)
            report.iou_sum += sum(overlap for _, _, overlap in matched)
            for plate in plates:
                report.by_region.setdefault(plate.region or "-", RegionCount()).plates += 1
            for i, _, _ in matched:
                report.by_region[plates[i].region or "-"].found += 1
            if len(matched) < len(plates):
                report.misses.append(image_path)
            if predictor is not None:
                _read(report, predictor, image, plates, found, matched)
    if not report.frames:
        raise PlatocrError(f"{path}: no frame could be read ({len(report.skipped)} unreadable)")
    return report


def _readable(plate: PlateBox) -> bool:
    return plate.region == READ_REGION and bool(plate.text)  # a plate whose text is unknown is not judged


def _read(
    report: DetectionReport,
    predictor: Predictor,
    image: np.ndarray,
    plates: list[PlateBox],
    found: list[Detection],
    matched: list[tuple[int, int, float]],
) -> None:
    """Read the found ``ru`` plates (an ``ru`` plate not found counts as not read right) and the false
    plates (one the reader gives a text is what a user would see as a plate)."""
    for plate in filter(_readable, plates):
        report.read_plates += 1
        report.read_by_width.setdefault(width_band(plate.box[2]), ReadCount()).plates += 1
    targets = [(plates[i], found[j].box) for i, j, _ in matched if _readable(plates[i])]
    matched_found = {j for _, j, _ in matched}
    false = [d.box for j, d in enumerate(found) if j not in matched_found]
    if not targets and not false:
        return
    start = time.perf_counter()
    reads = read_boxes(predictor, image, [box for _, box in targets] + false)
    report.read_seconds += time.perf_counter() - start
    for read, (plate, _) in zip(reads[: len(targets)], targets, strict=True):
        if same_plate(read.text, plate.text):
            report.read_right += 1
            report.read_by_width[width_band(plate.box[2])].right += 1
    report.false_reads += sum(bool(r.text) for r in reads[len(targets) :])


def run_detect_eval(
    model: str,
    boxes: Path,
    *,
    detect: str | None,
    boxes_only: bool,
    detector: str,
    json_out: Path | None,
    console: Console,
    detect_threshold: float | None = None,
    thresholds: bool = False,
    progress: bool = True,
    **predictor_options: Any,
) -> DetectionReport:
    """``platocr eval MODEL BOXES --detect plate``: check the options and the outputs, load the detector
    (and, without ``boxes_only``, ``model`` with ``predictor_options``), evaluate, print, write ``json_out``.
    ``thresholds``: also count plates found and false plates at every ``THRESHOLD_CANDIDATES``."""
    import json

    from platocr.outputs import check_writable_file

    if detect != "plate":
        raise PlatocrError(
            f"--detect {detect!r}: only plate is known" if detect else "--boxes-only needs --detect plate"
        )
    if json_out is not None:
        check_writable_file(json_out, "--json")
    from platocr.detection import PlateDetector
    from platocr.detection.detector import THRESHOLD_CANDIDATES

    plate_detector = PlateDetector.load(detector, threshold=detect_threshold)
    threshold, sweep, find = None, (), plate_detector
    if thresholds:  # one run at the lowest threshold serves them all
        threshold, sweep = plate_detector.settings.threshold, THRESHOLD_CANDIDATES
        plate_detector.settings = replace(plate_detector.settings, threshold=min((threshold, *sweep)))
        find = functools.partial(plate_detector, sweep_to=max((threshold, *sweep)))
    predictor = None
    if not boxes_only:
        from platocr.recognition.predictor import Predictor

        predictor = Predictor.load(model, **predictor_options)
    from platocr.tools.detect_report import print_detection_report

    report = evaluate_detection(find, boxes, predictor, threshold=threshold, sweep=sweep, progress=progress)
    # any callable that finds plates will do here (tests pass stand-ins): name the files when known
    report.detector = getattr(plate_detector, "source", "")
    verifier = getattr(plate_detector, "verifier", None)
    report.verifier = verifier.source if verifier is not None else ""
    print_detection_report(report, console)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(
            json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        console.print(f"wrote {json_out}", highlight=False, soft_wrap=True)
    return report
