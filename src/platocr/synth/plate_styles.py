"""Non-Russian licence plates for full-frame scenes: EU, US, yellow and Brazilian styles.

A plate detector measured on photos from Europe, Brazil and the USA must learn "a plate", not only the
Russian layout, so scenes mix in these looks. Text is random alphanumerics in OpenCV's Hershey fonts
(no font files). Every drawer returns ``(PlateImage, text)``: the image is uint8 (H, W, 3) BGR drawn
straight-on, ``text`` is what the plate shows without spaces or dashes.
"""

from __future__ import annotations

import cv2
import numpy as np

from platocr.synth.plate_render import PlateImage, plate_mask

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_DIGITS = "0123456789"
# L = letter, D = digit, space/dash drawn but not part of the label.
_EU_PATTERNS = (
    "LL DDD LL",
    "L LL DDDD",
    "LL DD LLL",
    "LLL DDDD",
    "DD-LLL-D",
    "LL DDDDD",
    "D LLL DDD",
    "LL-DDD-LL",
)
_US_PATTERNS = ("DLLLDDD", "LLL DDDD", "DLL DDD", "LLL-DDDD", "DDD LLL", "LLLDDDD", "DLLDDD")
_BR_PATTERNS = ("LLLDLDD", "LLL-DDDD")
_STATES = (
    "California", "TEXAS", "New York", "FLORIDA", "Ohio", "ILLINOIS", "Arizona", "Pennsylvania",
    "GEORGIA", "Michigan", "NEW JERSEY", "Virginia", "Oregon", "NEVADA", "Colorado", "Maryland",
)  # fmt: skip
_SLOGANS = ("Sunshine State", "Empire State", "Land of Lincoln", "Grand Canyon State", "dmv.ca.gov",
            "Birthplace of Aviation", "Garden State", "Virginia is for Lovers", "")  # fmt: skip
_COUNTRIES = ("D", "F", "I", "NL", "B", "PL", "E", "CZ", "A", "P", "GB", "S")
_BOLD = (cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_TRIPLEX)


def _fill(pattern: str, rng: np.random.Generator) -> str:
    return "".join(
        str(rng.choice(list(_LETTERS))) if c == "L" else str(rng.choice(list(_DIGITS))) if c == "D" else c
        for c in pattern
    )


def _label(drawn: str) -> str:
    return drawn.replace(" ", "").replace("-", "")


def _text_in_box(img: np.ndarray, text: str, box: tuple[float, float, float, float], colour, font: int,
                 weight: float = 0.12) -> None:  # fmt: skip
    """Draw ``text`` centred in box (x0, y0, x1, y1), as large as fits; ``weight``: stroke / text height."""
    x0, y0, x1, y1 = box
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = min((x1 - x0) / max(tw, 1), (y1 - y0) / max(th, 1))
    thick = max(1, int(round((y1 - y0) * weight)))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    scale *= min(1.0, (x1 - x0) / max(tw, 1))  # thick strokes widen the text: shrink to fit again
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    org = (int((x0 + x1 - tw) / 2), int((y0 + y1 + th) / 2))
    cv2.putText(img, text, org, font, scale, colour, thick, cv2.LINE_AA)


def _blank(w: int, h: int, colour) -> np.ndarray:
    img = np.empty((h, w, 3), np.uint8)
    img[:] = tuple(int(c) for c in np.clip(colour, 0, 255))
    return img


