"""Plate-like distractors and helpers for full-frame plate scenes: text boards (shop signs, stickers,
house numbers), road signs, billboards, fences and trees, and pasting with an ownership map.

Images are uint8 (H, W, 3) BGR; masks are uint8 (H, W) with 255 = opaque. A detector trained on
frames with these learns that text on a board is not yet a plate.
"""

from __future__ import annotations

import cv2
import numpy as np

from platocr.synth.backgrounds import random_background

_SIGN_WORDS = ("APTEKA", "PRODUKTY", "MAGAZIN", "KAFE", "BANK", "PIZZA", "HOTEL", "SHOP", "OPEN",
               "PARKING", "TAXI", "SALE 50%", "24 HOURS", "AUTO SERVICE", "TIRES", "MARKET", "BAR",
               "OPTIKA", "CASH", "EXIT", "STOP", "BUS", "GARAGE", "CAR WASH", "FITNESS", "PHARMACY")  # fmt: skip
_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
)


def muted(rng: np.random.Generator, low: float = 60, high: float = 220, chroma: float = 25) -> tuple:
    """A street colour (BGR floats): a grey level plus a small tint."""
    return tuple(np.clip(rng.uniform(low, high) + rng.uniform(-chroma, chroma, 3), 0, 255).tolist())


def bright(rng: np.random.Generator) -> tuple:
    """A saturated sign colour (BGR floats)."""
    c = rng.uniform(0, 255, 3)
    c[int(rng.integers(3))] = rng.uniform(0, 60)
    return tuple(c.tolist())


