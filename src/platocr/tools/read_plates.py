"""``platocr read MODEL --detect plate``: plates found in whole photos, each read; one row per plate.

A photo with no plate found still gets one row, with empty box, text, confidence and score, so that no
photo is lost from the output; unreadable photos are skipped and listed (:class:`~platocr.tools.read.Skipped`)
as ``read`` does. Each plate is read at the reader's contexts, whose reads vote (:func:`read_boxes`,
which ``eval --detect plate`` reads with too)::

    from platocr.detection import PlateDetector
    from platocr.recognition.predictor import Predictor
    from platocr.tools.read_plates import read_plates
    result = read_plates(Predictor.load("plates-ru"), PlateDetector.load(), ["car.jpg"])
    for row in result.rows:
        print(row.path, row.box, row.text, row.confidence, row.score)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from platocr.data.labels import LabelRow
from platocr.data.plate_boxes import FramePlates, PlateBox, write_plate_boxes
from platocr.detection import READ_CONTEXTS, Detection, plate_crop_box
from platocr.errors import PlatocrError
from platocr.tools.read import Skipped

if TYPE_CHECKING:
    from platocr.detection.detector import ReadsText
    from platocr.recognition.prediction import Prediction
    from platocr.recognition.predictor import Predictor

Box = tuple[int, int, int, int]
Detector = Callable[[np.ndarray], list[Detection]]
PLATE_COLUMNS = ("path", "x", "y", "w", "h", "text", "confidence", "score")


@dataclass(frozen=True)
class PlateRow:
    """One plate of a photo: its ``box`` (x, y, w, h, the plate itself), the ``text`` read ('' = no read)
    and its ``confidence``, and the detector's ``score``. A photo without a plate: box, confidence and
    score None, text ''."""

    path: str
    box: Box | None
    text: str
    confidence: float | None
    score: float | None


@dataclass
class PlateReadResult:
    """What :func:`read_plates` found, in input order; ``skipped`` lists the unreadable photos."""

    rows: list[PlateRow]
    skipped: list[Skipped] = field(default_factory=list)
    photos: int = 0  # photos read (skipped ones not counted)
    detect_seconds: float = 0.0  # detector time over all photos
    read_seconds: float = 0.0  # plate reader time over all plates
    below_min_confidence: int = 0  # reads written as no read because of ``min_confidence``
    crops: list[LabelRow] = field(default_factory=list)  # with ``crops``: each plate's crop, read as its text
    frames: list[FramePlates] = field(default_factory=list)  # each photo's plates, read as their text

    def write_boxes(self, path: Path) -> Path:
        """``path`` (a ``boxes.tsv``): every photo read and its plates' boxes, each with its read as text (not
        floored: a draft to check), which ``eval --detect plate`` and ``train-detector`` read."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_plate_boxes(self.frames, path)

    @property
    def plates(self) -> int:
        return sum(row.box is not None for row in self.rows)


def plate_crops(image: np.ndarray, box: Box) -> list[np.ndarray]:
    """The reader's crops of one plate box from ``image`` (H, W, 3): one per context of
    :data:`platocr.detection.READ_CONTEXTS` (:func:`platocr.detection.plate_crop_box`)."""
    height, width = image.shape[:2]
    crops = []
    for context in READ_CONTEXTS:
        x, y, w, h = plate_crop_box(box, (width, height), context)
        crops.append(image[y : y + h, x : x + w])
    return crops


def read_boxes(predictor: Predictor, image: np.ndarray, boxes: Sequence[Box]) -> list[Prediction]:
    """One read per plate box of ``image``: every box's :func:`plate_crops` in one ``predict`` call, and
    the reads of a box vote with their confidence (:func:`platocr.recognition.voting.vote`)."""
    from platocr.recognition.voting import vote

    crops = [crop for box in boxes for crop in plate_crops(image, box)]
    reads = list(predictor.predict(crops)) if crops else []
    per_box = len(READ_CONTEXTS)
    return [vote(reads[i : i + per_box]) for i in range(0, len(reads), per_box)]


def reads_as_text(predictor: Predictor) -> ReadsText:
    """``PlateDetector``'s ``reads_text`` for ``expect_plate``: whether ``predictor`` reads each box of a
    frame as text (:func:`read_boxes`; a plate reader reads most things that are not plates as empty)."""
    return lambda image, boxes: [bool(read.text) for read in read_boxes(predictor, image, boxes)]


