"""Reader training crops from labelled full frames, cut the way `read --detect plate` and `video --detect
plate` cut them (platocr.tools.read_plates.plate_crops), so the plate reader learns the crops it will see.

    python scripts/scene_plate_crops.py BOXES OUT [--jitter 1] [--detector plate-detector] [--seed 0]

- every fully visible Russian plate (region ``ru``) gives its crops (one per reading context,
  platocr.detection.READ_CONTEXTS) of its box moved and resized a little,
  as the detector's boxes are (mean IoU about 0.8 to the labelled box), labelled with its text;
- with ``--detector``, every detection that overlaps no plate in the picture (IoU < 0.05 with every box,
  region ``ignore`` included) gives its crops labelled empty: the false plates the reader should read
  as nothing.
Partly hidden (``ru-part``), cut (``ignore``) and foreign plates give no crop: their text cannot all be
read, or is not ours.
Writes OUT/crops/*.jpg and OUT/labels.tsv (``path<TAB>text<TAB>source``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from platocr.data.plate_boxes import load_plate_boxes
from platocr.detection import PlateDetector
from platocr.detection.boxes import box_iou
from platocr.errors import PlatocrError
from platocr.outputs import check_writable_dir
from platocr.tools.read_plates import plate_crops


def jittered(box: tuple[int, int, int, int], rng: np.random.Generator, amount: float) -> tuple[int, ...]:
    """``box`` moved by a few % of its size and scaled by about +-10% (more in height), as detected."""
    x, y, w, h = box
    cx = x + w / 2 + rng.normal(0, 0.04 * amount) * w
    cy = y + h / 2 + rng.normal(0, 0.08 * amount) * h
    nw = w * np.exp(rng.normal(0.02, 0.07 * amount))
    nh = h * np.exp(rng.normal(0.05, 0.12 * amount))
    return round(cx - nw / 2), round(cy - nh / 2), max(4, round(nw)), max(2, round(nh))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("boxes", help="boxes file or folder (platocr synth scenes output)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--jitter", type=float, default=1.0, help="box noise, 0 = the labelled box")
    parser.add_argument("--detector", help="also cut this detector's false plates as empty crops")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        check_writable_dir(args.out, "OUT")
        loaded = load_plate_boxes(args.boxes)
        detector = PlateDetector.load(args.detector) if args.detector else None
    except PlatocrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    crops_dir = args.out / "crops"
    crops_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    rows, plates, negatives = [], 0, 0
    for frame in loaded.frames:
        image = cv2.imread(str(frame.image), cv2.IMREAD_COLOR)
        if image is None:
            print(f"skipped {frame.image}: cannot decode", file=sys.stderr)
            continue
        targets = [
            (p.text, jittered(p.box, rng, args.jitter)) for p in frame.plates if p.region == "ru" and p.text
        ]
        plates += len(targets)
        if detector is not None:
            false = [
                d.box for d in detector(image) if all(box_iou(d.box, p.box) < 0.05 for p in frame.plates)
            ]
            targets += [("", box) for box in false]
            negatives += len(false)
        for i, (text, box) in enumerate(targets):
            for k, crop in enumerate(plate_crops(image, box)):  # one crop per reading context
                name = f"{frame.image.stem}_{i}_{k}.jpg"
                cv2.imwrite(str(crops_dir / name), crop, [cv2.IMWRITE_JPEG_QUALITY, 95])
                rows.append(f"crops/{name}\t{text}\tscenes")
    (args.out / "labels.tsv").write_text("path\ttext\tsource\n" + "\n".join(rows) + "\n", encoding="utf-8")
    print(
        f"{len(loaded.frames)} frames -> {plates} plates, {negatives} false plates, {len(rows)} crops in {args.out}"
    )


if __name__ == "__main__":
    main()
