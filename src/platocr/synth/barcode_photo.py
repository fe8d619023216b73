"""Compose one phone-photo-like image of one or two barcode labels and report their boxes.

Pipeline per photo: random background -> per barcode: random code, label ink (bars + digits),
colours, optional cylinder (can/bottle) warp, similarity + perspective transform placed so its
region lies inside the photo and clear of the other label -> photo effects (shadow, glare, colour,
blur, noise, low resolution). JPEG compression happens when the photo is written. How strong each
distortion is comes from a ``Distortion``; the blur and low-resolution factor are drawn before the
labels so that every label's smallest digit is big enough to stay legible through them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from platocr.formats.ean import SYMBOLOGIES, complete_code
from platocr.synth import effects
from platocr.synth.barcode_distortion import DIGIT_PER_BLUR, MIN_DIGIT_PX, Distortion
from platocr.synth.barcode_render import LabelInk, render_label

SYMBOLOGY_WEIGHTS = np.array([0.70, 0.12, 0.08, 0.10])  # ean13, upca, upce, ean8 (order of SYMBOLOGIES)
VERTICAL_SHARE = 0.05  # barcodes turned 90 degrees (box taller than wide)
TWO_BARCODE_SHARE = 0.12
BOX_MARGIN_PX = 1.5  # paper kept around the digits' and bars' ink in the annotated box
_COUNTRY_PREFIXES = (
    "460",
    "461",
    "462",
    "463",
    "464",
    "465",
    "400",
    "401",
    "402",
    "300",
    "500",
    "690",
    "800",
    "870",
)


@dataclass(frozen=True)
class PlacedBarcode:
    """One barcode in a photo: its printed number, symbology and integer box (x, y, width, height)."""

    code: str
    symbology: str
    box: tuple[int, int, int, int]


def random_code(symbology: str, rng: np.random.Generator) -> tuple[str, str]:
    """A valid random code and the text printed above it ('' or an ISBN line for books)."""
    digits = lambda k: "".join(str(d) for d in rng.integers(0, 10, size=k))  # noqa: E731
    if symbology == "ean13":
        if rng.random() < 0.08:  # a book: 978/979 prefix and the ISBN printed above
            code = complete_code(str(rng.choice(["978", "979"])) + digits(9), "ean13")
            cut = int(rng.integers(5, 9))
            isbn = f"{code[:3]}-{code[3]}-{code[4:cut]}-{code[cut:12]}-{code[12]}"
            return code, f"ISBN {isbn}" if rng.random() < 0.8 else ""
        prefix = str(rng.choice(_COUNTRY_PREFIXES)) if rng.random() < 0.6 else digits(3)
        return complete_code(prefix + digits(9), "ean13"), ""
    if symbology == "upca":
        return complete_code(str(rng.choice(list("0016789"))) + digits(10), "upca"), ""
    if symbology == "upce":
        return complete_code(("0" if rng.random() < 0.85 else "1") + digits(6), "upce"), ""
    prefix = str(rng.choice(_COUNTRY_PREFIXES)) if rng.random() < 0.6 else digits(3)
    return complete_code(prefix + digits(4), "ean8"), ""


def _colourise(label: LabelInk, rng: np.random.Generator) -> np.ndarray:
    """BGR label from the ink map: mostly black on white, sometimes coloured ink or tinted paper."""
    paper = rng.uniform(225, 256, size=3) if rng.random() < 0.8 else rng.uniform(170, 256, size=3)
    ink = rng.uniform(0, 50, size=3) if rng.random() < 0.85 else rng.uniform(0, 110, size=3)
    ramp = np.linspace(0.0, 1.0, 256)[:, None]
    lut = np.clip(paper[None, :] + (ink - paper)[None, :] * ramp, 0, 255).astype(np.uint8).reshape(256, 1, 3)
    return cv2.LUT(cv2.merge([label.ink] * 3), lut)


def _region_outline(region: tuple[float, float, float, float], per_edge: int = 8) -> np.ndarray:
    """(4 * per_edge, 2) points along the region's border: curved warps bend edges, corners are not enough."""
    x0, y0, x1, y1 = region
    t = np.linspace(0.0, 1.0, per_edge, endpoint=False)
    top = np.stack([x0 + (x1 - x0) * t, np.full_like(t, y0)], 1)
    right = np.stack([np.full_like(t, x1), y0 + (y1 - y0) * t], 1)
    bottom = np.stack([x1 - (x1 - x0) * t, np.full_like(t, y1)], 1)
    left = np.stack([np.full_like(t, x0), y1 - (y1 - y0) * t], 1)
    return np.concatenate([top, right, bottom, left])


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _digit_heights(outline_and_digits: np.ndarray, digits: int) -> float:
    """Smallest distance between the mapped top-middle and bottom-middle points of the digits."""
    if digits == 0:
        return float("inf")
    tops, bottoms = outline_and_digits[-2 * digits : -digits], outline_and_digits[-digits:]
    return float(np.linalg.norm(bottoms - tops, axis=1).min())


