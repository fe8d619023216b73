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
# Printed digits + their gap are ~10-12 modules tall: 0.16 of an EAN-13's 95-module length (0.18 of an
# EAN-8's 67); short bars (25 modules) would leave them out if the band followed the bar height only.
DIGITS_PER_LENGTH = 0.16


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


Extent = tuple[float, float, float, float]  # a0, a1 along u; b0, b1 along v (pixels from the centre)


def warp(frame: np.ndarray, centre: np.ndarray, u: np.ndarray, v: np.ndarray, extent: Extent):
    """Warp the box ``extent`` in the (u, v) frame at ``centre`` to an upright crop, 1 px per px.

    Returns (crop BGR (h, w, 3), outline (4, 2) float32 in frame pixels: top-left, top-right, bottom-right,
    bottom-left of the crop).
    """
    import cv2

    a0, a1, b0, b1 = extent
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


def _grow(active: np.ndarray, start: int, end: int, max_gap: int) -> tuple[int, int]:
    """Grow the index range [start, end) outwards over ``active`` entries, bridging gaps of <= max_gap."""
    bounds = []
    for step, first, stop in ((-1, start - 1, -1), (1, end, len(active))):
        edge, gap = first - step, 0
        for i in range(first, stop, step):
            if active[i]:
                edge, gap = i, 0
            elif (gap := gap + 1) > max_gap:
                break
        bounds.append(edge)
    return bounds[0], bounds[1] + 1


def bar_columns(profile: np.ndarray, cols: tuple[int, int]) -> tuple[int, int]:
    """Column range [x0, x1) of the whole symbol on a bar profile (W,), grown from the detected ``cols``.

    The profile is cut into dark/light runs; the module is the 25th percentile of run widths inside the
    detected part (about half the elements of a UPC/EAN are one module wide). Elements are at most 4
    modules, quiet zones at least 7, so a light run of 5+ modules ends the symbol on that side.
    """
    c0, c1 = cols
    inside = profile[c0:c1]
    dark = profile < (float(inside.min()) + float(inside.max())) / 2
    cuts = np.flatnonzero(np.diff(dark.astype(np.int8))) + 1
    starts, ends = np.concatenate([[0], cuts]), np.concatenate([cuts, [len(dark)]])
    widths = ends - starts
    within = (ends > c0) & (starts < c1)
    if within.sum() < 4:
        return c0, c1  # no bar structure to measure: keep the detector's box
    module = max(float(np.percentile(widths[within], 25)), 1.0)
    is_dark = dark[starts]
    quiet = ~is_dark & (widths >= 5 * module)
    centre = int(np.flatnonzero(within)[len(np.flatnonzero(within)) // 2])
    first = last = centre
    while first > 0 and not quiet[first - 1]:
        first -= 1
    while last < len(widths) - 1 and not quiet[last + 1]:
        last += 1
    dark_runs = [i for i in range(first, last + 1) if is_dark[i]]
    if not dark_runs:
        return c0, c1
    return int(starts[dark_runs[0]]), int(ends[dark_runs[-1]])


def refine_bars(grey: np.ndarray, cols: tuple[int, int], rows: tuple[int, int]) -> tuple[int, int, int, int]:
    """Full bar extent in an upright search crop, grown from the detector's (possibly partial) box.

    ``grey`` (H, W) float32; ``cols``/``rows`` = the detector's box inside it. Columns: ``bar_columns`` on
    the median row of the detected band. Rows grow while they repeat that bar profile (the digit band and
    the background do not). Returns (x0, x1, y0, y1), ends exclusive.
    """
    r0, r1 = rows
    x0, x1 = bar_columns(np.median(grey[r0:r1], axis=0), cols)
    x0, x1 = min(x0, cols[0]), max(x1, cols[1])  # only grow: blur can hide bars from the run analysis
    profile = np.median(grey[r0:r1, x0:x1], axis=0)
    contrast = float(np.abs(profile - profile.mean()).mean()) + 1e-6
    similar = np.abs(grey[:, x0:x1] - profile).mean(axis=1) < 0.5 * contrast
    y0, y1 = _grow(similar, r0, r1, max_gap=2)
    return x0, x1, y0, y1


class BarcodeFinder:
    """Region finder for ``--detect barcode``: one upright crop per detected barcode, digits included.

    The detector's quad can undershoot the bars (on axis-aligned synthetic EAN-13s it covered ~80% of the
    height and, when vertical, part of the length), so each box is first re-measured on an upright search
    crop (``refine_bars``). The crop then spans the bars plus ``quiet`` of their length left and right (where
    EAN-13/UPC-A print their outer digits), ``margin`` of their height above and below them ``digit_band`` of their height or ``DIGITS_PER_LENGTH`` of
    their length, whichever is more.
    """

    def __init__(
        self, digit_band: float = 0.3, margin: float = 0.06, quiet: float = 0.12, search: float = 0.5
    ) -> None:
        import cv2

        self._detector = cv2.barcode.BarcodeDetector()
        self.digit_band, self.margin, self.quiet, self.search = digit_band, margin, quiet, search

    def __call__(self, frame: np.ndarray) -> list[Region]:
        import cv2

        found, points = self._detector.detectMulti(frame)
        if not found or points is None:
            return []
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        height, width = frame.shape[:2]
        regions = []
        for quad in np.asarray(points, np.float32).reshape(-1, 4, 2):
            sides = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
            if sides.min() < MIN_SIDE_PX:
                continue
            crop, outline = self._rectify(frame, grey, quad)
            x, y, w, h = cv2.boundingRect(outline)
            x0, y0 = max(x, 0), max(y, 0)
            box = (x0, y0, min(x + w, width) - x0, min(y + h, height) - y0)
            regions.append(Region(box, crop, quad=outline))
        return regions

    def _rectify(
        self, frame: np.ndarray, grey: np.ndarray, quad: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        u, v = oriented_axes(reading_axis(grey, quad))
        centre = quad.mean(axis=0).astype(np.float64)
        a, b = (quad - centre) @ u, (quad - centre) @ v
        length, tall = a.max() - a.min(), b.max() - b.min()
        pad_a, pad_b = self.search * length, self.search * tall
        area = (a.min() - pad_a, a.max() + pad_a, b.min() - pad_b, b.max() + pad_b)
        search_crop, _ = warp(grey, centre, u, v, area)
        inner = (int(pad_a), int(pad_a + length)), (int(pad_b), int(pad_b + tall))
        x0, x1, y0, y1 = refine_bars(search_crop.astype(np.float32), *inner)
        bar_len, bar_h = x1 - x0, y1 - y0
        extent = (
            area[0] + x0 - self.quiet * bar_len,
            area[0] + x1 + self.quiet * bar_len,
            area[2] + y0 - self.margin * bar_h,
            area[2] + y1 + max(self.digit_band * bar_h, DIGITS_PER_LENGTH * bar_len),
        )
        return warp(frame, centre, u, v, extent)
