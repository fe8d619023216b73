"""Draw a clean Russian licence plate (GOST R 50577 type 1, 520 x 112 mm), optionally in its frame.

Geometry is kept in millimetres (measured on real crops) and scaled by ``px_per_mm``; the plate is
drawn straight-on, the scene module then warps and degrades it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from platocr.synth.plate_glyphs import draw_glyph

PLATE_W_MM, PLATE_H_MM = 520.0, 112.0
# Main-field character centres (mm) for a 2-digit region plate; 3-digit plates squeeze them.
_MAIN_CENTRES = (63.0, 128.0, 181.0, 234.0, 292.0, 344.0)
_SEPARATOR_2, _SEPARATOR_3 = 388.0, 360.0
_BASELINE, _DIGIT_H, _LETTER_H = 96.0, 76.0, 58.0
_REGION_TOP, _REGION_H = 12.0, 58.0
_DEALER_WORDS = (
    "TOYOTA CENTR", "AVTOMIR", "MAJOR AUTO", "ROLF", "AVILON", "KIA MOTORS", "RENAULT", "VW CENTR",
    "GAZ", "LADA", "HYUNDAI", "NISSAN", "AUDI CENTR", "BMW", "MERCEDES-BENZ", "FORD", "OPEL", "SKODA",
    "AUTOSALON", "AVTODOM", "FAVORIT MOTORS", "CHEVROLET", "MITSUBISHI", "Cayenne Club",
)  # fmt: skip


@dataclass(frozen=True)
class PlateImage:
    """A drawn plate: ``image`` (H, W, 3) uint8 BGR, ``mask`` (H, W) uint8 opacity, ``plate_quad``
    (4, 2) float32 = the plate's corners (TL, TR, BR, BL) in image pixels (inside the frame, if any), and
    the plate's real width in mm (a car is drawn to scale around it)."""

    image: np.ndarray
    mask: np.ndarray
    plate_quad: np.ndarray
    width_mm: float = 520.0  # Russian and EU plates; a US plate is 305 mm, a Brazilian one 400 mm


def _rounded_rect(
    canvas: np.ndarray, x0: float, y0: float, x1: float, y1: float, r: float, color, thick: int
) -> None:
    """Rounded rectangle outline (thick > 0) or filled (thick < 0), in place."""
    r = max(1, int(r))
    p0, p1 = (int(x0), int(y0)), (int(x1), int(y1))
    if thick < 0:
        cv2.rectangle(canvas, (p0[0] + r, p0[1]), (p1[0] - r, p1[1]), color, -1)
        cv2.rectangle(canvas, (p0[0], p0[1] + r), (p1[0], p1[1] - r), color, -1)
        for cx, cy in (
            (p0[0] + r, p0[1] + r),
            (p1[0] - r, p0[1] + r),
            (p1[0] - r, p1[1] - r),
            (p0[0] + r, p1[1] - r),
        ):
            cv2.circle(canvas, (cx, cy), r, color, -1, cv2.LINE_AA)
        return
    lines = (
        ((p0[0] + r, p0[1]), (p1[0] - r, p0[1])), ((p0[0] + r, p1[1]), (p1[0] - r, p1[1])),
        ((p0[0], p0[1] + r), (p0[0], p1[1] - r)), ((p1[0], p0[1] + r), (p1[0], p1[1] - r)),
    )  # fmt: skip
    for a, b in lines:
        cv2.line(canvas, a, b, color, thick, cv2.LINE_AA)
    corners = (
        (p0[0] + r, p0[1] + r, 180),
        (p1[0] - r, p0[1] + r, 270),
        (p1[0] - r, p1[1] - r, 0),
        (p0[0] + r, p1[1] - r, 90),
    )
    for cx, cy, start in corners:
        cv2.ellipse(canvas, (cx, cy), (r, r), 0, start, start + 90, color, thick, cv2.LINE_AA)