def _place_label(
    canvas: np.ndarray,
    rng: np.random.Generator,
    region_width: float,
    taken: list[tuple[float, float, float, float]],
    distortion: Distortion,
    min_digit_px: float,
) -> tuple[np.ndarray, PlacedBarcode, tuple[float, float, float, float]] | None:
    """Paste one random label onto ``canvas``, its region ``region_width`` px long (before perspective).

    The label is enlarged when its smallest digit would end up under ``min_digit_px`` tall.
    Returns (canvas, barcode, label bounds) or None when it does not fit.
    """
    h, w = canvas.shape[:2]
    d = distortion
    symbology = str(rng.choice(SYMBOLOGIES, p=SYMBOLOGY_WEIGHTS))
    code, top_text = random_code(symbology, rng)
    addon = (
        ""
        if rng.random() > 0.06
        else "".join(str(d) for d in rng.integers(0, 10, size=int(rng.choice([2, 5]))))
    )
    region_modules = {"ean13": 105, "upca": 105, "upce": 63, "ean8": 67}[symbology]  # bars + outer digits
    # Render near the final size: sharp digits and little aliasing when the warp scales it.
    m = int(np.clip(round(region_width / region_modules / 0.85), 2, 5))
    label = render_label(code, symbology, rng, m, top_text=top_text, addon=addon)
    patch = _colourise(label, rng)
    lh, lw = patch.shape[:2]
    # Region outline, then the top-middle and bottom-middle point of every digit (to measure them).
    boxes = np.array(label.digit_boxes, np.float64).reshape(-1, 4)
    mid_x = (boxes[:, 0] + boxes[:, 2]) / 2
    points = np.concatenate(
        [_region_outline(label.region), np.stack([mid_x, boxes[:, 1]], 1), np.stack([mid_x, boxes[:, 3]], 1)]
    )
    if rng.random() < d.curve_share:  # curved packaging: can or bottle
        bgra, points = effects.cylinder_warp(
            cv2.merge([*cv2.split(patch), np.full((lh, lw), 255, np.uint8)]), rng, d.curvature, points
        )
        patch, alpha = bgra[:, :, :3], bgra[:, :, 3]
    else:
        alpha = np.full((lh, lw), 255, np.uint8)
    scale = region_width / (label.region[2] - label.region[0])

    if rng.random() < VERTICAL_SHARE:
        angle = 90.0 + rng.normal(0, d.vertical_jitter_deg)
    else:
        tilt = d.tilt_deg if rng.random() < 0.7 else d.big_tilt_deg
        angle = rng.uniform(-tilt, tilt)
    # Positive angle = counter-clockwise on screen: a vertical label reads bottom-to-top, so that
    # cv2.ROTATE_90_CLOCKWISE of its crop makes the digits upright (the layout's convention).
    rad = np.deg2rad(angle)
    rot = np.array([[np.cos(rad), np.sin(rad)], [-np.sin(rad), np.cos(rad)]])
    corners = np.array([[0, 0], [lw, 0], [lw, lh], [0, lh]], np.float32)
    # The jitter is relative to the label size, so dst scales exactly with ``scale`` (enlarged below).
    unit_dst = effects.perspective_jitter(
        corners @ rot.T.astype(np.float32), rng, rng.uniform(0, d.perspective)
    )
    dst = unit_dst * np.float32(scale)
    digit_px = _digit_heights(
        effects.warp_points(points, cv2.getPerspectiveTransform(corners, dst)), len(boxes)
    )
    if digit_px < min_digit_px:  # too small to read: enlarge rather than label an illegible barcode
        scale *= min_digit_px / digit_px
        dst = unit_dst * np.float32(scale)
    if scale < 0.8:  # pre-blur so the downscaling warp does not alias the bars
        patch = cv2.GaussianBlur(patch, (0, 0), 0.35 / scale)
    matrix = cv2.getPerspectiveTransform(corners, dst)
    region_pts = effects.warp_points(points[: len(points) - 2 * len(boxes)], matrix)
    rmin, rmax = region_pts.min(axis=0) - BOX_MARGIN_PX, region_pts.max(axis=0) + BOX_MARGIN_PX
    extent = rmax - rmin
    if np.any(extent > np.array([w, h]) - 6):
        return None
    if (extent[1] > extent[0]) != (abs(angle) > 45):  # the box shape must tell vertical from horizontal
        return None
    for _ in range(12):  # random positions with the region inside the photo and clear of other labels
        tx = rng.uniform(3 - rmin[0], w - 3 - rmax[0])
        ty = rng.uniform(3 - rmin[1], h - 3 - rmax[1])
        bounds = (*(dst.min(axis=0) + (tx, ty)), *(dst.max(axis=0) + (tx, ty)))
        if not any(_overlaps(bounds, other) for other in taken):
            break
    else:
        return None
    shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], np.float64)
    canvas = effects.paste_warped(canvas, patch, shift @ matrix, alpha)
    x0, y0 = int(np.floor(rmin[0] + tx)), int(np.floor(rmin[1] + ty))
    x1, y1 = int(np.ceil(rmax[0] + tx)), int(np.ceil(rmax[1] + ty))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    return canvas, PlacedBarcode(code, symbology, (x0, y0, x1 - x0, y1 - y0)), bounds