def _border(img: np.ndarray, colour, frac: float) -> None:
    h, w = img.shape[:2]
    t = max(1, int(round(h * frac)))
    cv2.rectangle(img, (t // 2, t // 2), (w - 1 - t // 2, h - 1 - t // 2), colour, t, cv2.LINE_AA)


def eu_plate(width: int, rng: np.random.Generator, yellow: bool = False) -> tuple[PlateImage, str]:
    """EU plate 520 x 110 mm: white (or yellow) with a blue strip, stars and a country code."""
    h = max(8, int(round(width * rng.uniform(0.2, 0.23))))
    paper = (
        (rng.uniform(20, 60), rng.uniform(190, 215), rng.uniform(225, 250))
        if yellow
        else (rng.uniform(215, 255),) * 3
    )
    img = _blank(width, h, paper)
    strip = int(width * rng.uniform(0.07, 0.085)) if rng.random() < 0.9 else 0
    if strip:
        cv2.rectangle(img, (0, 0), (strip, h), (rng.uniform(130, 170), rng.uniform(50, 80), 0), -1)
        cx, cy, r = strip / 2, h * 0.32, h * 0.17
        for k in range(12):  # the ring of yellow stars as dots
            a = k * np.pi / 6
            cv2.circle(
                img, (int(cx + r * np.cos(a)), int(cy + r * np.sin(a))), max(1, h // 45), (0, 210, 250), -1
            )
        _text_in_box(img, str(rng.choice(_COUNTRIES)), (strip * 0.15, h * 0.58, strip * 0.85, h * 0.9),
                     (245, 245, 245), cv2.FONT_HERSHEY_SIMPLEX, 0.1)  # fmt: skip
    drawn = _fill(str(rng.choice(_EU_PATTERNS)), rng)
    ink = (rng.uniform(0, 50),) * 3
    _text_in_box(
        img, drawn, (strip + width * 0.03, h * 0.14, width * 0.97, h * 0.86), ink, int(rng.choice(_BOLD))
    )
    _border(img, ink, 0.035)
    return PlateImage(img, plate_mask(width, h, width / 520), _full_quad(width, h)), _label(drawn)


def us_plate(width: int, rng: np.random.Generator) -> tuple[PlateImage, str]:
    """US plate 12 x 6 in: pale or coloured background, state name on top, slogan at the bottom."""
    h = max(8, int(round(width * rng.uniform(0.48, 0.53))))
    style = rng.random()
    if style < 0.5:
        paper = (rng.uniform(215, 255),) * 3
    elif style < 0.8:  # coloured: yellow, light blue, light green, orange
        paper = [(40, 200, 240), (230, 200, 150), (190, 230, 190), (60, 150, 240)][int(rng.integers(4))]
    else:
        paper = tuple(rng.uniform(120, 255, 3))
    img = _blank(width, h, paper)
    if rng.random() < 0.5:  # a graphic band: a sunset gradient, mountains, a flag stripe
        band = tuple(rng.uniform(0, 255, 3))
        y = int(h * rng.uniform(0.55, 0.8))
        pts = np.array(
            [[0, h], [0, y], [width // 3, y - h // 8], [2 * width // 3, y + h // 10], [width, y], [width, h]]
        )
        overlay = img.copy()
        cv2.fillPoly(overlay, [pts.astype(np.int32)], band)
        a = rng.uniform(0.3, 0.7)
        img = cv2.addWeighted(overlay, a, img, 1 - a, 0)
    ink = [(120, 30, 10), (20, 20, 20), (30, 30, 170), (60, 60, 0), (30, 90, 20)][int(rng.integers(5))]
    state = str(rng.choice(_STATES))
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX if rng.random() < 0.35 else cv2.FONT_HERSHEY_DUPLEX
    state_ink = tuple(rng.uniform(0, 200, 3)) if rng.random() < 0.6 else ink
    _text_in_box(img, state, (width * 0.2, h * 0.04, width * 0.8, h * 0.24), state_ink, font, 0.1)
    drawn = _fill(str(rng.choice(_US_PATTERNS)), rng)
    _text_in_box(img, drawn, (width * 0.06, h * 0.3, width * 0.94, h * 0.8), ink, int(rng.choice(_BOLD)), 0.1)
    slogan = str(rng.choice(_SLOGANS))
    if slogan:
        _text_in_box(
            img,
            slogan,
            (width * 0.25, h * 0.84, width * 0.75, h * 0.96),
            state_ink,
            cv2.FONT_HERSHEY_SIMPLEX,
            0.1,
        )
    if rng.random() < 0.6:  # registration stickers in the top corners
        for cx in (0.08, 0.92):
            if rng.random() < 0.6:
                s = int(h * 0.14)
                cx_px = int(width * cx)
                cv2.rectangle(img, (cx_px - s, int(h * 0.05)), (cx_px + s, int(h * 0.05) + s),
                              tuple(rng.uniform(0, 255, 3)), -1)  # fmt: skip
    if rng.random() < 0.7:
        _border(img, ink, 0.02)
    return PlateImage(img, plate_mask(width, h, width / 305 * 0.5), _full_quad(width, h), 305.0), _label(
        drawn
    )


def brazil_plate(width: int, rng: np.random.Generator) -> tuple[PlateImage, str]:
    """Brazilian plate 400 x 130 mm: Mercosur (white, blue BRASIL band) or the older grey style."""
    h = max(8, int(round(width * rng.uniform(0.31, 0.34))))
    if rng.random() < 0.6:
        img = _blank(width, h, (rng.uniform(220, 255),) * 3)
        top = int(h * 0.24)
        cv2.rectangle(img, (0, 0), (width, top), (rng.uniform(140, 180), rng.uniform(60, 90), 0), -1)
        _text_in_box(img, "BRASIL", (width * 0.3, top * 0.15, width * 0.7, top * 0.85), (250, 250, 250),
                     cv2.FONT_HERSHEY_SIMPLEX, 0.12)  # fmt: skip
        drawn = _fill("LLLDLDD", rng)
    else:
        img = _blank(width, h, (rng.uniform(150, 200),) * 3)
        top = int(h * 0.22)
        city = f"{rng.choice(['SP', 'RJ', 'MG', 'PR', 'RS'])} - {rng.choice(['SAO PAULO', 'RIO', 'CURITIBA', 'CAMPINAS'])}"
        _text_in_box(
            img,
            city,
            (width * 0.2, top * 0.15, width * 0.8, top * 0.95),
            (20, 20, 20),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.1,
        )
        drawn = _fill("LLL-DDDD", rng)
    ink = (rng.uniform(0, 40),) * 3
    _text_in_box(
        img, drawn, (width * 0.05, top + h * 0.08, width * 0.95, h * 0.92), ink, int(rng.choice(_BOLD)), 0.11
    )
    _border(img, ink, 0.03)
    return PlateImage(img, plate_mask(width, h, width / 400), _full_quad(width, h), 400.0), _label(drawn)


def dark_plate(width: int, rng: np.random.Generator) -> tuple[PlateImage, str]:
    """Older black (or dark green/blue) plate with white or silver characters."""
    h = max(8, int(round(width * rng.uniform(0.22, 0.5))))
    img = _blank(width, h, tuple(rng.uniform(0, 60, 3)))
    drawn = _fill(str(rng.choice(_EU_PATTERNS + _US_PATTERNS)), rng)
    ink = (rng.uniform(190, 250),) * 3
    _text_in_box(
        img, drawn, (width * 0.05, h * 0.15, width * 0.95, h * 0.85), ink, int(rng.choice(_BOLD)), 0.1
    )
    _border(img, ink, 0.03)
    return PlateImage(img, plate_mask(width, h, width / 520), _full_quad(width, h)), _label(drawn)


def foreign_plate(width: int, rng: np.random.Generator) -> tuple[PlateImage, str]:
    """A random non-Russian plate about ``width`` px wide (drawn straight-on)."""
    style = rng.random()
    if style < 0.35:
        return eu_plate(width, rng)
    if style < 0.65:
        return us_plate(width, rng)
    if style < 0.8:
        return brazil_plate(width, rng)
    if style < 0.92:
        return eu_plate(width, rng, yellow=True)
    return dark_plate(width, rng)


def _full_quad(w: int, h: int) -> np.ndarray:
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