def draw_plate(series: str, region: str, px_per_mm: float, rng: np.random.Generator) -> np.ndarray:
    """The bare plate for ``series`` (``A123BC``) and ``region`` (2-3 digits): (H, W, 3) uint8 BGR.

    Varies paper tint, ink darkness, stroke weight, flag and bolt holes a little with ``rng``.
    """
    s = px_per_mm
    w, h = int(round(PLATE_W_MM * s)), int(round(PLATE_H_MM * s))
    paper = np.array([rng.uniform(175, 255)] * 3) + rng.uniform(-12, 12, 3) * rng.uniform(0, 1)
    plate = np.empty((h, w, 3), np.uint8)
    plate[:] = tuple(int(c) for c in np.clip(paper, 0, 255))
    ink_level = int(rng.uniform(0, 60))
    ink = (ink_level, ink_level, ink_level)
    border = max(1, int(round(rng.uniform(2.2, 3.6) * s)))
    inset = border / 2 + rng.uniform(0.5, 2.0) * s
    _rounded_rect(plate, inset, inset, w - 1 - inset, h - 1 - inset, 9 * s, ink, border)

    three = len(region) == 3
    sep = (_SEPARATOR_3 if three else _SEPARATOR_2) + rng.uniform(-4, 4)
    cv2.line(plate, (int(sep * s), int(inset)), (int(sep * s), int(h - 1 - inset)), ink, border, cv2.LINE_AA)

    squeeze = sep / _SEPARATOR_2
    weight = rng.uniform(5.5, 8.0)  # stroke width, mm (real: about a tenth of the digit height)
    digit_w = rng.uniform(43, 48) * squeeze
    letter_w = digit_w * rng.uniform(1.0, 1.08)  # letters are shorter but about as wide: squarish
    for centre, ch in zip(_MAIN_CENTRES, series, strict=True):
        cx = centre * squeeze
        ch_h = _DIGIT_H if ch.isdigit() else _LETTER_H
        ch_w = (digit_w if ch.isdigit() else letter_w) * (1.06 if ch == "M" else 1.0)
        box = ((cx - ch_w / 2) * s, (_BASELINE - ch_h) * s, (cx + ch_w / 2) * s, _BASELINE * s)
        draw_glyph(plate, ch, box, weight * (1.0 if ch.isdigit() else 0.9) * s, ink)

    region_w = PLATE_W_MM - sep
    region_char_w = (39.0 if three else 44.0) * rng.uniform(0.92, 1.04)
    pitch = region_char_w + (5.0 if three else 8.0)
    start = sep + (region_w - pitch * len(region) + (pitch - region_char_w)) / 2 - 2
    for i, ch in enumerate(region):
        x0 = start + i * pitch
        box = (x0 * s, _REGION_TOP * s, (x0 + region_char_w) * s, (_REGION_TOP + _REGION_H) * s)
        draw_glyph(plate, ch, box, weight * 0.85 * s, ink)

    # "RUS" and the tricolour flag under the region digits, centred as a group.
    rus_w, flag_w, gap = 36.0, 44.0, 6.0
    gx = sep + (region_w - (rus_w + gap + flag_w)) / 2 - 2
    for i, ch in enumerate("RUS"):
        box = ((gx + i * 12.5) * s, 80 * s, (gx + i * 12.5 + 10) * s, 95 * s)
        draw_glyph(plate, ch, box, 2.0 * s, ink)
    fx0, fy0 = (gx + rus_w + gap) * s, 79 * s
    fx1, fy1 = fx0 + flag_w * s, fy0 + 17 * s
    if rng.random() < 0.95:  # a few old plates have no flag
        third = (fy1 - fy0) / 3
        for k, color in enumerate(((250, 250, 250), (170, 60, 20), (40, 30, 200))):  # white, blue, red (BGR)
            top = fy0 + k * third
            cv2.rectangle(plate, (int(fx0), int(top)), (int(fx1), int(top + third)), color, -1)
        cv2.rectangle(plate, (int(fx0), int(fy0)), (int(fx1), int(fy1)), ink, max(1, int(0.8 * s)))

    if rng.random() < 0.8:  # bolt holes / screw heads left of the series and right of the region
        bolt = (int(rng.uniform(40, 140)),) * 3
        for bx, by in ((20.0, 52.0), (PLATE_W_MM - 16.0, 48.0)):
            cv2.circle(
                plate,
                (int(bx * s), int(by * s)),
                max(1, int(rng.uniform(2.8, 4.2) * s)),
                bolt,
                -1,
                cv2.LINE_AA,
            )
    return plate


