"""Negative crops: what a plate detector wrongly boxes in street photos, with no plate in it.

Car body parts (lights, wheel arches, bumpers), asphalt/snow/mud, building walls with windows and
bare branches, in the muted colours of a city street. Images are uint8 (H, W, 3) BGR.
"""

from __future__ import annotations

import cv2
import numpy as np

from platocr.synth import effects
from platocr.synth.plate_scene import camera, car_body, crop_size


def _muted(rng: np.random.Generator, low: float = 60, high: float = 220, chroma: float = 25) -> np.ndarray:
    """A street colour (BGR float32): a grey level plus a small tint (beige, brown, blue-grey)."""
    return np.clip(rng.uniform(low, high) + rng.uniform(-chroma, chroma, 3), 0, 255).astype(np.float32)


def _field(h: int, w: int, rng: np.random.Generator, cells: int) -> np.ndarray:
    coarse = rng.uniform(-1, 1, (max(2, cells * h // max(h, w)), max(2, cells))).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)


def _ground(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Asphalt, packed snow or mud: a flat colour with multi-scale mottling and fine grain."""
    base = _muted(rng, 50, 210, 18)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    for cells, amp in ((3, 30.0), (12, 18.0), (40, 10.0)):
        img += (_field(h, w, rng, cells) * amp * rng.uniform(0.4, 1.0))[:, :, None]
    img += rng.standard_normal((h, w, 1)).astype(np.float32) * rng.uniform(3, 12)
    if rng.random() < 0.3:  # a painted road marking
        y = int(rng.uniform(0, h))
        cv2.line(
            img,
            (0, y),
            (w, int(y + rng.uniform(-0.5, 0.5) * h)),
            (40, 200, 230) if rng.random() < 0.3 else (230, 230, 230),
            int(h * rng.uniform(0.05, 0.2)),
        )
    return np.clip(img, 0, 255).astype(np.uint8)


def _wall(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Facade: plaster colour, windows with frames and sills, sometimes a sign with a few letters."""
    img = np.empty((h, w, 3), np.float32)
    img[:] = _muted(rng, 130, 235, 30)
    img += (_field(h, w, rng, 3) * 15)[:, :, None]
    step, win_w = int(w * rng.uniform(0.2, 0.5)), rng.uniform(0.35, 0.65)
    y0, win_h = int(rng.uniform(-0.3, 0.5) * h), int(h * rng.uniform(0.4, 0.9))
    frame = tuple(_muted(rng, 180, 250, 10).tolist())
    glass = tuple(_muted(rng, 30, 110, 20).tolist())
    for x in range(int(rng.uniform(-step, 0)), w, step):
        x1 = x + int(step * win_w)
        cv2.rectangle(img, (x, y0), (x1, y0 + win_h), frame, -1)
        pad = max(1, int(step * 0.05))
        cv2.rectangle(img, (x + pad, y0 + pad), (x1 - pad, y0 + win_h - pad), glass, -1)
        cv2.line(img, ((x + x1) // 2, y0), ((x + x1) // 2, y0 + win_h), frame, pad)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.25:  # a shop sign
        sx, sy = int(rng.uniform(0, w * 0.5)), int(rng.uniform(0.1, 0.7) * h)
        colour = tuple(float(c) for c in rng.uniform(20, 230, 3))
        cv2.rectangle(img, (sx, sy), (sx + int(w * 0.5), sy + int(h * 0.3)), colour, -1)
        cv2.putText(img, "APTEKA" if rng.random() < 0.5 else "OPTIKA", (sx + 4, sy + int(h * 0.25)),
                    cv2.FONT_HERSHEY_SIMPLEX, h * 0.008, (240, 240, 240), max(1, int(h * 0.02)), cv2.LINE_AA)  # fmt: skip
    return img


def _branch(
    img: np.ndarray,
    rng: np.random.Generator,
    p: np.ndarray,
    angle: float,
    length: float,
    width: float,
    colour,
    depth: int,
) -> None:
    """A bare tree branch, drawn recursively: each segment forks into thinner, shorter ones."""
    if depth == 0 or length < 2:
        return
    end = p + length * np.array([np.cos(angle), np.sin(angle)])
    cv2.line(img, (int(p[0]), int(p[1])), (int(end[0]), int(end[1])), colour, max(1, int(width)), cv2.LINE_AA)
    for _ in range(int(rng.integers(1, 4))):
        _branch(
            img,
            rng,
            end,
            angle + rng.normal(0, 0.6),
            length * rng.uniform(0.5, 0.85),
            width * 0.7,
            colour,
            depth - 1,
        )


def _branches(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Bare branches and twigs against a pale sky or a wall."""
    img = np.empty((h, w, 3), np.uint8)
    img[:] = tuple(int(c) for c in _muted(rng, 150, 235, 15))
    colour = tuple(int(c) for c in _muted(rng, 20, 80, 10))
    for _ in range(int(rng.integers(2, 6))):
        start = np.array([rng.uniform(0, w), rng.uniform(h * 0.5, h * 1.2)])
        _branch(
            img,
            rng,
            start,
            rng.uniform(-2.6, -0.5),
            h * rng.uniform(0.3, 0.6),
            h * rng.uniform(0.02, 0.08),
            colour,
            5,
        )
    return img


def _car_part(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A piece of a car with no plate: body panel plus a tail light, headlight or wheel arch."""
    img = car_body(h, w, rng, plate_y=h * rng.uniform(0.3, 0.9))
    part = rng.random()
    centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
    axes = (int(w * rng.uniform(0.15, 0.4)), int(h * rng.uniform(0.2, 0.5)))
    if part < 0.35:  # tail light
        cv2.ellipse(
            img,
            centre,
            axes,
            rng.uniform(-30, 30),
            0,
            360,
            (30, 30, float(rng.uniform(150, 230))),
            -1,
            cv2.LINE_AA,
        )
    elif part < 0.6:  # headlight: chrome ring, bright lens
        cv2.ellipse(img, centre, axes, rng.uniform(-20, 20), 0, 360, (225, 225, 225), -1, cv2.LINE_AA)
        cv2.circle(img, centre, max(2, axes[1] // 2), (250, 250, 245), -1, cv2.LINE_AA)
    elif part < 0.8:  # wheel arch and tyre
        cv2.circle(img, centre, axes[0], (25, 25, 25), -1, cv2.LINE_AA)
        cv2.circle(
            img, centre, max(2, int(axes[0] * 0.6)), (140, 140, 140), max(1, axes[0] // 8), cv2.LINE_AA
        )
    return cv2.GaussianBlur(img, (0, 0), 0.8)


_KINDS = (_car_part, _ground, _wall, _branches)
_KIND_P = np.array([0.4, 0.2, 0.2, 0.2])


def negative_crop(rng: np.random.Generator) -> np.ndarray:
    """A finished crop with no plate: (H, W, 3) uint8 BGR, sized like the real negatives."""
    out_w, out_h = crop_size(rng, negative=True)
    k = 1.5  # draw a little larger, then let the camera downscale (softer edges)
    img = _KINDS[rng.choice(len(_KINDS), p=_KIND_P)](int(out_h * k), int(out_w * k), rng)
    img = effects.color_jitter(img, rng, brightness=(-40, 30), contrast=(0.6, 1.15), cast=0.08)
    if rng.random() < 0.3:
        img = effects.shadow(img, rng)
    grey = rng.random() < 0.03  # real negatives are colour (1% grey): the detector ran on colour photos
    if grey:
        img = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return camera(img, out_w, out_h, rng, grey=grey)
