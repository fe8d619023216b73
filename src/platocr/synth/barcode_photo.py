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
from platocr.synth.barcode_kinds import BarcodeKinds, LabelKinds
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


def random_code(symbology: str, rng: np.random.Generator, *, isbn: bool = False) -> tuple[str, str]:
    """A valid random code and the text printed above it ('' or an ISBN line for books).

    ``isbn``: always a book (EAN-13 with 978/979 and the ISBN line), whatever ``symbology``.
    """
    digits = lambda k: "".join(str(d) for d in rng.integers(0, 10, size=k))  # noqa: E731
    if symbology == "ean13" or isbn:
        if rng.random() < 0.08 or isbn:  # a book: 978/979 prefix and the ISBN printed above
            code = complete_code(str(rng.choice(["978", "979"])) + digits(9), "ean13")
            cut = int(rng.integers(5, 9))
            isbn_text = f"{code[:3]}-{code[3]}-{code[4:cut]}-{code[cut:12]}-{code[12]}"
            return code, f"ISBN {isbn_text}" if rng.random() < 0.8 or isbn else ""
        prefix = str(rng.choice(_COUNTRY_PREFIXES)) if rng.random() < 0.6 else digits(3)
        return complete_code(prefix + digits(9), "ean13"), ""
    if symbology == "upca":
        return complete_code(str(rng.choice(list("0016789"))) + digits(10), "upca"), ""
    if symbology == "upce":
        return complete_code(("0" if rng.random() < 0.85 else "1") + digits(6), "upce"), ""
    prefix = str(rng.choice(_COUNTRY_PREFIXES)) if rng.random() < 0.6 else digits(3)
    return complete_code(prefix + digits(4), "ean8"), ""


def _colourise(label: LabelInk, rng: np.random.Generator, style: str = "") -> np.ndarray:
    """BGR label from the ink map: mostly black on white, sometimes coloured ink or tinted paper.

    ``style``: "low_contrast" (grey print on light paper), "coloured_packaging" (dark print on a
    saturated colour) or "thermal" (grey, faded print with light streaks on off-white paper).
    """
    ink_map = label.ink
    if style == "low_contrast":
        paper = np.full(3, rng.uniform(195, 250)) + rng.uniform(-6, 6, size=3)
        ink = paper - rng.uniform(65, 110)
    elif style == "coloured_packaging":
        hsv = np.array([[[rng.uniform(0, 180), rng.uniform(110, 255), rng.uniform(150, 245)]]], np.uint8)
        paper = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float64)
        ink = rng.uniform(0, 55, size=3) if rng.random() < 0.6 else paper * rng.uniform(0.1, 0.3)
    elif style == "thermal":
        paper = np.full(3, rng.uniform(215, 245)) + np.array([-4.0, 0.0, 2.0]) * rng.uniform(0, 1)
        ink = np.full(3, rng.uniform(55, 120))
        ink_map = _fade(ink_map, rng)
    else:
        paper = rng.uniform(225, 256, size=3) if rng.random() < 0.8 else rng.uniform(170, 256, size=3)
        ink = rng.uniform(0, 50, size=3) if rng.random() < 0.85 else rng.uniform(0, 110, size=3)
    ramp = np.linspace(0.0, 1.0, 256)[:, None]
    lut = np.clip(paper[None, :] + (ink - paper)[None, :] * ramp, 0, 255).astype(np.uint8).reshape(256, 1, 3)
    return cv2.LUT(cv2.merge([ink_map] * 3), lut)


