"""Write a loose-crop copy of a label file: every crop padded by FRACTION of its size on each side.

    python scripts/loose_crops.py LABELS OUT_DIR [--fraction 0.1]

The margin repeats the crop's border pixels (CropNumbers holds tight crops only, so there is no real
background to add). `platocr eval MODEL OUT_DIR/labels.tsv` then measures how a model copes with loose
crops, as `platocr video --roi` gives when the ROI is larger than the plate.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from platocr.data.labels import LabelRow, open_dataset, write_label_file
from platocr.recognition.preprocess import load_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--fraction", type=float, default=0.1)
    args = parser.parse_args()
    (args.out / "crops").mkdir(parents=True, exist_ok=True)
    rows = []
    for index, row in enumerate(open_dataset(args.labels, check_images=True)):
        image = load_image(row.path)
        h, w = image.shape[:2]
        dy, dx = round(h * args.fraction), round(w * args.fraction)
        loose = cv2.copyMakeBorder(image, dy, dy, dx, dx, cv2.BORDER_REPLICATE)
        path = args.out / "crops" / f"{index:05d}.png"
        cv2.imwrite(str(path), loose)
        rows.append(LabelRow(path.resolve(), row.text, row.source))
    print(
        f"wrote {write_label_file(rows, args.out / 'labels.tsv')}: {len(rows)} crops, margin {args.fraction:g}"
    )


if __name__ == "__main__":
    main()
