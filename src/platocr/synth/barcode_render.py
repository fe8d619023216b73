"""Draw a printed barcode label as an ink map: bars, human-readable digits, ISBN line, add-on.

Each symbology's digits are laid out the way it is printed: EAN-13 first digit outside left and 6+6
under the bars between the guards; UPC-A first and last digits smaller outside and 5+5 inside; UPC-E
number system left, 6 inside, check digit right; EAN-8 4+4. The digit font is DejaVu Sans Mono
(regular or bold, shipped in platocr/assets/fonts) or Pillow's bundled Aileron, at a varied size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from platocr.formats.ean import Encoded, encode, encode_addon

FONT_DIR = Path(__file__).resolve().parents[1] / "assets" / "fonts"
DIGIT_FONTS: tuple[str, ...] = ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "aileron")
_FONT_WEIGHTS = np.array([0.45, 0.3, 0.25])
# Quiet zone left of the first bar, in modules (EAN-13's first digit is printed inside it).
_QUIET_LEFT = {"ean13": 11, "upca": 9, "upce": 9, "ean8": 7}


@lru_cache(maxsize=512)
def digit_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A cached TrueType font; ``"aileron"`` is Pillow's bundled default font (Pillow >= 10.1)."""
    if name == "aileron":
        return ImageFont.load_default(size=size)  # type: ignore[return-value]
    return ImageFont.truetype(str(FONT_DIR / name), size)


@dataclass(frozen=True)
class LabelInk:
    """A rendered label. ``ink``: (H, W) uint8, 255 = printed ink, 0 = label paper.

    ``region``: (x0, y0, x1, y1) in label pixels, the barcode's bars plus its human-readable digits
    (the annotated box), excluding quiet zones, ISBN line and add-on.
    ``digit_boxes``: (x0, y0, x1, y1) ink box of each human-readable digit, in label pixels.
    """

    ink: np.ndarray
    region: tuple[float, float, float, float]
    module_px: int
    digit_boxes: tuple[tuple[float, float, float, float], ...] = ()


class _Pen:
    """Draws text on the ink map and tracks the union of ink boxes that belong to the region."""

    def __init__(self, ink: Image.Image) -> None:
        self.draw = ImageDraw.Draw(ink)
        self.bounds: list[tuple[float, float, float, float]] = []

    def text(
        self, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont, anchor: str, count: bool
    ) -> None:
        self.draw.text(xy, text, fill=255, font=font, anchor=anchor)
        if count:
            self.bounds.append(self.draw.textbbox(xy, text, font=font, anchor=anchor))


def _bar_columns(modules: str, module_px: int) -> np.ndarray:
    """Pixel column offsets covered by bars ('1' modules) at ``module_px`` pixels per module."""
    return np.flatnonzero(np.repeat(np.frombuffer(modules.encode(), np.uint8) == ord("1"), module_px))