def plate_mask(w: int, h: int, px_per_mm: float) -> np.ndarray:
    """Opacity of a plate with rounded corners: (h, w) uint8."""
    mask = np.zeros((h, w), np.uint8)
    _rounded_rect(mask, 0, 0, w - 1, h - 1, 9 * px_per_mm, 255, -1)
    return mask


def draw_framed_plate(series: str, region: str, px_per_mm: float, rng: np.random.Generator) -> PlateImage:
    """The plate, usually inside a plastic frame with a dealer's name/phone under (or over) it."""
    s = px_per_mm
    plate = draw_plate(series, region, s, rng)
    ph, pw = plate.shape[:2]
    style = rng.random()
    if style < 0.25:  # bare plate screwed onto the car
        return PlateImage(plate, plate_mask(pw, ph, s), _quad(0, 0, pw, ph))
    side, top = rng.uniform(4, 10) * s, rng.uniform(4, 10) * s
    bottom = rng.uniform(22, 34) * s if style < 0.85 else rng.uniform(5, 10) * s
    if rng.random() < 0.2:  # some frames carry text on top too
        top = rng.uniform(18, 26) * s
    fw, fh = int(pw + 2 * side), int(ph + top + bottom)
    frame_level = rng.uniform(10, 60) if rng.random() < 0.75 else rng.uniform(150, 230)  # black or chrome
    frame = np.empty((fh, fw, 3), np.uint8)
    frame[:] = (int(frame_level),) * 3
    text_level = 230 if frame_level < 100 else 20
    for band_y, band_h in ((ph + top, bottom), (0, top)):
        if band_h > 14 * s and rng.random() < 0.9:
            _dealer_text(frame, rng, int(band_y), int(band_h), (int(text_level),) * 3)
    x0, y0 = int(side), int(top)
    frame[y0 : y0 + ph, x0 : x0 + pw] = np.where(
        plate_mask(pw, ph, s)[:, :, None] > 127, plate, frame[y0 : y0 + ph, x0 : x0 + pw]
    )
    return PlateImage(frame, plate_mask(fw, fh, s * 0.6), _quad(x0, y0, x0 + pw, y0 + ph))


def _quad(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def _dealer_text(frame: np.ndarray, rng: np.random.Generator, band_y: int, band_h: int, color) -> None:
    """Dealer name and phone number in a frame band (Hershey font: no font file needed)."""
    words = [str(rng.choice(_DEALER_WORDS))]
    if rng.random() < 0.7:
        words.append(
            f"({rng.integers(300, 999)}) {rng.integers(100, 999)}-{rng.integers(10, 99)}-{rng.integers(10, 99)}"
        )
    text = "   ".join(words if rng.random() < 0.5 else words[::-1])
    fw = frame.shape[1]
    font = cv2.FONT_HERSHEY_SIMPLEX if rng.random() < 0.6 else cv2.FONT_HERSHEY_DUPLEX
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 2)
    scale = min(band_h * rng.uniform(0.35, 0.6) / th, fw * rng.uniform(0.6, 0.92) / tw)
    thick = max(1, int(round(scale * rng.uniform(1.2, 2.2))))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    org = (int((fw - tw) / 2 + rng.uniform(-0.05, 0.05) * fw), int(band_y + (band_h + th) / 2))
    cv2.putText(frame, text, org, font, scale, color, thick, cv2.LINE_AA)
