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


def _camera_caption(rng: np.random.Generator) -> list[str]:
    """One or two lines a camera writes into its picture: a date and time, sometimes its name."""
    year, month, day = int(rng.integers(2012, 2027)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
    hour, minute, second = int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
    date = str(rng.choice([f"{year}-{month:02d}-{day:02d}", f"{day:02d}.{month:02d}.{year}",
                           f"{day:02d}/{month:02d}/{year}", f"{month:02d}-{day:02d}-{year}"]))  # fmt: skip
    time_of_day = f"{hour:02d}:{minute:02d}:{second:02d}"
    lines = [f"{date} {time_of_day}"] if rng.random() < 0.6 else [date, time_of_day]
    if rng.random() < 0.4:
        name = str(rng.choice(["CAM", "Cam", "CH", "IPC", "GATE", "ENTRY", "PARKING"]))
        lines.insert(0, f"{name}{rng.choice([' ', '-', ''])}{int(rng.integers(1, 17)):02d}")
    return lines


def write_camera_text(
    frame: np.ndarray, keep_clear: list[tuple[int, int, int, int]], rng: np.random.Generator
) -> None:
    """Write a camera's date and time (and sometimes its name) into a corner of ``frame``, in place, as
    surveillance cameras do: white or yellow, outlined or on a dark band. A corner where the text would
    cover one of ``keep_clear`` (x, y, w, h boxes: the plates) is not used; with none left, nothing is
    written."""
    h, w = frame.shape[:2]
    lines = _camera_caption(rng)
    font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX]))
    pixel_height = rng.uniform(12, 30) * h / 720
    scale = pixel_height / cv2.getTextSize("0", font, 1.0, 1)[0][1]
    thickness = max(1, round(pixel_height / 12))
    sizes = [cv2.getTextSize(line, font, scale, thickness)[0] for line in lines]
    gap = round(pixel_height * 0.5)
    block_w, block_h = max(s[0] for s in sizes), sum(s[1] for s in sizes) + gap * (len(lines) - 1)
    margin = round(rng.uniform(0.01, 0.03) * w)
    corners = [(margin, margin), (w - margin - block_w, margin), (margin, h - margin - block_h),
               (w - margin - block_w, h - margin - block_h)]  # fmt: skip
    pad = 2 * margin
    free = [(x, y) for x, y in corners
            if all(x + block_w + pad < bx or bx + bw + pad < x or y + block_h + pad < by or by + bh + pad < y
                   for bx, by, bw, bh in keep_clear)]  # fmt: skip
    if not free:
        return
    x, y = free[int(rng.integers(len(free)))]
    colour = (255, 255, 255) if rng.random() < 0.7 else (0, 230, 255)
    style = rng.random()
    if style < 0.3:  # a dark band behind the text
        cv2.rectangle(frame, (x - 4, y - 4), (x + block_w + 4, y + block_h + 4), (20, 20, 20), -1)
    for line, (_, line_h) in zip(lines, sizes, strict=True):
        y += line_h
        if 0.3 <= style < 0.75:  # outlined, so it reads on a bright sky too
            cv2.putText(frame, line, (x, y), font, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
        cv2.putText(frame, line, (x, y), font, scale, colour, thickness, cv2.LINE_AA)
        y += gap