def find_and_read(
    image: np.ndarray, detector: Detector, predictor: Predictor | None
) -> tuple[list[Detection], list[Prediction] | None, float, float]:
    """(plates found in ``image`` (BGR uint8 (H, W, 3)), their reads (:func:`read_boxes`) or None without
    ``predictor``, detector seconds, reader seconds)."""
    start = time.perf_counter()
    found = detector(image)
    detect_s = time.perf_counter() - start
    if predictor is None:
        return found, None, detect_s, 0.0
    start = time.perf_counter()
    reads = read_boxes(predictor, image, [det.box for det in found])
    return found, reads, detect_s, time.perf_counter() - start


def read_plates(
    predictor: Predictor,
    detector: Detector,
    paths: Sequence[str],
    *,
    min_confidence: float = 0.0,
    progress: bool = True,
    crops: Path | None = None,
) -> PlateReadResult:
    """Find the plates of each photo in ``paths`` with ``detector`` and read them with ``predictor``.

    A read under ``min_confidence`` is written as no read (empty text, its confidence kept).

    ``crops``: a folder to save each plate's crop in (``NNNNNN_STEM_K.jpg``: photo number, name, plate
    number; cut at the first of the reader's contexts, the one ``plates-ru`` learned). They are listed in
    ``result.crops`` with the read as text (not floored: a draft to check) and the photo as source;
    :func:`write_crop_labels` writes them.
    """
    from platocr.progress import make_progress
    from platocr.recognition.preprocess import image_or_reason

    if not 0.0 <= min_confidence <= 1.0:
        raise PlatocrError(f"--min-confidence must be in [0, 1], got {min_confidence}")
    result = PlateReadResult([])
    if crops is not None:
        crops.mkdir(parents=True, exist_ok=True)
    with make_progress(enabled=progress) as bar:
        task = bar.add_task("read plates", total=len(paths))
        for path in paths:
            image = image_or_reason(path)
            bar.update(task, advance=1)
            if isinstance(image, str):
                result.skipped.append(Skipped(str(path), image))
                continue
            found, reads, detect_s, read_s = find_and_read(image, detector, predictor)
            result.photos += 1
            result.detect_seconds += detect_s
            result.read_seconds += read_s
            if not found:
                result.rows.append(PlateRow(str(path), None, "", None, None))
            plates = []
            for number, (det, read) in enumerate(zip(found, reads or [], strict=True), start=1):
                plates.append(PlateBox(read.text, det.box))
                if crops is not None:
                    name = f"{result.photos:06d}_{Path(path).stem[:40]}_{number}.jpg"
                    result.crops.append(save_crop(image, det.box, crops / name, read.text, str(path)))
                text = read.text
                if text and read.confidence < min_confidence:
                    text = ""
                    result.below_min_confidence += 1
                result.rows.append(PlateRow(str(path), det.box, text, float(read.confidence), det.score))
            result.frames.append(FramePlates(Path(path).absolute(), tuple(plates)))
    return result


def save_crop(image: np.ndarray, box: Box, path: Path, text: str, source: str) -> LabelRow:
    """Write the plate's crop at the first reading context to ``path`` (JPEG); its label row."""
    import cv2

    crop = plate_crops(image, box)[0]
    if not cv2.imwrite(str(path), crop, [cv2.IMWRITE_JPEG_QUALITY, 95]):
        raise PlatocrError(f"cannot write the plate crop {path}")
    return LabelRow(path, text, source)


def write_crop_labels(rows: Sequence[LabelRow], folder: Path) -> Path:
    """``folder/labels.tsv`` (path, text, source) listing the crops :func:`read_plates` saved (paths
    relative to ``folder``)."""
    from platocr.data.labels import LABEL_FILE_NAME, write_label_file

    return write_label_file(rows, folder / LABEL_FILE_NAME, with_source=True)


def write_plate_rows(rows: Sequence[PlateRow], stream: TextIO, fmt: str = "tsv") -> None:
    """TSV or CSV with the ``PLATE_COLUMNS`` header (a photo without a plate: empty fields after its
    path), or JSON lines ``{"path", "box": [x, y, w, h] | null, "text", "confidence", "score"}``.
    Confidences and scores have 4 decimals."""

    def num(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    if fmt == "jsonl":
        import json

        for row in rows:
            record = {"path": row.path, "box": list(row.box) if row.box else None, "text": row.text,
                      "confidence": num(row.confidence), "score": num(row.score)}  # fmt: skip
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    import csv

    writer = csv.writer(stream, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(PLATE_COLUMNS)
    for row in rows:
        box = [str(v) for v in row.box] if row.box else [""] * 4
        confidence = "" if row.confidence is None else f"{row.confidence:.4f}"
        score = "" if row.score is None else f"{row.score:.4f}"
        writer.writerow([row.path, *box, row.text, confidence, score])
