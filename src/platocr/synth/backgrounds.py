"""Random photo backgrounds: paper, product packaging with neighbouring print, shop shelves, noise.

``random_background(height, width, rng, kind=None)`` returns a uint8 (H, W, 3) BGR image. Smooth
structure is drawn at low resolution and upscaled, which keeps it cheap (a few ms at 640x480).
"""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

BACKGROUND_KINDS: tuple[str, ...] = ("paper", "packaging", "shelf", "noise")
# How often each kind is drawn when ``kind`` is None (packaging is what barcodes sit on most).
_KIND_WEIGHTS = np.array([0.25, 0.45, 0.15, 0.15])

_WORDS = (
    "NET WT", "INGREDIENTS", "SUGAR", "MILK", "100% NATURAL", "BEST BEFORE", "KCAL", "PROTEIN", "FAT",
    "STORE IN A DRY PLACE", "MADE IN", "LOT", "EXP", "NEW!", "ORGANIC", "500 g", "1 L", "0.33 L",
    "Nutrition Facts", "Serving size", "www.example.com", "Recycle", "Keep cool", "Premium", "Classic",
)  # fmt: skip
_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN,
)  # fmt: skip


def _color(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    c = rng.integers(low, high, size=3)
    return int(c[0]), int(c[1]), int(c[2])


def _print_color(rng: np.random.Generator) -> tuple[int, int, int]:
    """A printing-ink colour: any hue, saturation skewed low (real packaging is rarely all neon)."""
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.random() ** 1.5 * 0.9, rng.uniform(0.25, 1.0))
    return int(b * 255), int(g * 255), int(r * 255)


