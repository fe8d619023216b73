"""Street furniture for full-frame plate scenes: the backdrop (sky, buildings, road, kerbs), car
rears/fronts with a slot for the plate, and plate-like distractors (signs, stickers, striped barriers).

All images are uint8 (H, W, 3) BGR; masks are uint8 (H, W) with 255 = opaque. The backdrop is drawn
at half resolution and upscaled: it stands behind the cars, slightly soft, and costs a quarter.
"""

from __future__ import annotations

import cv2
import numpy as np

from platocr.synth.effects import warp_points
from platocr.synth.plate_props import badge, billboard, fence, lamp, muted, paste_clipped, text_sign, tree
from platocr.synth.plate_scene import car_body


def _field(h: int, w: int, rng: np.random.Generator, cells: int) -> np.ndarray:
    """Low-frequency field in [-1, 1], float32 (h, w)."""
    coarse = rng.uniform(-1, 1, (max(2, cells * h // max(h, w)), max(2, cells))).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)


def _buildings(img: np.ndarray, horizon: int, rng: np.random.Generator) -> None:
    """Facades standing on the horizon, with window grids and shop signs, in place."""
    h, w = img.shape[:2]
    x = int(rng.uniform(-w * 0.2, 0))
    while x < w:
        bw = int(w * rng.uniform(0.15, 0.5))
        top = int(horizon - h * rng.uniform(0.15, 0.9))
        cv2.rectangle(img, (x, top), (x + bw, horizon), muted(rng, 70, 220, 30), -1)
        glass, step_x, step_y = muted(rng, 20, 110, 20), int(rng.uniform(12, 30)), int(rng.uniform(14, 30))
        win_w, win_h = int(step_x * rng.uniform(0.4, 0.7)), int(step_y * rng.uniform(0.4, 0.7))
        for wy in range(top + step_y // 2, horizon - step_y, step_y):
            for wx in range(x + step_x // 2, x + bw - win_w, step_x):
                cv2.rectangle(img, (wx, wy), (wx + win_w, wy + win_h), glass, -1)
        if rng.random() < 0.6:  # a shop sign above the ground floor: text on a board, plate-like
            sw, sh = int(bw * rng.uniform(0.3, 0.8)), int(h * rng.uniform(0.02, 0.06))
            sx, sy = x + int(rng.uniform(0, bw - sw)), int(horizon - h * rng.uniform(0.08, 0.2))
            paste_clipped(img, text_sign(sw, sh, rng), sx, sy)
        if rng.random() < 0.3:  # a billboard or shop window full of print
            sw, sh = int(bw * rng.uniform(0.3, 0.7)), int(h * rng.uniform(0.06, 0.2))
            sx, sy = (
                x + int(rng.uniform(0, max(1, bw - sw))),
                int(top + rng.uniform(0, max(1, horizon - top - sh))),
            )
            paste_clipped(img, billboard(sw, sh, rng), sx, sy)
        x += bw + int(rng.uniform(0, w * 0.05))


def backdrop(width: int, height: int, horizon: float, rng: np.random.Generator) -> np.ndarray:
    """Sky, buildings on the horizon line (y = ``horizon`` px, may be above the frame), road with
    lane marks and a kerb converging to a vanishing point, or a parking lot: (height, width, 3)."""
    w, h, hz = width // 2, height // 2, int(horizon / 2)
    # Sky and ground with smooth light: a quarter-size float image, upscaled once.
    qw, qh, qz = w // 2, h // 2, max(0, int(horizon / 4))
    tone = np.empty((qh, qw, 3), np.float32)
    tone[:] = muted(rng, 150, 245, 25)
    tone[qz:] = muted(rng, 60, 150, 12)  # asphalt
    tone += (_field(qh, qw, rng, 4) * rng.uniform(8, 25))[:, :, None]
    tone[qz:] += (_field(qh, qw, rng, 24)[qz:] * rng.uniform(4, 14))[:, :, None]
    img = cv2.resize(np.clip(tone, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    if hz > 0:
        _buildings(img, hz, rng)
        if rng.random() < 0.5:  # trees and bushes along the road
            for _ in range(int(rng.integers(2, 9))):
                tree(
                    img,
                    int(rng.uniform(0, w)),
                    hz + int(rng.uniform(0, 0.05) * h),
                    int(rng.uniform(0.08, 0.4) * h),
                    rng,
                )
        if rng.random() < 0.3:
            fence(img, hz - int(rng.uniform(0.03, 0.12) * h), hz, rng)
    vx = int(rng.uniform(0.1, 0.9) * w)
    if rng.random() < 0.5:  # lane marks and kerbs converge to the vanishing point
        for _ in range(int(rng.integers(1, 5))):
            end = int(rng.uniform(-w, 2 * w))
            colour = (230, 230, 230) if rng.random() < 0.8 else (40, 200, 230)
            cv2.line(img, (vx, hz), (end, h), colour, max(1, int(rng.uniform(1, 6))), cv2.LINE_AA)
        side = int(rng.uniform(-0.5, 0.1) * w) if rng.random() < 0.5 else int(rng.uniform(0.9, 1.5) * w)
        pavement = np.array([[vx, hz], [side, h], [0 if side < vx else w, h]], np.int32)
        cv2.fillPoly(img, [pavement], muted(rng, 110, 200, 15))
        cv2.line(
            img, (vx, hz), (side, h), muted(rng, 150, 230, 5), max(2, int(rng.uniform(3, 10))), cv2.LINE_AA
        )
    else:  # parking bays: lines across the ground
        colour = (225, 225, 225) if rng.random() < 0.8 else (40, 200, 230)
        y = max(hz, 0) + int(rng.uniform(5, 40))
        while y < h:
            spread = (y - hz) * rng.uniform(1.5, 3.0)
            for k in range(-6, 7):
                x0 = int(vx + k * spread * 0.5)
                cv2.line(
                    img,
                    (x0, y),
                    (int(x0 + spread * 0.15 * k), int(y + spread * 0.25)),
                    colour,
                    1,
                    cv2.LINE_AA,
                )
            y += int(spread * 0.5) + 10
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)


def car(
    plate_w: float, rng: np.random.Generator, front: bool
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """A car's rear (or front) sized for a plate ``plate_w`` px wide: (image (h, w, 3), silhouette
    mask (h, w), plate centre (x, y) px in the image). Tail/head lights, window, wheels, stickers."""
    cw, ch = int(plate_w * rng.uniform(3.2, 3.9)), int(plate_w * rng.uniform(2.3, 3.2))
    body_top, body_bottom = int(ch * rng.uniform(0.38, 0.5)), int(ch * rng.uniform(0.88, 0.93))
    plate_y = body_top + (body_bottom - body_top) * rng.uniform(0.45, 0.7)
    # Paint is smooth: draw the body texture small and upscale (a 1300 px wide car costs as a 300 px one).
    k = min(1.0, 220 / max(ch, 1))
    small = car_body(max(8, int((body_bottom - body_top) * k)), max(8, int(cw * k)), rng,
                     plate_y=(plate_y - body_top) * k)  # fmt: skip
    img = np.zeros((ch, cw, 3), np.uint8)
    img[body_top:body_bottom] = cv2.resize(
        small, (cw, body_bottom - body_top), interpolation=cv2.INTER_LINEAR
    )
    paint = tuple(int(c) for c in img[(body_top + body_bottom) // 2, cw // 20])
    mask = np.zeros((ch, cw), np.uint8)
    r = max(2, int(cw * 0.06))
    cv2.rectangle(mask, (0, body_top + r), (cw - 1, body_bottom), 255, -1)
    cv2.rectangle(mask, (r, body_top), (cw - 1 - r, body_bottom), 255, -1)
    inset_top, inset_bottom = cw * rng.uniform(0.12, 0.25), cw * rng.uniform(0.03, 0.08)
    cabin = np.array([[inset_top, 0], [cw - inset_top, 0], [cw - inset_bottom, body_top + r],
                      [inset_bottom, body_top + r]], np.int32)  # fmt: skip
    cv2.fillPoly(img, [cabin], paint, cv2.LINE_AA)
    cv2.fillPoly(mask, [cabin], 255, cv2.LINE_AA)
    glass = np.array([[inset_top * 1.1, ch * 0.04], [cw - inset_top * 1.1, ch * 0.04],
                      [cw - inset_bottom * 1.6, body_top - ch * 0.02], [inset_bottom * 1.6, body_top - ch * 0.02]], np.int32)  # fmt: skip
    cv2.fillPoly(img, [glass], muted(rng, 15, 90, 15), cv2.LINE_AA)
    if rng.random() < 0.5:  # a sky reflection across the window
        x = int(rng.uniform(0.2, 0.8) * cw)
        cv2.line(img, (x, int(ch * 0.05)), (x + int(cw * 0.15), body_top - 2), muted(rng, 100, 200, 10),
                 max(2, int(cw * rng.uniform(0.02, 0.08))), cv2.LINE_AA)  # fmt: skip
    for side in (0, 1):  # wheels peeking under the body
        wx = int(cw * (0.07 if side == 0 else 0.75))
        cv2.rectangle(img, (wx, body_bottom - 4), (wx + int(cw * 0.18), ch - 1), (20, 20, 22), -1)
        cv2.rectangle(mask, (wx, body_bottom - 4), (wx + int(cw * 0.18), ch - 1), 255, -1)
    light = (
        ((rng.uniform(200, 255),) * 3)
        if front
        else (rng.uniform(0, 50), rng.uniform(0, 40), rng.uniform(150, 230))
    )
    ly, lh, lw = (
        int(body_top + (plate_y - body_top) * rng.uniform(0.05, 0.4)),
        int(ch * rng.uniform(0.05, 0.1)),
        int(cw * rng.uniform(0.1, 0.22)),
    )
    for lx in (int(cw * 0.03), int(cw * 0.97) - lw):
        lamp(img, (lx, ly, lw, lh), light, rng)
    for _ in range(int(rng.choice(3, p=[0.35, 0.45, 0.2]))):  # model and maker badges: text, not a plate
        bh = int(plate_w * rng.uniform(0.06, 0.16))
        side = rng.choice([-1.0, 0.0, 1.0])
        bx = cw / 2 + side * cw * rng.uniform(0.15, 0.32) if side else cw / 2
        by = (
            plate_y - plate_w * rng.uniform(0.2, 0.5)
            if side == 0
            else rng.uniform(ly, plate_y + plate_w * 0.1)
        )
        badge(img, (bx, by), bh, paint, rng)
    if front and rng.random() < 0.7:  # a radiator grille above the plate: slats, a plate-like texture
        gx0, gx1, gy0 = int(cw * 0.3), int(cw * 0.7), ly
        gy1 = int(plate_y - plate_w * 0.2)
        cv2.rectangle(img, (gx0, gy0), (gx1, gy1), (25, 25, 25), -1)
        step = max(3, int((gy1 - gy0) / rng.uniform(3, 7)))
        for yy in range(gy0 + step // 2, gy1, step):
            cv2.line(img, (gx0, yy), (gx1, yy), muted(rng, 120, 220, 5), max(1, step // 3))
    if rng.random() < 0.25:  # a sticker or dealer badge on the window or boot: text, not a plate
        sw, sh = int(plate_w * rng.uniform(0.4, 1.0)), int(plate_w * rng.uniform(0.12, 0.3))
        sx, sy = int(rng.uniform(0.1, 0.9) * cw - sw / 2), int(rng.uniform(0.1, 0.3) * ch)
        paste_clipped(img, text_sign(sw, sh, rng), sx, sy)
    if rng.random() < 0.1:  # a striped bumper guard: high-contrast bars a detector must not take for a plate
        by = int(plate_y + plate_w * 0.35)
        stripe = max(2, int(plate_w * 0.08))
        for i, bx in enumerate(range(int(cw * 0.1), int(cw * 0.9), stripe)):
            cv2.rectangle(
                img, (bx, by), (bx + stripe, by + stripe), (20, 20, 20) if i % 2 else (30, 200, 240), -1
            )
    return img, mask, (cw / 2 + rng.uniform(-0.04, 0.04) * cw, plate_y)


def turn_car(body: np.ndarray, mask: np.ndarray, anchor: tuple[float, float], quad: np.ndarray | None,
         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[float, float], np.ndarray | None]:  # fmt: skip
    """Turn a car image (h, w, 3) and its mask a little about the vertical axis; the plate centre
    ``anchor`` and corners ``quad`` (4, 2) follow."""
    h, w = mask.shape
    a = rng.uniform(0.05, 0.25)
    near, far = [[0, 0], [0, h]], [[w * (1 - a / 2), h * a / 2], [w * (1 - a / 2), h * (1 - a / 2)]]
    dst = np.array([near[0], far[0], far[1], near[1]], np.float32)
    if rng.random() < 0.5:  # the left side is the far one
        dst[:, 0] = w - dst[:, 0]
        dst = dst[[1, 0, 3, 2]]
    matrix = cv2.getPerspectiveTransform(np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32), dst)
    body = cv2.warpPerspective(body, matrix, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(mask, matrix, (w, h), flags=cv2.INTER_NEAREST)
    (px, py), *_ = warp_points(np.array([anchor]), matrix)
    return body, mask, (float(px), float(py)), None if quad is None else warp_points(quad, matrix)