def text_sign(w: int, h: int, rng: np.random.Generator, text: str | None = None) -> np.ndarray:
    """A sign board with a word on it (shop sign, sticker, house number): (h, w, 3) uint8."""
    board = np.empty((max(2, h), max(2, w), 3), np.uint8)
    board[:] = bright(rng) if rng.random() < 0.6 else muted(rng, 180, 255, 10)
    ink = (250, 250, 250) if np.mean(board[0, 0]) < 130 else (rng.uniform(0, 60),) * 3
    if text is None:
        text = str(rng.choice(_SIGN_WORDS)) if rng.random() < 0.75 else str(int(rng.integers(1, 300)))
    font = int(rng.choice(_FONTS))
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 2)
    scale = min(w * 0.9 / tw, h * 0.65 / th)
    thick = max(1, int(scale * rng.uniform(1.5, 3.0)))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    cv2.putText(board, text, ((w - tw) // 2, (h + th) // 2), font, scale, ink, thick, cv2.LINE_AA)
    if rng.random() < 0.5:
        cv2.rectangle(board, (0, 0), (w - 1, h - 1), ink, max(1, h // 12))
    return board


def road_sign(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A road sign board (circle, square, triangle or text board): (image (s, s', 3), mask)."""
    shape = rng.random()
    if shape < 0.35:  # a rectangular board with text: the most plate-like
        w, h = int(size * rng.uniform(1.5, 3.5)), size
        return text_sign(w, h, rng), np.full((h, w), 255, np.uint8)
    img = np.full((size, size, 3), 255, np.uint8)
    mask = np.zeros((size, size), np.uint8)
    c, r = (size // 2, size // 2), size // 2 - 1
    if shape < 0.65:
        cv2.circle(mask, c, r, 255, -1, cv2.LINE_AA)
        cv2.circle(img, c, r, (30, 30, 200), max(2, size // 8), cv2.LINE_AA)
        text = str(rng.choice(["40", "60", "20", "5", "3.5t"]))
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 1, 2)
        s = size * 0.5 / max(tw, th)
        cv2.putText(
            img,
            text,
            (int(c[0] - tw * s / 2), int(c[1] + th * s / 2)),
            cv2.FONT_HERSHEY_SIMPLEX,
            s,
            (20, 20, 20),
            max(1, int(s * 2)),
            cv2.LINE_AA,
        )
    elif shape < 0.85:
        mask[:] = 255
        img[:] = (170, 80, 10)
        cv2.putText(
            img,
            "P",
            (int(size * 0.25), int(size * 0.8)),
            cv2.FONT_HERSHEY_DUPLEX,
            size / 32,
            (255, 255, 255),
            max(1, size // 10),
            cv2.LINE_AA,
        )
    else:
        tri = np.array([[c[0], 1], [size - 2, size - 2], [1, size - 2]], np.int32)
        cv2.fillPoly(mask, [tri], 255, cv2.LINE_AA)
        cv2.polylines(img, [tri], True, (30, 30, 200), max(2, size // 8), cv2.LINE_AA)
    return img, mask


def paste_clipped(
    canvas: np.ndarray, patch: np.ndarray, x: int, y: int, mask: np.ndarray | None = None
) -> None:
    """Copy ``patch`` (h, w, 3) onto ``canvas`` at (x, y), clipped to the canvas, in place; ``mask``
    (h, w) uint8 says where (> 127 = patch; a hard edge: far cheaper than blending at 720p)."""
    H, W = canvas.shape[:2]
    ph, pw = patch.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + pw), min(H, y + ph)
    if x1 <= x0 or y1 <= y0:
        return
    src = patch[y0 - y : y1 - y, x0 - x : x1 - x]
    if mask is None:
        canvas[y0:y1, x0:x1] = src
        return
    inside = cv2.compare(mask[y0 - y : y1 - y, x0 - x : x1 - x], 127, cv2.CMP_GT)
    cv2.copyTo(src, inside, canvas[y0:y1, x0:x1])


def hide_under(owner: np.ndarray, mask: np.ndarray, x: int, y: int) -> None:
    """Mark the opaque pixels (> 127) of a ``mask`` (h, w) pasted at (x, y) in the plate-ownership map
    ``owner`` (H, W) uint8 as 0: whatever plate was drawn there is now hidden, in place."""
    H, W = owner.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + mask.shape[1]), min(H, y + mask.shape[0])
    if x1 > x0 and y1 > y0:
        owner[y0:y1, x0:x1][mask[y0 - y : y1 - y, x0 - x : x1 - x] > 127] = 0


def billboard(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """An advert or shop window: colour blocks and words in many fonts, (h, w, 3)."""
    return random_background(max(8, h), max(8, w), rng, kind="packaging")


def fence(img: np.ndarray, top: int, bottom: int, rng: np.random.Generator) -> None:
    """A railing across the image between rows ``top`` and ``bottom``: evenly spaced bars, in place.
    Its regular vertical strokes look like characters at a distance."""
    w = img.shape[1]
    colour = muted(rng, 10, 200, 10)
    step = int(rng.uniform(4, 14))
    thick = max(1, int(step * rng.uniform(0.2, 0.5)))
    for x in range(int(rng.uniform(0, step)), w, step):
        cv2.line(img, (x, top), (x, bottom), colour, thick)
    for y in (top, bottom) if rng.random() < 0.7 else (top,):
        cv2.line(img, (0, y), (w, y), colour, max(1, thick + 1))


def tree(img: np.ndarray, x: int, base: int, size: int, rng: np.random.Generator) -> None:
    """A tree or bush standing at (x, base) about ``size`` px tall: trunk and leafy blobs, in place."""
    if rng.random() < 0.6:
        cv2.line(img, (x, base), (x, base - size // 2), muted(rng, 30, 90, 10), max(1, size // 15))
    leaves = np.array([rng.uniform(20, 70), rng.uniform(60, 140), rng.uniform(20, 80)])
    for _ in range(int(rng.integers(4, 10))):
        cx, cy = x + int(rng.normal(0, size * 0.25)), base - size // 2 - int(rng.normal(0, size * 0.2))
        shade = tuple(np.clip(leaves * rng.uniform(0.6, 1.3), 0, 255).tolist())
        cv2.circle(img, (cx, cy), max(2, int(size * rng.uniform(0.12, 0.3))), shade, -1, cv2.LINE_AA)


_BADGES = (
    "CAMRY", "Corolla", "ACCORD", "Civic", "FOCUS", "Punto", "GOLF", "TDI", "4MATIC", "HYBRID", "SPORT",
    "Octavia", "LADA", "CITROEN", "SILVERADO", "Sentra", "ELX 1.4", "V6", "AWD", "Berlingo", "Xsara",
    "SOLARIS", "Polo", "RIO", "Logan", "X-TRAIL", "Tiguan", "quattro", "1.6i", "GRANTA", "Vesta", "4x4",
)  # fmt: skip


def badge(
    img: np.ndarray, centre: tuple[float, float], height: int, paint: tuple, rng: np.random.Generator
) -> None:
    """A car's model or maker badge centred at ``centre``, ``height`` px tall, in place: chrome or dark
    letters (real photos' commonest plate-like false alarm), sometimes an oval maker's emblem."""
    if height < 3:
        return
    light = float(np.mean(paint)) < 140 or rng.random() < 0.7
    ink = (rng.uniform(190, 255),) * 3 if light else (rng.uniform(10, 60),) * 3
    cx, cy = int(centre[0]), int(centre[1])
    if rng.random() < 0.2:  # an oval emblem with a word inside
        axes = (int(height * rng.uniform(1.5, 2.5)), int(height * 0.8))
        cv2.ellipse(img, (cx, cy), axes, 0, 0, 360, ink, max(1, height // 6), cv2.LINE_AA)
        text, height = str(rng.choice(_BADGES))[:5], int(height * 0.7)
    else:
        text = str(rng.choice(_BADGES))
    font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX,
                           cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_COMPLEX | cv2.FONT_ITALIC]))  # fmt: skip
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = height / max(th, 1)
    thick = max(1, int(round(height * rng.uniform(0.08, 0.18))))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    org = (cx - tw // 2, cy + th // 2)
    if light:  # chrome: a dark edge under bright letters
        cv2.putText(img, text, (org[0] + 1, org[1] + 1), font, scale, (30, 30, 30), thick, cv2.LINE_AA)
    cv2.putText(img, text, org, font, scale, ink, thick, cv2.LINE_AA)


def lamp(img: np.ndarray, box: tuple[int, int, int, int], colour: tuple, rng: np.random.Generator) -> None:
    """A tail or head lamp in ``box`` (x, y, w, h), in place: a lens with a bright core and reflector
    segments rather than a flat block (lamps are a common false alarm in real photos)."""
    x, y, w, h = box
    if w < 3 or h < 3:
        return
    kind = rng.random()
    if kind < 0.35:
        cv2.rectangle(img, (x, y), (x + w, y + h), colour, -1, cv2.LINE_AA)
    else:
        centre, axes = (x + w // 2, y + h // 2), (w // 2, h // 2)
        cv2.ellipse(img, centre, axes, float(rng.uniform(-15, 15)), 0, 360, colour, -1, cv2.LINE_AA)
    core = tuple(min(255.0, c * 0.3 + 200) for c in colour)
    for _ in range(int(rng.integers(1, 4))):  # bright segments of the reflector
        sx, sy = x + int(rng.uniform(0.1, 0.7) * w), y + int(rng.uniform(0.1, 0.6) * h)
        cv2.rectangle(img, (sx, sy), (sx + max(1, int(w * rng.uniform(0.1, 0.3))), sy + max(1, int(h * 0.3))),
                      core, -1)  # fmt: skip
    if rng.random() < 0.5:  # the lamp's chrome or dark rim
        cv2.rectangle(img, (x, y), (x + w, y + h), (rng.uniform(20, 220),) * 3, max(1, h // 10), cv2.LINE_AA)