def render_label(
    code: str,
    symbology: str,
    rng: np.random.Generator,
    module_px: int,
    *,
    top_text: str = "",
    addon: str = "",
    digit_scale: float = 1.0,
    digit_spread: float = 1.0,
    first_digit_gap: float = 0.0,
    top_scale: float = 1.0,
) -> LabelInk:
    """Render ``code`` at ``module_px`` pixels per module with its printed digits.

    ``top_text`` (e.g. "ISBN 978-5-...") is printed above the bars and ``addon`` (2 or 5 digits)
    right of them; neither is part of ``region``. ``digit_scale`` multiplies the digit size (large or
    tiny digits), ``digit_spread`` widens each digit group about its centre (wide spacing),
    ``first_digit_gap`` moves the left outer digit that many modules further from the bars and
    ``top_scale`` multiplies the ``top_text`` size.
    """
    enc: Encoded = encode(code, symbology)
    m = module_px
    n = len(enc.modules)
    font_name = str(rng.choice(DIGIT_FONTS, p=_FONT_WEIGHTS))
    size = max(6, int(round(rng.uniform(8.5, 10.8) * m * digit_scale)))
    font = digit_font(font_name, size)
    small = digit_font(font_name, max(7, int(round(size * rng.uniform(0.6, 0.75)))))
    cap = font.getbbox("0", anchor="ls")[1] * -1  # digit height above the baseline, px
    # Keep the region clearly wider than tall: a taller box means "vertical barcode".
    bar_h = int(round(rng.uniform(25, max(26, min(70, 0.72 * n - 12))) * m))
    guard_ext = int(round(rng.uniform(4, 6) * m))
    gap = max(1, int(round(rng.uniform(0.2, 1.0) * m)))  # bars bottom -> digit tops

    top_size = max(7, int(size * rng.uniform(0.6, 0.85) * top_scale)) if top_text else 0
    top_font = digit_font(font_name, top_size) if top_text else None
    top_h = int(top_font.getbbox(top_text)[3] + m * 2) if top_font else 0
    addon_modules = encode_addon(addon) if addon else ""
    addon_w = (9 + len(addon_modules)) * m if addon else 0  # 9-module gap between symbol and add-on

    margin = [int(rng.uniform(1, 4) * m) for _ in range(4)]  # extra paper: left, top, right, bottom
    quiet_left = int(round((_QUIET_LEFT[symbology] + first_digit_gap + 3 * (digit_scale - 1)) * m))
    quiet_right = (9 if enc.right_digit else 7) * m
    x_bars = margin[0] + quiet_left
    y_top = margin[1] + top_h
    height = y_top + bar_h + gap + cap + 2 * m + margin[3]
    width = x_bars + n * m + quiet_right + addon_w + margin[2]

    ink = np.zeros((height, width), np.uint8)
    ink[y_top : y_top + bar_h, x_bars + _bar_columns(enc.modules, m)] = 255
    guard_modules = "".join("1" if c == "1" and i in enc.guards else "0" for i, c in enumerate(enc.modules))
    ink[y_top + bar_h : y_top + bar_h + guard_ext, x_bars + _bar_columns(guard_modules, m)] = 255
    x_addon = x_bars + (n + 9) * m
    if addon:  # add-on bars start lower: its digits are printed above them
        ink[y_top + cap + 2 * m : y_top + bar_h + guard_ext, x_addon + _bar_columns(addon_modules, m)] = 255

    image = Image.fromarray(ink)
    pen = _Pen(image)
    baseline = y_top + bar_h + gap + cap
    for text, first, last in enc.inner_digits:
        slot = (last - first) / len(text)
        centre = (first + last) / 2
        for i, ch in enumerate(text):
            at = centre + (first + (i + 0.5) * slot - centre) * digit_spread
            pen.text((x_bars + at * m, baseline), ch, font, "ms", True)
    outer_font = small if enc.small_outer else font
    if enc.left_digit:
        left_x = x_bars - (rng.uniform(1.0, 2.5) + first_digit_gap) * m
        pen.text((left_x, baseline), enc.left_digit, outer_font, "rs", True)
    if enc.right_digit:
        pen.text(
            (x_bars + (n + rng.uniform(1.0, 2.5)) * m, baseline), enc.right_digit, outer_font, "ls", True
        )
    if symbology == "ean13" and not addon and rng.random() < 0.25:  # light-margin indicator '>'
        pen.text((x_bars + (n + 2) * m, baseline), ">", font, "ls", False)
    if top_font is not None:
        pen.text((x_bars + n * m / 2, y_top - m), top_text, top_font, "ms", False)
    if addon:
        pen.text((x_addon + len(addon_modules) * m / 2, y_top + cap), addon, font, "ms", False)

    boxes = np.array(pen.bounds + [(x_bars, y_top, x_bars + n * m, y_top + bar_h + guard_ext)], np.float64)
    region = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
    digit_boxes = tuple(tuple(float(v) for v in box) for box in pen.bounds)
    return LabelInk(np.asarray(image), tuple(float(v) for v in region), m, digit_boxes)  # type: ignore[arg-type]