@dataclass(frozen=True)
class _Degradation:
    """Camera degradations drawn before the labels: they decide how big the digits must be."""

    lowres: float  # downscale factor, 1.0 = none
    blur: str  # "gauss", "motion" or ""
    blur_px: float  # Gaussian sigma or motion streak length, px

    @classmethod
    def draw(cls, rng: np.random.Generator, d: Distortion) -> _Degradation:
        lowres = float(rng.uniform(*d.lowres)) if rng.random() < d.lowres_share else 1.0
        pick = rng.random()
        if pick < d.gauss_share:
            return cls(lowres, "gauss", float(rng.uniform(*d.gauss_sigma)))
        if pick < d.gauss_share + d.motion_share:
            return cls(lowres, "motion", float(rng.uniform(*d.motion_length)))
        return cls(lowres, "", 0.0)

    def min_digit_px(self) -> float:
        """Smallest digit height at full resolution that stays legible through this degradation."""
        blur_sd = self.blur_px if self.blur == "gauss" else self.blur_px / 3.5  # streak sd ~ length / 3.5
        return max(MIN_DIGIT_PX, DIGIT_PER_BLUR * blur_sd) / self.lowres


def _photo_effects(
    photo: np.ndarray, rng: np.random.Generator, d: Distortion, dg: _Degradation
) -> np.ndarray:
    if rng.random() < d.shadow_share:
        photo = effects.shadow(photo, rng, d.shadow)
    if rng.random() < d.glare_share:
        photo = effects.glare(photo, rng, d.glare)
    if rng.random() < 0.8:
        photo = effects.color_jitter(photo, rng, cast=d.cast)
    if dg.lowres < 1.0:  # a low-resolution camera or digital zoom
        h, w = photo.shape[:2]
        small = cv2.resize(photo, (int(w * dg.lowres), int(h * dg.lowres)), interpolation=cv2.INTER_AREA)
        photo = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if dg.blur == "gauss":
        photo = effects.gaussian_blur(photo, rng, (dg.blur_px, dg.blur_px))
    elif dg.blur == "motion":
        photo = effects.motion_blur(photo, rng, (dg.blur_px, dg.blur_px))
    if rng.random() < d.noise_share:
        photo = effects.sensor_noise(photo, rng, d.noise_sigma)
    return photo


def synth_barcode_photo(
    rng: np.random.Generator, distortion: Distortion | None = None
) -> tuple[np.ndarray, list[PlacedBarcode]]:
    """One photo (H, W, 3) uint8 BGR, about 640x480 (sometimes portrait), and its barcodes (1 or 2).

    ``distortion`` defaults to ``Distortion.for_strength(1.0)``.
    """
    d = distortion if distortion is not None else Distortion.for_strength(1.0)
    width = int(rng.choice([640, 640, 640, 720, 600, 560, 800]))
    height = width * 3 // 4
    if rng.random() < 0.15:
        width, height = height, width
    canvas = effects.random_background(height, width, rng)
    degradation = _Degradation.draw(rng, d)
    wanted = 2 if rng.random() < TWO_BARCODE_SHARE else 1
    placed: list[PlacedBarcode] = []
    taken: list[tuple[float, float, float, float]] = []
    # Region widths in px: the OCR crops are ~100-430 px wide (narrower at higher strength).
    low = d.min_region_px
    widths = (low, min(430.0, 0.8 * min(width, height * 1.3))) if wanted == 1 else (low * 0.9, 260.0)
    for _ in range(wanted * 6):  # a few tries: a big label may not fit (then it is redrawn smaller)
        result = _place_label(canvas, rng, float(rng.uniform(*widths)), taken, d, degradation.min_digit_px())
        if result is not None:
            canvas, barcode, bounds = result
            placed.append(barcode)
            taken.append(bounds)
        if len(placed) == wanted:
            break
        widths = (low * 0.9, max(low, widths[1] * 0.8))
    return _photo_effects(canvas, rng, d, degradation), placed