def _smooth_field(h: int, w: int, rng: np.random.Generator, cells: int, channels: int = 1) -> np.ndarray:
    """Low-frequency random field in [-1, 1], float32 (H, W) or (H, W, C): noise on a coarse grid, upscaled."""
    gh, gw = max(2, cells * h // max(h, w)), max(2, cells * w // max(h, w))
    coarse = rng.uniform(-1.0, 1.0, size=(gh, gw, channels)).astype(np.float32)
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    return field if channels > 1 else field.reshape(h, w)


def _grain(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Add grey film grain of standard deviation ~``sigma`` (uniform integers: far cheaper than floats)."""
    h, w = image.shape[:2]
    k = max(1, int(round(sigma * 1.7)))
    grain = rng.integers(-k, k + 1, size=(h, w), dtype=np.int16)
    return cv2.add(image, cv2.merge([grain, grain, grain]), dtype=cv2.CV_8U)


def _upscale(small: np.ndarray, height: int, width: int) -> np.ndarray:
    """Clip a low-resolution float image to uint8 and resize it to (height, width)."""
    return cv2.resize(
        np.clip(small, 0, 255).astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR
    )


def random_text(image: np.ndarray, rng: np.random.Generator, lines: int, color: tuple[int, int, int]) -> None:
    """Draw ``lines`` random product-label phrases (words, numbers) in place, at random spots and sizes."""
    h, w = image.shape[:2]
    for _ in range(lines):
        text = str(rng.choice(_WORDS))
        if rng.random() < 0.4:
            text += f" {rng.integers(1, 1000)}"
        scale = float(rng.uniform(0.4, 1.6)) * max(h, w) / 640
        thickness = int(rng.integers(1, 3 if scale < 1 else 4))
        origin = (int(rng.integers(-w // 4, w)), int(rng.integers(10, h + 10)))
        cv2.putText(image, text, origin, int(rng.choice(_FONTS)), scale, color, thickness, cv2.LINE_AA)


def _paragraph(image: np.ndarray, rng: np.random.Generator) -> None:
    """A block of small-print lines (ingredients, addresses) in place: typical next to a barcode."""
    h, w = image.shape[:2]
    x, y = int(rng.integers(-w // 4, w)), int(rng.integers(0, h))
    scale = float(rng.uniform(0.3, 0.5)) * max(h, w) / 640
    step = int(scale * 30) + 2
    color = _print_color(rng)
    for line in range(int(rng.integers(3, 9))):
        words = rng.choice(_WORDS, size=int(rng.integers(3, 7)))
        text = ", ".join(str(word).lower() for word in words)
        cv2.putText(image, text, (x, y + line * step), cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def paper(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Off-white or tinted paper with uneven lighting and fine grain, sometimes a little print."""
    sh, sw = max(2, height // 8), max(2, width // 8)
    base = np.array(_color(rng, 200, 256), np.float32)
    light = _smooth_field(sh, sw, rng, 4) * rng.uniform(5, 25)
    img = _upscale(base[None, None, :] + light[:, :, None], height, width)
    if rng.random() < 0.5:
        random_text(img, rng, int(rng.integers(1, 6)), _color(rng, 0, 120))
    return _grain(img, rng, float(rng.uniform(1.5, 5.0)))


def packaging(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Printed packaging: saturated colour blocks, stripes, circles and neighbouring text."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = _print_color(rng)
    for _ in range(int(rng.integers(2, 7))):
        x0, y0 = int(rng.integers(-width // 4, width)), int(rng.integers(-height // 4, height))
        x1, y1 = x0 + int(rng.integers(width // 8, width)), y0 + int(rng.integers(height // 8, height))
        shape = rng.random()
        if shape < 0.55:
            cv2.rectangle(img, (x0, y0), (x1, y1), _print_color(rng), -1)
        elif shape < 0.8:
            radius = int(rng.integers(10, max(11, min(height, width) // 2)))
            cv2.circle(img, (x0, y0), radius, _print_color(rng), -1, cv2.LINE_AA)
        else:  # diagonal stripe band
            thick = int(rng.integers(5, max(6, height // 4)))
            cv2.line(img, (x0, y0), (x1, y1), _print_color(rng), thick, cv2.LINE_AA)
    random_text(img, rng, int(rng.integers(2, 10)), _print_color(rng))
    if rng.random() < 0.5:
        _paragraph(img, rng)
    return _grain(img, rng, float(rng.uniform(1.0, 4.0)))


def shelf(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Shop shelf: horizontal shelf edges, price tags, blurred product fronts behind."""
    sh, sw = max(4, height // 4), max(4, width // 4)  # out-of-focus products: draw small, blur, upscale
    small = np.empty((sh, sw, 3), np.uint8)
    small[:] = _color(rng, 30, 140)
    for _ in range(int(rng.integers(3, 9))):
        x0 = int(rng.integers(-sw // 8, sw))
        cv2.rectangle(small, (x0, 0), (x0 + int(rng.integers(8, max(9, sw // 3))), sh), _print_color(rng), -1)
    small = cv2.GaussianBlur(small, (0, 0), float(rng.uniform(0.5, 2.0)))
    light = _smooth_field(sh, sw, rng, 3) * rng.uniform(10, 40)
    img = _upscale(small.astype(np.float32) + light[:, :, None], height, width)
    edge_color = _color(rng, 150, 256) if rng.random() < 0.6 else _color(rng, 40, 120)
    y = int(rng.integers(-height // 4, height // 2))
    while y < height:
        thick = int(rng.integers(height // 16, height // 6))
        cv2.rectangle(img, (0, y), (width, y + thick), edge_color, -1)
        for _ in range(int(rng.integers(0, 3))):  # price tags on the edge
            tx = int(rng.integers(0, width))
            tag = (tx, y + 2), (tx + int(rng.integers(40, 120)), y + thick - 2)
            cv2.rectangle(img, tag[0], tag[1], _color(rng, 180, 256), -1)
            price = f"{rng.integers(10, 999)}.{rng.integers(0, 99):02d}"
            cv2.putText(
                img, price, (tx + 4, y + thick - 6), cv2.FONT_HERSHEY_DUPLEX, thick / 45, (20, 20, 20), 1
            )
        y += thick + int(rng.integers(height // 4, height))
    return _grain(img, rng, float(rng.uniform(2.0, 6.0)))


def noise(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Multi-scale coloured noise texture (fabric, wood, carpet-like clutter)."""
    sh, sw = max(4, height // 4), max(4, width // 4)
    field = np.zeros((sh, sw, 3), np.float32)
    for cells, weight in ((4, 60.0), (16, 35.0), (64, 20.0)):
        field += _smooth_field(sh, sw, rng, cells, channels=3) * weight * rng.uniform(0.3, 1.0)
    base = np.array(_color(rng, 40, 220), np.float32)
    img = _upscale(base[None, None, :] + field, height, width)
    return _grain(img, rng, float(rng.uniform(3.0, 10.0)))


_MAKERS = {"paper": paper, "packaging": packaging, "shelf": shelf, "noise": noise}


def random_background(
    height: int, width: int, rng: np.random.Generator, kind: str | None = None
) -> np.ndarray:
    """A (height, width, 3) uint8 BGR background of ``kind`` (one of BACKGROUND_KINDS; None = random)."""
    if kind is None:
        kind = str(rng.choice(BACKGROUND_KINDS, p=_KIND_WEIGHTS))
    if kind not in _MAKERS:
        raise ValueError(f"unknown background kind {kind!r} (known: {', '.join(BACKGROUND_KINDS)})")
    return _MAKERS[kind](height, width, rng)
