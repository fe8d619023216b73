"""The plate verifier: a second opinion on each plate the detector's first look proposes.

The detector's centre map decides from a whole frame at 640 px whether a spot is a plate; a small plate is
a few cells there, so some plates score low and some signs, badges and lamps score high. The verifier looks
at each candidate's own crop (the box with some context, at :data:`VERIFIER_SIZE`) and gives the
probability that it holds a plate. A candidate's score is then the geometric mean of the two
(:func:`verified_score`), and the detector's threshold applies to that.

Training: ``platocr train-verifier`` (:mod:`platocr.train.verifier`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from platocr.detection.boxes import Box, plate_crop_box
from platocr.errors import PlatocrError

INPUT_NAME = "crops"
OUTPUT_NAME = "plate"
VERIFIER_SIZE = (32, 96)  # height, width of the crop the verifier reads
# share of the box's width added on each side / of its height above and below: the plate's edges and
# a little car around it, which tell a plate from a sign with letters
VERIFIER_CONTEXT = (0.25, 0.5)


def cut_crops(frame: np.ndarray, boxes: list[Box]) -> np.ndarray:
    """(N, 32, 96, 3) BGR uint8: each box of ``frame`` (BGR (H, W, 3) or grey (H, W)) with its context."""
    import cv2  # here, not at import: importing OpenCV starts threads that a thread plan counts as load

    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    height, width = VERIFIER_SIZE
    crops = np.zeros((len(boxes), height, width, 3), np.uint8)
    for i, box in enumerate(boxes):
        x, y, w, h = plate_crop_box(box, (frame.shape[1], frame.shape[0]), VERIFIER_CONTEXT)
        shrink = w > width
        crops[i] = cv2.resize(frame[y : y + h, x : x + w], (width, height),
                              interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)  # fmt: skip
    return crops


def crops_to_input(crops: np.ndarray) -> np.ndarray:
    """(N, 32, 96, 3) BGR uint8 -> (N, 3, 32, 96) RGB float32 in [0, 1], the verifier's input."""
    return np.ascontiguousarray(crops[..., ::-1].transpose(0, 3, 1, 2), dtype=np.float32) / 255.0


def verified_score(detector_score: float, plate_probability: float) -> float:
    """A candidate's score: the geometric mean of the first look's score and the verifier's probability."""
    return float(np.sqrt(detector_score * plate_probability))


class PlateVerifier:
    """Probability that each box of a frame holds a plate.

    Example::

        verifier = PlateVerifier.load("src/platocr/models/plate-verifier.onnx")
        probabilities = verifier(frame, [(100, 200, 120, 28)])   # (1,) float32
    """

    def __init__(self, session: Any, source: str) -> None:
        self._session, self.source = session, source

    @classmethod
    def load(cls, path: str | Path, *, threads: int | None = None) -> PlateVerifier:
        from platocr.recognition.onnx_export import session_with_input

        path = Path(path)
        if not path.is_file():
            raise PlatocrError(f"plate verifier {path}: file not found (it goes next to its detector)")
        return cls(session_with_input(path, INPUT_NAME, "plate verifier", threads), str(path))

    def __call__(self, frame: np.ndarray, boxes: list[Box]) -> np.ndarray:
        """(N,) float32 probabilities, one per box."""
        return self.score_crops(cut_crops(frame, boxes))

    def score_crops(self, crops: np.ndarray, batch: int = 256) -> np.ndarray:
        """(N,) float32 probabilities for crops already cut: (N, 32, 96, 3) BGR uint8 (:func:`cut_crops`)."""
        parts = [self._session.run([OUTPUT_NAME], {INPUT_NAME: crops_to_input(crops[i : i + batch])})[0]
                 for i in range(0, len(crops), batch)]  # fmt: skip
        return np.concatenate(parts).reshape(-1) if parts else np.zeros(0, np.float32)
