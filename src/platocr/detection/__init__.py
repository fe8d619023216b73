"""Finding licence plates in whole frames: a small learned detector that runs on a CPU without torch.

Example::

    from platocr.detection import PlateDetector
    detector = PlateDetector.load()            # the shipped "plate-detector"
    for found in detector(frame):              # frame: BGR uint8 (H, W, 3)
        x, y, w, h = found.box

Like ``recognition/``, this package never imports training, synthesis, the command tools or the CLI.
"""

from platocr.detection.boxes import (
    READ_CONTEXTS,
    Detection,
    PlateCount,
    box_iou,
    judge_boxes,
    match_boxes,
    overlaps_ignored,
    plate_crop_box,
    plates_passing,
)
from platocr.detection.detector import PlateDetector
from platocr.detection.verifier import PlateVerifier

__all__ = [
    "READ_CONTEXTS",
    "Detection",
    "PlateCount",
    "PlateDetector",
    "PlateVerifier",
    "box_iou",
    "judge_boxes",
    "match_boxes",
    "overlaps_ignored",
    "plate_crop_box",
    "plates_passing",
]
