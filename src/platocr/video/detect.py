"""Barcode regions with OpenCV's ``cv2.barcode.BarcodeDetector``, rectified to upright crops.

The detector returns one quadrangle per barcode around the bars only. Each is turned into an upright crop
(reading direction left -> right, bars vertical, digits below) with a perspective warp, after extending the
box downwards by ``digit_band`` of its height so the human-readable digits are inside the crop.

Orientation: the bars' dominant gradient gives the reading axis; the 180-degree ambiguity is settled by the
dataset convention (team brief): a horizontal barcode is upright (digits below); a vertical one is turned
so that ``cv2.rotate(crop, cv2.ROTATE_90_CLOCKWISE)`` makes it upright, i.e. it reads bottom -> top with
its digits on the right.
"""

from __future__ import annotations

import numpy as np

from platocr.video.regions import Region

MIN_SIDE_PX = 8  # smaller quads are detector noise and unreadable anyway


def reading_axis(gray: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Unit vector (2,) along the quad edge closest to the bars' dominant gradient (= reading direction).

    The gradient orientation comes from the structure tensor of Sobel gradients inside the quad.
    """
    import cv2

    x, y, w, h = cv2.boundingRect(quad.astype(np.float32))
    x0, y0 = max(x, 0), max(y, 0)
    patch = gray[y0 : y + h, x0 : x + w].astype(np.float32)
    gx = cv2.Sobel(patch, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(patch, cv2.CV_32F, 0, 1)
    mask = np.zeros(patch.shape, np.uint8)
    cv2.fillConvexPoly(mask, np.round(quad - (x0, y0)).astype(np.int32), 1)
    m = mask.astype(bool)
    sxx, syy, sxy = (gx[m] ** 2).sum(), (gy[m] ** 2).sum(), (gx[m] * gy[m]).sum()
    theta = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    gradient = np.array([np.cos(theta), np.sin(theta)])
    edges = [quad[1] - quad[0], quad[2] - quad[1]]
    edges = [e / (np.linalg.norm(e) + 1e-9) for e in edges]
    return max(edges, key=lambda e: abs(float(e @ gradient)))


def oriented_axes(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(u, v): u the reading direction with its sign fixed by the convention, v = "down" of the barcode.

    In image coordinates (y down) v = u rotated by +90 degrees, so an upright barcode has u = (1, 0), v = (0, 1)
    and a vertical one u = (0, -1), v = (1, 0) (digits on the right).
    """
    u = axis.astype(np.float64)
    if abs(u[0]) >= abs(u[1]):
        u = u if u[0] > 0 else -u
    else:
        u = u if u[1] < 0 else -u
    return u, np.array([-u[1], u[0]])


def rectify(
    frame: np.ndarray, quad: np.ndarray, u: np.ndarray, v: np.ndarray, digit_band: float, margin: float
) -> tuple[np.ndarray, np.ndarray]:
    """Warp the extended quad to an upright crop; returns (crop BGR (h, w, 3), outline (4, 2) in the frame).

    Along u the box grows by ``margin`` of its length on both ends (quiet zone), along v by ``margin``
    above and ``digit_band`` below (the printed digits).
    """
    import cv2

    centre = quad.mean(axis=0)
    rel = quad - centre
    a, b = rel @ u, rel @ v
    length, height = a.max() - a.min(), b.max() - b.min()
    a0, a1 = a.min() - margin * length, a.max() + margin * length
    b0, b1 = b.min() - margin * height, b.max() + digit_band * height
    outline = np.array(
        [centre + u * s + v * t for s, t in ((a0, b0), (a1, b0), (a1, b1), (a0, b1))], np.float32
    )
    out_w, out_h = max(int(round(a1 - a0)), 1), max(int(round(b1 - b0)), 1)
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(outline, target)
    crop = cv2.warpPerspective(
        frame, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return crop, outline


class BarcodeFinder:
    """Region finder for ``--detect barcode``: one upright crop per detected barcode, digits included.

    ``digit_band`` is generous because the detector's quad can undershoot the bar height (about 80% of it
    on an axis-aligned synthetic EAN-13), and the digits sit below the full bars.
    """

    def __init__(self, digit_band: float = 0.4, margin: float = 0.06) -> None:
        import cv2

        self._detector = cv2.barcode.BarcodeDetector()
        self.digit_band = digit_band
        self.margin = margin

    def __call__(self, frame: np.ndarray) -> list[Region]:
        import cv2

        found, points = self._detector.detectMulti(frame)
        if not found or points is None:
            return []
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        height, width = frame.shape[:2]
        regions = []
        for quad in np.asarray(points, np.float32).reshape(-1, 4, 2):
            sides = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
            if sides.min() < MIN_SIDE_PX:
                continue
            u, v = oriented_axes(reading_axis(gray, quad))
            crop, outline = rectify(frame, quad, u, v, self.digit_band, self.margin)
            x, y, w, h = cv2.boundingRect(outline)
            x0, y0 = max(x, 0), max(y, 0)
            box = (x0, y0, min(x + w, width) - x0, min(y + h, height) - y0)
            regions.append(Region(box, crop, quad=outline))
        return regions
