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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from platocr.data.plate_boxes import IGNORE_REGION, PlateBox, load_plate_boxes
from platocr.detection import Detection, judge_boxes, plates_passing
from platocr.detection.boxes import PlateCount
from platocr.errors import PlatocrError
from platocr.tools.detect_report import (
    MATCH_IOU,
    READ_REGION,
    DetectionReport,
    ReadCount,
    RegionCount,
    width_band,
)
from platocr.tools.read import Skipped
from platocr.tools.read_plates import read_boxes

if TYPE_CHECKING:
    from rich.console import Console

    from platocr.detection import PlateDetector
    from platocr.recognition.prediction import Prediction
    from platocr.recognition.predictor import Predictor

Detector = Callable[[np.ndarray], list[Detection]]


@dataclass(frozen=True)
class FrameOutcome:
    """One frame as :func:`evaluate_detection` judged it (what ``gallery --detect plate`` shows).

    ``plates``: the judged plates (region ``ignore`` left out); ``every``: all the detector returned
    (with a sweep, also plates under the threshold); ``found``: the detections that count at the
    threshold; ``matched``: (plate index, index into ``found``, IoU); ``reads``: index into ``found`` ->
    its read, for the ``ru`` plates matched and the false plates (empty without a reader).
    """

    path: str
    plates: list[PlateBox]
    every: list[Detection]
    found: list[Detection]
    matched: list[tuple[int, int, float]]
    reads: dict[int, Prediction]


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
    on_frame: Callable[[FrameOutcome], None] | None = None,
) -> DetectionReport:
    """Run ``detector`` on every labelled frame of ``boxes`` and, with ``predictor``, read the found
    ``ru`` plates; ``predictor`` None = boxes only. Unreadable frames are skipped and listed.

    ``threshold`` keeps the detections a detector at that threshold reports (:func:`plates_passing`);
    ``sweep`` also counts plates found and false plates at each of those thresholds (run the detector at
    the lowest of them, with ``sweep_to`` the highest: a plate it finds at a higher threshold is the same
    one, with the same box and score). ``on_frame`` is given each judged frame's :class:`FrameOutcome`.
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
            reads = {} if predictor is None else _read(report, predictor, image, plates, found, matched)
            if on_frame is not None:
                on_frame(FrameOutcome(image_path, plates, every, found, matched, reads))
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
) -> dict[int, Prediction]:
    """Read the found ``ru`` plates (an ``ru`` plate not found counts as not read right) and the false
    plates (one the reader gives a text is what a user would see as a plate); returns the reads by
    index into ``found``."""
    for plate in filter(_readable, plates):
        report.read_plates += 1
        report.read_by_width.setdefault(width_band(plate.box[2]), ReadCount()).plates += 1
    targets = [(plates[i], j) for i, j, _ in matched if _readable(plates[i])]
    matched_found = {j for _, j, _ in matched}
    false = [j for j in range(len(found)) if j not in matched_found]
    if not targets and not false:
        return {}
    start = time.perf_counter()
    order = [j for _, j in targets] + false
    reads = read_boxes(predictor, image, [found[j].box for j in order])
    report.read_seconds += time.perf_counter() - start
    for read, (plate, _) in zip(reads[: len(targets)], targets, strict=True):
        if same_plate(read.text, plate.text):
            report.read_right += 1
            report.read_by_width[width_band(plate.box[2])].right += 1
    report.false_reads += sum(bool(r.text) for r in reads[len(targets) :])
    return dict(zip(order, reads, strict=True))


def check_detect(detect: str | None, option: str = "--boxes-only") -> None:
    """``--detect``'s value: plate, the one kind of object the detector knows (None: ``option``, which
    needs it, was given without it)."""
    if detect != "plate":
        raise PlatocrError(
            f"--detect {detect!r}: only plate is known" if detect else f"{option} needs --detect plate"
        )


def run_once_for_all(plate_detector: PlateDetector, low: float, high: float) -> Detector:
    """``plate_detector`` set to run at ``low`` (or its own threshold, when lower), returning the plates
    from which :func:`plates_passing` gives what it would report at any threshold up to ``high``."""
    settings = plate_detector.settings
    plate_detector.settings = replace(settings, threshold=min(low, settings.threshold))
    return functools.partial(plate_detector, sweep_to=high)


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
    expect_plate: bool = False,
    progress: bool = True,
    **predictor_options: Any,
) -> DetectionReport:
    """``platocr eval MODEL BOXES --detect plate``: check the options and the outputs, load the detector
    (and, without ``boxes_only``, ``model`` with ``predictor_options``), evaluate, print, write ``json_out``.
    ``thresholds``: also count plates found and false plates at every ``THRESHOLD_CANDIDATES``;
    ``expect_plate``: see :func:`~platocr.detection.detector.find_plates`."""
    import json

    from platocr.outputs import check_writable_file

    check_detect(detect, "--expect-plate" if expect_plate and not boxes_only else "--boxes-only")
    if thresholds and expect_plate:
        raise PlatocrError("--thresholds counts plates at each threshold: it does not go with --expect-plate")
    if json_out is not None:
        check_writable_file(json_out, "--json")
    from platocr.detection import PlateDetector
    from platocr.detection.settings import THRESHOLD_CANDIDATES

    plate_detector = PlateDetector.load(detector, threshold=detect_threshold, expect_plate=expect_plate)
    threshold, sweep, find = None, (), plate_detector
    if thresholds:  # one run at the lowest threshold serves them all
        threshold, sweep = plate_detector.settings.threshold, THRESHOLD_CANDIDATES
        find = run_once_for_all(plate_detector, min(sweep), max((threshold, *sweep)))
    predictor = None
    if not boxes_only:
        from platocr.recognition.predictor import Predictor

        predictor = Predictor.load(model, **predictor_options)
        if expect_plate:  # the reader helps choose the expected plate, as in read --expect-plate
            from platocr.tools.read_plates import reads_as_text

            plate_detector.reads_text = reads_as_text(predictor)
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
