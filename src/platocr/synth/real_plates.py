"""Real plate photos placed on synthetic cars: the plate's own pixels, with the synthetic scene around it.

Synthetic plates teach a detector what a drawn plate looks like; photos of real plates (CropNumbers crops,
your own) bring the real look: print, dirt, wear, the camera's blur. Each photo needs its plate's box
inside it, in a boxes file (``platocr.data.plate_boxes`` columns; ``scripts/plate_boxes_in_crops.py``
finds them in a label file of plate crops). The photo is pasted whole, its edge feathered into the car.

Example::

    plates = load_real_plates("crop_boxes.tsv")
    image, text, kind = real_plate_image(plates[0])   # a PlateImage as the synthetic plates give
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from platocr.errors import PlatocrError
from platocr.synth.plate_render import PlateImage

if TYPE_CHECKING:
    from platocr.data.plate_boxes import PlateBoxes


@dataclass(frozen=True)
class RealPlate:
    """A photo holding one plate: ``image`` path, the plate's ``text`` and ``box`` (x, y, w, h) in it."""

    image: str
    text: str
    box: tuple[int, int, int, int]


@lru_cache(maxsize=4)  # each worker process reads the file once
def load_real_plates(path: str | Path) -> tuple[RealPlate, ...]:
    """The plates with a text in a boxes file (or a folder holding ``boxes.tsv``); images that are
    missing are left out. No plate at all is an error (PlatocrError, one line)."""
    from platocr.data.plate_boxes import load_plate_boxes

    return real_plates_of(load_plate_boxes(path))


def real_plates_of(loaded: PlateBoxes) -> tuple[RealPlate, ...]:
    """:func:`load_real_plates` of a boxes file already read."""
    plates = tuple(RealPlate(str(frame.image), plate.text, plate.box)
                   for frame in loaded.frames for plate in frame.plates if plate.text)  # fmt: skip
    if not plates:
        raise PlatocrError(f"--real-plates {loaded.file}: no plate with a text and an image "
                           f"({len(loaded.skipped)} image(s) not found)")  # fmt: skip
    return plates


def real_plate_image(plate: RealPlate) -> tuple[PlateImage, str, str]:
    """The photo as a PlateImage (its plate's corners, a mask feathered at the photo's edge), the text,
    and the kind ``ru``."""
    image = cv2.imread(plate.image, cv2.IMREAD_COLOR)
    if image is None:
        raise PlatocrError(f"--real-plates: cannot read {plate.image}")
    height, width = image.shape[:2]
    x, y, w, h = plate.box
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if x1 - x0 < 4 or y1 - y0 < 2:
        raise PlatocrError(f"--real-plates: the plate box {plate.box} lies outside {plate.image}")
    mask = np.full((height, width), 255, np.uint8)
    feather = max(1, min(height, width) // 12)  # the photo's edge fades into the car
    mask[:feather] = mask[-feather:] = 0
    mask[:, :feather] = mask[:, -feather:] = 0
    mask = cv2.GaussianBlur(mask, (0, 0), feather / 2)
    quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    return PlateImage(image, mask, quad, 520.0), plate.text, "ru"
