"""What the camera makes of a rendered street: its light (day, dusk, night, infrared), a roll of the whole
frame, and its optics and sensor (defocus, shake, grain, JPEG). Every random choice comes from ``rng``."""

from __future__ import annotations

import cv2
import numpy as np

from platocr.synth import effects


def light(frame: np.ndarray, owner: np.ndarray, look: str, rng: np.random.Generator) -> np.ndarray:
    """Lighting and camera type: day colour, dusk, night (lit plates) or infrared grey (glowing plates);
    ``owner`` (H, W) uint8 marks the visible plate pixels (non-zero)."""
    if look == "day":
        frame = effects.color_jitter(frame, rng, brightness=(-30, 30), contrast=(0.7, 1.2), cast=0.08)
        return effects.shadow(frame, rng, strength=(0.2, 0.5)) if rng.random() < 0.25 else frame
    lit = cv2.compare(owner, 0, cv2.CMP_GT)  # visible plate pixels: lit by the plate lamp / IR
    if look == "ir":  # retro-reflective plates glow under IR light while the rest goes dark
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        contrast, offset = rng.uniform(0.6, 1.3), rng.uniform(-30, 20)
        levels = np.arange(256, dtype=np.float32)
        plate_lut = np.clip((levels - 128) * contrast + 128 + offset, 0, 255).astype(np.uint8)
        scene_lut = np.clip((levels * rng.uniform(0.35, 1.0) - 128) * contrast + 128 + offset, 0, 255).astype(
            np.uint8
        )
        out = cv2.LUT(grey, scene_lut)
        cv2.copyTo(cv2.LUT(grey, plate_lut), lit, out)
        return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)
    dark = rng.uniform(0.2, 0.45) if look == "night" else rng.uniform(0.5, 0.8)
    warm = np.array([0.85, 0.95, 1.1], np.float32)  # sodium street light / plate lamp
    out = cv2.transform(frame, np.diag(warm * dark).astype(np.float32))
    cv2.copyTo(cv2.transform(frame, np.diag(warm * rng.uniform(0.6, 1.0)).astype(np.float32)), lit, out)
    return out


def roll(
    frame: np.ndarray, quads: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Camera roll: the frame rotated a few degrees about its centre, zoomed so no border shows, and the
    plates' corners ``quads`` (each (4, 2) frame pixels) moved with it."""
    h, w = frame.shape[:2]
    angle = rng.uniform(-6, 6)
    a = np.radians(abs(angle))
    zoom = max((w * np.cos(a) + h * np.sin(a)) / w, (w * np.sin(a) + h * np.cos(a)) / h)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    moved = [quad @ matrix[:, :2].T + matrix[:, 2] for quad in quads]
    return cv2.warpAffine(frame, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), moved


def optics_and_sensor(frame: np.ndarray, rng: np.random.Generator, grey: bool) -> np.ndarray:
    """Optics and sensor: defocus or shake, grain (drawn at half size: cheap), JPEG."""
    blur = rng.random()
    if blur < 0.35:
        frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.4, 1.3))
    elif blur < 0.45:
        frame = effects.motion_blur(frame, rng, length=(3, 9))
    if rng.random() < 0.7:
        h, w = frame.shape[:2]
        k = int(rng.integers(2, 9))
        grain = rng.integers(-k, k + 1, size=(h // 2, w // 2, 3), dtype=np.int16)
        grain = cv2.resize(grain, (w, h), interpolation=cv2.INTER_NEAREST)
        frame = cv2.add(frame, grain, dtype=cv2.CV_8U)
    if rng.random() < 0.5:
        frame = effects.jpeg_reencode(frame, rng, quality=(35, 90))
    if grey:  # colour grain and JPEG chroma would break the infrared grey
        frame = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return frame
