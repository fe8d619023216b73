"""Find the plate's box inside each plate crop of a label file, for `platocr synth scenes --real-plates`.

    python scripts/plate_boxes_in_crops.py LABELS OUT_BOXES [--reader plates-ru]

Each crop with a text is padded with its own border pixels (a tight crop leaves the detector no car to
see around the plate) and searched with the shipped detector alone (from 0.2, no verifier, no retries at
other sizes: as the card's 1,922 boxes were found). A box is kept when it spans at least half the crop,
has a plate's shape (2.8 to 6.5 times as wide as high) and the reader reads the crop's label from it, so
the box holds the whole plate. Writes a boxes.tsv (one plate
per image) and prints how many crops got a box.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from platocr.data.labels import read_label_file
from platocr.data.plate_boxes import FramePlates, PlateBox, write_plate_boxes
from platocr.detection import PlateDetector
from platocr.errors import PlatocrError
from platocr.outputs import check_writable_file
from platocr.recognition.predictor import Predictor
from platocr.tools.detect_eval import same_plate
from platocr.tools.read_plates import read_boxes


def plate_box(
    detector: PlateDetector, reader: Predictor, image: np.ndarray, text: str
) -> tuple[int, int, int, int] | None:
    """The plate's (x, y, w, h) in ``image``, or None when no box both looks like it and reads ``text``."""
    height, width = image.shape[:2]
    padded = cv2.copyMakeBorder(image, height, height, width, width, cv2.BORDER_REPLICATE)
    for found in detector(padded)[:2]:
        x, y, w, h = found.box
        if w >= 0.5 * width and 2.8 <= w / h <= 6.5:
            if same_plate(read_boxes(reader, padded, [found.box])[0].text, text):
                # in the crop's pixels, cut to the crop (a plate box may run past a tight crop's edge)
                x0, y0 = max(0, x - width), max(0, y - height)
                x1, y1 = min(width, x - width + w), min(height, y - height + h)
                return (x0, y0, x1 - x0, y1 - y0) if x1 - x0 >= 4 and y1 - y0 >= 2 else None
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=Path, help="a platocr label file of plate crops (path<TAB>text)")
    parser.add_argument("out", type=Path, help="the boxes.tsv to write")
    parser.add_argument("--reader", default="plates-ru", help="the plate reader that checks each box")
    args = parser.parse_args()
    try:
        check_writable_file(args.out, "OUT_BOXES")
        rows = [row for row in read_label_file(args.labels, check_images=True) if row.text]
        detector = PlateDetector.load(threshold=0.2, verify=False, retry=False)
        reader = Predictor.load(args.reader)
    except PlatocrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    frames, unread = [], 0
    for row in rows:
        image = cv2.imread(str(row.path), cv2.IMREAD_COLOR)
        if image is None:
            unread += 1
            continue
        box = plate_box(detector, reader, image, row.text)
        if box is not None:
            frames.append(FramePlates(row.path, (PlateBox(row.text, box, "ru"),)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_plate_boxes(frames, args.out)
    print(
        f"{len(frames)} of {len(rows)} crops with a text got a plate box ({unread} unreadable); wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