def _fade(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thermal print: ink weakened by a smooth patchy field and a few light streaks across the label."""
    h, w = ink.shape
    field = rng.uniform(0.45, 1.0, size=(4, 6)).astype(np.float32)
    gain = cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(0, 3))):  # a worn heating dot: a thin light line along the feed
        y = int(rng.integers(0, h))
        gain[y : y + max(1, h // 60)] *= rng.uniform(0.2, 0.6)
    return np.clip(ink.astype(np.float32) * gain, 0, 255).astype(np.uint8)


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
    kinds: BarcodeKinds | None = None,
) -> tuple[np.ndarray, PlacedBarcode, tuple[float, float, float, float]] | None:
    """Paste one random label onto ``canvas``, its region ``region_width`` px long (before perspective).

    The label is enlarged when its smallest digit would end up under ``min_digit_px`` tall.
    ``kinds`` (default ``BarcodeKinds()``) draws this label's real-photo kinds.
    Returns (canvas, barcode, label bounds) or None when it does not fit.
    """
    h, w = canvas.shape[:2]
    d = distortion
    k = (kinds if kinds is not None else BarcodeKinds()).draw_label(rng)
    symbology = str(rng.choice(SYMBOLOGIES, p=SYMBOLOGY_WEIGHTS))
    if k.isbn:
        symbology = "ean13"
    code, top_text = random_code(symbology, rng, isbn=k.isbn)
    addon = (
        ""
        if rng.random() > 0.06
        else "".join(str(d) for d in rng.integers(0, 10, size=int(rng.choice([2, 5]))))
    )
    region_modules = {"ean13": 105, "upca": 105, "upce": 63, "ean8": 67}[symbology]  # bars + outer digits
    # Render near the final size: sharp digits and little aliasing when the warp scales it.
    m = int(np.clip(round(region_width / region_modules / 0.85), 2, 5))
    label = render_label(code, symbology, rng, m, top_text=top_text, addon=addon, **_layout(k, rng))
    patch = _colourise(label, rng, k.colour)
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
    angle = _turn(angle, k, rng)
    upright = abs(angle) <= 45  # neither vertical, upside down nor turned past 45 degrees
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
    if (extent[1] > extent[0]) != (45 < angle % 180 < 135):  # the box shape must tell vertical apart
        return None
    if k.tight_box and upright:  # cut past crop's pad (10% of the short side) into the digits
        digit_final = _digit_heights(effects.warp_points(points, matrix), len(boxes))
        pad = 0.1 * float(extent.min())
        rmin[0] += pad + rng.uniform(0.1, 0.5) * 0.6 * digit_final
        rmax[1] -= pad + rng.uniform(0.05, 0.3) * digit_final
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


def _layout(k: LabelKinds, rng: np.random.Generator) -> dict[str, float]:
    """render_label's digit layout arguments for this label's kinds (no draws for a plain label)."""
    layout: dict[str, float] = {}
    if k.digit_size == "large":
        layout["digit_scale"] = rng.uniform(1.15, 1.4)
        layout["digit_spread"] = rng.uniform(1.05, 1.18)
    elif k.digit_size == "tiny":
        layout["digit_scale"] = rng.uniform(0.6, 0.8)
    if k.isbn:
        layout["digit_scale"] = max(layout.get("digit_scale", 1.0), rng.uniform(1.1, 1.3))
        layout["top_scale"] = rng.uniform(1.2, 1.6)
    gap = 21 * (layout.get("digit_spread", 1.0) - 1)  # keep a spread first group clear of the left digit
    if k.far_first_digit:
        gap += rng.uniform(2.5, 7.0)
    if gap:
        layout["first_digit_gap"] = gap
    return layout


def _turn(angle: float, k: LabelKinds, rng: np.random.Generator) -> float:
    """The label's angle after its upside-down and turned kinds (degrees, counter-clockwise)."""
    if k.turned:
        if k.upside_down or abs(angle) > 45:  # upside down or vertical: 20-45 either way
            angle += rng.uniform(20, 45) * rng.choice([-1.0, 1.0])
        else:  # past 45 only counter-clockwise: crop turns that box clockwise, not upside down
            turn = rng.uniform(20, 60)
            angle = turn if turn > 45 or rng.random() < 0.5 else -turn
    if k.upside_down:
        angle += 180.0
    return angle


def _photo_effects(
    photo: np.ndarray,
    rng: np.random.Generator,
    d: Distortion,
    dg: _Degradation,
    glare_on: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    if rng.random() < d.shadow_share:
        photo = effects.shadow(photo, rng, d.shadow)
    if rng.random() < d.glare_share:
        photo = effects.glare(photo, rng, d.glare)
    if glare_on is not None:  # a strong highlight over part of a label
        x, y, bw, bh = glare_on
        centre = (x + bw * rng.uniform(0.2, 0.8), y + bh * rng.uniform(0.4, 0.9))
        axes = (bw * rng.uniform(0.12, 0.3), bh * rng.uniform(0.2, 0.45))
        photo = effects.glare(photo, rng, (0.8, 0.95), centre=centre, axes=axes, softness=(0.12, 0.3))
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
    rng: np.random.Generator, distortion: Distortion | None = None, kinds: BarcodeKinds | None = None
) -> tuple[np.ndarray, list[PlacedBarcode]]:
    """One photo (H, W, 3) uint8 BGR, about 640x480 (sometimes portrait), and its barcodes (1 or 2).

    ``distortion`` defaults to ``Distortion.for_strength(1.0)``, ``kinds`` to ``BarcodeKinds()``.
    """
    d = distortion if distortion is not None else Distortion.for_strength(1.0)
    kinds = kinds if kinds is not None else BarcodeKinds()
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
        result = _place_label(
            canvas, rng, float(rng.uniform(*widths)), taken, d, degradation.min_digit_px(), kinds
        )
        if result is not None:
            canvas, barcode, bounds = result
            placed.append(barcode)
            taken.append(bounds)
        if len(placed) == wanted:
            break
        widths = (low * 0.9, max(low, widths[1] * 0.8))
    # No draw when the kind is off: a seed's photos stay what they were before the kinds existed.
    glare_on = (
        placed[0].box if placed and kinds.strong_glare > 0 and rng.random() < kinds.strong_glare else None
    )
    return _photo_effects(canvas, rng, d, degradation, glare_on), placed
