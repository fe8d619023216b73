"""A stroke font close to the Russian plate font (GOST R 50577): digits, plate letters and ``RUS``.

Each glyph is a list of polylines in a unit box (x right, y down, 0..1 both ways) tracing the
centre line of the pen; ``draw_glyph`` scales the box to the wanted size and strokes it with a
round pen, so the same outlines serve any resolution with no font file (works from a fresh clone).
"""

from __future__ import annotations

import cv2
import numpy as np

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 14) -> Stroke:
    """Points on an ellipse from angle a0 to a1 (degrees; 0 = right, 90 = down, 270 = up)."""
    angles = np.radians(np.linspace(a0, a1, n))
    return [(cx + rx * float(np.cos(a)), cy + ry * float(np.sin(a))) for a in angles]


def _stadium(rx: float, top: float, bottom: float) -> Stroke:
    """Closed 'O'-shape: two half ellipses joined by straight sides (the plate font's 0 and O)."""
    ry = top
    return _arc(0.5, ry, rx, ry, 180, 360) + _arc(0.5, 1 - bottom, rx, bottom, 0, 180) + [(0.5 - rx, ry)]


def _flip(strokes: list[Stroke]) -> list[Stroke]:
    """Rotate a glyph by 180 degrees (6 -> 9)."""
    return [[(1 - x, 1 - y) for x, y in stroke] for stroke in strokes]


_SIX: list[Stroke] = [
    _arc(0.5, 0.69, 0.5, 0.31, 0, 360, 24),
    [(0.0, 0.69)] + _arc(0.56, 0.5, 0.56, 0.5, 180, 292, 12),
]

GLYPHS: dict[str, list[Stroke]] = {
    "0": [_stadium(0.5, 0.3, 0.3)],
    "1": [[(0.12, 0.25), (0.68, 0.0), (0.68, 1.0)]],
    "2": [_arc(0.5, 0.27, 0.5, 0.27, 190, 378) + [(0.0, 1.0), (1.0, 1.0)]],
    "3": [_arc(0.5, 0.25, 0.45, 0.25, 200, 450, 16) + _arc(0.5, 0.73, 0.5, 0.27, 270, 520, 18)],
    "4": [[(0.76, 1.0), (0.76, 0.0), (0.0, 0.7), (1.0, 0.7)]],
    "5": [[(0.92, 0.0), (0.12, 0.0), (0.05, 0.44)] + _arc(0.5, 0.68, 0.5, 0.32, 228, 510, 18)],
    "6": _SIX,
    "7": [[(0.0, 0.0), (1.0, 0.0), (0.28, 1.0)]],
    "8": [_arc(0.5, 0.25, 0.42, 0.25, 0, 360, 22), _arc(0.5, 0.72, 0.5, 0.28, 0, 360, 22)],
    "9": _flip(_SIX),
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.2, 0.64), (0.8, 0.64)]],
    "B": [
        [(0.0, 0.48)] + [(0.0, 0.0), (0.58, 0.0)] + _arc(0.58, 0.24, 0.36, 0.24, 270, 450) + [(0.0, 0.48)],
        [(0.0, 0.48), (0.6, 0.48)] + _arc(0.6, 0.74, 0.4, 0.26, 270, 450) + [(0.0, 1.0), (0.0, 0.48)],
    ],
    "E": [[(1.0, 0.0), (0.0, 0.0), (0.0, 1.0), (1.0, 1.0)], [(0.0, 0.5), (0.85, 0.5)]],
    "K": [[(0.0, 0.0), (0.0, 1.0)], [(0.95, 0.0), (0.03, 0.56)], [(0.32, 0.4), (1.0, 1.0)]],
    "M": [[(0.0, 1.0), (0.0, 0.0), (0.5, 0.72), (1.0, 0.0), (1.0, 1.0)]],
    "H": [[(0.0, 0.0), (0.0, 1.0)], [(1.0, 0.0), (1.0, 1.0)], [(0.0, 0.5), (1.0, 0.5)]],
    "O": [_stadium(0.5, 0.42, 0.42)],
    "P": [[(0.0, 1.0), (0.0, 0.0), (0.58, 0.0)] + _arc(0.58, 0.27, 0.42, 0.27, 270, 450) + [(0.0, 0.54)]],
    "C": [_arc(0.52, 0.5, 0.5, 0.5, 320, 40, 26)],
    "T": [[(0.0, 0.0), (1.0, 0.0)], [(0.5, 0.0), (0.5, 1.0)]],
    "Y": [[(0.0, 0.0), (0.52, 0.62)], [(1.0, 0.0), (0.42, 0.92), (0.3, 1.0), (0.08, 1.0)]],
    "X": [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]],
    "R": [[(0.0, 1.0), (0.0, 0.0), (0.58, 0.0)] + _arc(0.58, 0.27, 0.42, 0.27, 270, 450) + [(0.0, 0.54)],
          [(0.45, 0.54), (1.0, 1.0)]],
    "U": [[(0.0, 0.0)] + _arc(0.5, 0.68, 0.5, 0.32, 180, 0) + [(1.0, 0.0)]],
    "S": [_arc(0.5, 0.26, 0.48, 0.26, 330, 90) + _arc(0.5, 0.74, 0.5, 0.26, 270, 510, 16)],
}  # fmt: skip

_SHIFT = 4  # cv2 fixed-point bits: sub-pixel stroke placement keeps small glyphs even


def draw_glyph(
    canvas: np.ndarray,
    char: str,
    box: tuple[float, float, float, float],
    thickness: float,
    color: tuple[int, int, int] | int,
) -> None:
    """Stroke ``char`` in place into ``canvas`` so that its INK fills ``box`` = (x0, y0, x1, y1) pixels.

    The pen centre line is inset by half the ``thickness`` (pixels) so the outer ink edge meets the box.
    """
    x0, y0, x1, y1 = box
    half = thickness / 2
    w, h = max(1e-3, x1 - x0 - thickness), max(1e-3, y1 - y0 - thickness)
    scale = 1 << _SHIFT
    pen = max(1, int(round(thickness)))
    for stroke in GLYPHS[char]:
        pts = np.array([(x0 + half + x * w, y0 + half + y * h) for x, y in stroke], np.float64)
        cv2.polylines(
            canvas, [np.round(pts * scale).astype(np.int32)], False, color, pen, cv2.LINE_AA, _SHIFT
        )
