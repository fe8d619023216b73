"""Non-Russian licence plates for full-frame scenes: EU, US, yellow and Brazilian styles.

A plate detector measured on photos from Europe, Brazil and the USA must learn "a plate", not only the
Russian layout, so scenes mix in these looks. Text is random alphanumerics in OpenCV's Hershey fonts
(no font files). Every drawer returns ``(PlateImage, text)``: the image is uint8 (H, W, 3) BGR drawn
straight-on, ``text`` is what the plate shows without spaces or dashes.
"""

from __future__ import annotations

import cv2
import numpy as np

from platocr.synth.plate_render import PlateImage, frame_plate, plate_mask

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


def _condensed_text(img: np.ndarray, text: str, box: tuple[float, float, float, float], colour, font: int,
                    squeeze: float) -> None:  # fmt: skip
    """Draw ``text`` filling box (x0, y0, x1, y1), its glyphs narrowed by ``squeeze`` (< 1): the tall,
    narrow characters of US plates, which Hershey fonts do not have."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    bw, bh = max(1, x1 - x0), max(1, y1 - y0)
    wide = np.zeros((bh, max(1, int(bw / squeeze))), np.uint8)
    _text_in_box(wide, text, (0, 0, wide.shape[1], bh), 255, font, 0.1 * squeeze)
    ink = cv2.resize(wide, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.float32)[:, :, None] / 255
    patch = img[y0 : y0 + bh, x0 : x0 + bw].astype(np.float32)
    ink = ink[: patch.shape[0], : patch.shape[1]]
    img[y0 : y0 + bh, x0 : x0 + bw] = (patch * (1 - ink) + np.float32(colour) * ink).astype(np.uint8)


def _separator(img: np.ndarray, centre: tuple[float, float], size: float, rng: np.random.Generator) -> None:
    """A state's mark between the two character groups: a sticker, a star or a small emblem."""
    cx, cy, r = int(centre[0]), int(centre[1]), max(1, int(size))
    kind = rng.random()
    colour = tuple(int(c) for c in rng.uniform(0, 230, 3))
    if kind < 0.4:  # validation sticker
        cv2.rectangle(img, (cx - r // 2, cy - r), (cx + r // 2, cy + r), colour, -1)
    elif kind < 0.7:  # star
        a = np.linspace(0, 2 * np.pi, 11)[:-1] - np.pi / 2
        radius = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
        pts = np.stack([cx + radius * np.cos(a), cy + radius * np.sin(a)], 1).astype(np.int32)
        cv2.fillPoly(img, [pts], colour, cv2.LINE_AA)
    else:  # a round emblem
        cv2.ellipse(img, (cx, cy), (max(1, r * 2 // 3), r), 0, 0, 360, colour, -1, cv2.LINE_AA)


def us_plate(width: int, rng: np.random.Generator) -> tuple[PlateImage, str]:
    """US plate 12 x 6 in: mostly white or pale with a faint picture, tall narrow dark characters, a
    small state name, often a mark between the character groups, bolts and a dealer frame."""
    h = max(8, int(round(width * rng.uniform(0.48, 0.53))))
    style = rng.random()
    if style < 0.6:  # white or nearly white
        paper = np.clip(rng.uniform(205, 255) + rng.normal(0, 6, 3), 0, 255)
    elif style < 0.85:  # pale blue, cream, pale yellow or pale green
        paper = [(240, 225, 200), (215, 240, 250), (200, 245, 250), (220, 245, 225)][int(rng.integers(4))]
    else:  # strong colour: gold, blue, orange, dark
        paper = [(40, 200, 240), (150, 80, 20), (60, 150, 240), tuple(rng.uniform(60, 255, 3))][
            int(rng.integers(4))
        ]
    img = _blank(width, h, paper)
    if rng.random() < 0.2:  # a sky gradient behind the top half
        sky = np.linspace(1, 0, h, dtype=np.float32)[:, None, None] * rng.uniform(0.2, 0.6)
        img = (img * (1 - sky) + np.float32((235, 190, 120)) * sky).astype(np.uint8)
    if rng.random() < 0.45:  # a faint picture: desert, mountains, a flag stripe
        band = tuple(rng.uniform(0, 255, 3))
        y = int(h * rng.uniform(0.55, 0.85))
        pts = np.array(
            [[0, h], [0, y], [width // 3, y - h // 8], [2 * width // 3, y + h // 10], [width, y], [width, h]]
        )
        overlay = img.copy()
        cv2.fillPoly(overlay, [pts.astype(np.int32)], band)
        a = rng.uniform(0.15, 0.5)
        img = cv2.addWeighted(overlay, a, img, 1 - a, 0)
    pale = float(np.mean(paper)) > 150
    ink = [(110, 35, 15), (20, 20, 20), (35, 25, 140), (40, 70, 20)][
        int(rng.choice(4, p=[0.45, 0.3, 0.15, 0.1]))
    ]
    if not pale:
        ink = (20, 20, 20) if rng.random() < 0.5 else (235, 235, 235)
    state_ink = (30, 30, 200) if rng.random() < 0.4 else (150, 60, 20) if rng.random() < 0.5 else ink
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX if rng.random() < 0.4 else cv2.FONT_HERSHEY_DUPLEX
    sw = rng.uniform(0.2, 0.35)
    _text_in_box(img, str(rng.choice(_STATES)), (width * (0.5 - sw), h * 0.03, width * (0.5 + sw), h * 0.2),
                 state_ink, font, 0.1)  # fmt: skip
    drawn = _fill(str(rng.choice(_US_PATTERNS)), rng)
    top, bottom, squeeze = h * rng.uniform(0.2, 0.26), h * rng.uniform(0.78, 0.85), rng.uniform(0.55, 0.8)
    font = int(rng.choice(_BOLD))
    groups = drawn.replace("-", " ").split(" ")
    if len(groups) == 2 and rng.random() < 0.6:  # two groups with a mark between them
        gap = width * 0.1
        left_w = (width * 0.9 - gap) * len(groups[0]) / len(drawn.replace(" ", "").replace("-", ""))
        _condensed_text(
            img, groups[0], (width * 0.05, top, width * 0.05 + left_w, bottom), ink, font, squeeze
        )
        _condensed_text(img, groups[1], (width * 0.05 + left_w + gap, top, width * 0.95, bottom), ink, font,
                        squeeze)  # fmt: skip
        _separator(img, (width * 0.05 + left_w + gap / 2, (top + bottom) / 2), h * 0.09, rng)
    else:
        _condensed_text(img, drawn, (width * 0.05, top, width * 0.95, bottom), ink, font, squeeze)
    slogan = str(rng.choice(_SLOGANS))
    if slogan:
        _text_in_box(img, slogan, (width * 0.25, h * 0.86, width * 0.75, h * 0.97), state_ink,
                     cv2.FONT_HERSHEY_SIMPLEX, 0.1)  # fmt: skip
    if rng.random() < 0.5:  # registration stickers in the top corners
        for cx in (0.1, 0.9):
            if rng.random() < 0.6:
                s = int(h * 0.1)
                cx_px = int(width * cx)
                cv2.rectangle(img, (cx_px - s, int(h * 0.04)), (cx_px + s, int(h * 0.04) + s),
                              tuple(rng.uniform(0, 255, 3)), -1)  # fmt: skip
    if rng.random() < 0.6:  # mounting bolts
        r = max(1, int(h * 0.035))
        for bx in (0.23, 0.77):
            cv2.circle(img, (int(width * bx), int(h * 0.11)), r, (90, 90, 90), -1, cv2.LINE_AA)
    if rng.random() < 0.3:
        _border(img, ink, 0.02)
    px_per_mm = width / 305
    framed = frame_plate(
        img, plate_mask(width, h, px_per_mm * 0.5), px_per_mm, rng, bare=0.45, width_mm=305.0
    )
    return framed, _label(drawn)


def brazil_plate(width: int, rng: np.random.Generator) -> tuple[PlateImage, str]:
    """Brazilian plate 400 x 130 mm, tall narrow characters: Mercosur (white, blue BRASIL band) or the
    older grey or silver style with the city on top, a dot between letters and digits and a red seal."""
    h = max(8, int(round(width * rng.uniform(0.31, 0.34))))
    ink = (rng.uniform(0, 40),) * 3
    font, squeeze = int(rng.choice(_BOLD)), rng.uniform(0.5, 0.75)
    if rng.random() < 0.4:
        img = _blank(width, h, (rng.uniform(220, 255),) * 3)
        top = int(h * 0.24)
        cv2.rectangle(img, (0, 0), (width, top), (rng.uniform(140, 180), rng.uniform(60, 90), 0), -1)
        _text_in_box(img, "BRASIL", (width * 0.3, top * 0.15, width * 0.7, top * 0.85), (250, 250, 250),
                     cv2.FONT_HERSHEY_SIMPLEX, 0.12)  # fmt: skip
        drawn = _fill("LLLDLDD", rng)
        _condensed_text(
            img, drawn, (width * 0.05, top + h * 0.08, width * 0.95, h * 0.92), ink, font, squeeze
        )
    else:
        grey = rng.uniform(150, 250)
        img = _blank(width, h, (grey - rng.uniform(0, 15), grey, grey + rng.uniform(0, 10)))
        top = int(h * 0.2)
        city = f"{rng.choice(['SP', 'RJ', 'MG', 'PR', 'BA', 'ES'])}-{rng.choice(['SAO PAULO', 'RIO', 'CURITIBA', 'SALVADOR', 'VITORIA'])}"
        _text_in_box(
            img,
            city,
            (width * 0.25, h * 0.03, width * 0.75, top),
            (20, 20, 20),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.1,
        )
        letters, digits = _fill("LLL", rng), _fill("DDDD", rng)
        _condensed_text(
            img, letters, (width * 0.03, top + h * 0.05, width * 0.43, h * 0.94), ink, font, squeeze
        )
        _condensed_text(
            img, digits, (width * 0.47, top + h * 0.05, width * 0.97, h * 0.94), ink, font, squeeze
        )
        cv2.circle(img, (int(width * 0.45), int(h * 0.6)), max(1, int(h * 0.04)), ink, -1, cv2.LINE_AA)
        if rng.random() < 0.6:  # the red seal wire in the top left corner
            cv2.circle(
                img, (int(width * 0.07), int(h * 0.13)), max(1, int(h * 0.07)), (30, 30, 190), -1, cv2.LINE_AA
            )
        drawn = f"{letters}-{digits}"
    _border(img, ink, 0.03)
    px_per_mm = width / 400
    return frame_plate(
        img, plate_mask(width, h, px_per_mm), px_per_mm, rng, bare=0.6, width_mm=400.0
    ), _label(drawn)


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
